"""A store too busy for a write answers 503 with ``Retry-After``, never 500, and writes nothing."""
from __future__ import annotations

import sqlite3

import pytest

from relief import create_app
from relief.store.db import Store
from relief.store.migrate import upgrade
from tests import world


@pytest.fixture
def busy_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    store = Store(url)
    upgrade(store)
    world.build(store)
    store.dispose()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "t",
                      "TESTING": True, "REDIS_URL": None, "WRITE_WAIT_SECONDS": 0.2})
    yield app, url.removeprefix("sqlite:///")
    app.extensions["relief.store"].dispose()


def test_a_write_that_cannot_get_the_store_is_503_with_retry_after(busy_app):
    from relief.cli.app import cli_context
    from relief.services.accounts import create_user

    app, path = busy_app
    keeper = create_user(cli_context(app), "keeper", "warehouse_keeper", password="pw-keeper-long")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().post("/api/stock/receipts", headers={"Authorization": f"Bearer {keeper.token}"},
                                          json={"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE",
                                                "quantity": 5, "source": "purchase", "client_id": "busy-1"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.get_json()["error"]["code"] == "busy"
        assert other.execute("SELECT count(*) FROM stock_movements").fetchone() == (0,)
    finally:
        other.execute("ROLLBACK")
        other.close()
    again = app.test_client().post("/api/stock/receipts", headers={"Authorization": f"Bearer {keeper.token}"},
                                   json={"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE",
                                         "quantity": 5, "source": "purchase", "client_id": "busy-1"})
    assert again.status_code == 201
