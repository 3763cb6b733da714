"""Many staff writing at once, as served: real ``relief serve`` processes (gevent) and real concurrent clients.

24 writers of five kinds for 10 s: no 5xx, no request over 2 s, ``/api/health``
answering throughout, and the ledger holding exactly what was acknowledged —
on the suite's store (SQLite, or PostgreSQL in CI's second run), and with
two server processes sharing one SQLite file.
"""
from __future__ import annotations

import pytest
import requests

from relief.store.db import Store
from relief.store.migrate import upgrade
from tests.web.load import STOCK_AT_START, MixedWriters, prepare
from tests.web.servers import relief_env, run, serving

pytestmark = pytest.mark.slow

SLOWEST_SECONDS = 2.0


def balance(base: str, token: str, item_code: str) -> float:
    answer = requests.get(f"{base}/api/stock/balances?holder_kind=depot&holder_id=D1",
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    return next((b["quantity"] for b in answer["balances"] if b["item_code"] == item_code), 0.0)


def check(load: MixedWriters, base: str) -> None:
    kinds = load.by_kind()
    assert set(kinds) == set(load.kinds), f"every kind of write was made: {sorted(kinds)}"
    assert load.server_errors() == []
    slowest = max(load.answers, key=lambda a: a.seconds)
    assert slowest.seconds < SLOWEST_SECONDS, f"slowest write: {slowest}"
    assert load.health and max(load.health) < SLOWEST_SECONDS, f"slowest health check: {max(load.health)} s"
    token = load.tokens["admin"]
    assert balance(base, token, "RICE") == STOCK_AT_START - load.acknowledged("distribution")
    assert balance(base, token, "WATER5") == load.acknowledged("receipt")
    assert all(a.status in (200, 201, 409) for a in load.answers), {a.status for a in load.answers}


def test_two_dozen_writers_on_one_server(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    tokens = prepare(database_url, env, run)
    with serving(env) as base:
        load = MixedWriters([base], tokens, writers=24, seconds=10).run()
        check(load, base)
    assert len(load.answers) > 100


def test_two_server_processes_on_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = Store(url)
    upgrade(store)
    store.dispose()
    env = relief_env(url, tmp_path / "instance")
    tokens = prepare(url, env, run)
    with serving(env) as a, serving(env) as b:
        load = MixedWriters([a, b], tokens, writers=24, seconds=10).run()
        check(load, a)
    assert len(load.answers) > 100
