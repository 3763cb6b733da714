"""Migration 0007: the dispatch plan's step columns, as the table declares them, on a plan kept from before."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from sqlalchemy import inspect, text

from relief.store.db import Store
from relief.store.migrate import alembic_config, upgrade
from relief.store.tables import DispatchPlan
from tests.conftest import PG_URL, _pg_database

STEP_COLUMNS = {"dispatched_by", "dispatched_at", "delivered_by", "delivered_at", "received", "cancelled_by",
                "cancelled_at"}


def _store(tmp_path) -> Store:
    return Store(_pg_database(PG_URL, "relief_test_0007") if PG_URL else f"sqlite:///{tmp_path / 'convoy.db'}")


def test_0007_adds_the_step_columns_to_plans_kept_before_and_takes_them_away_again(tmp_path):
    store = _store(tmp_path)
    try:
        upgrade(store, "0006")
        at = datetime(2026, 11, 20, 1, tzinfo=timezone.utc)
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO dispatch_plans (created_at, status, as_of, lines, unmet) "
                              "VALUES (:at, 'accepted', :at, '[]', '[]')"), {"at": at})
        upgrade(store, "0007")
        schema = inspect(store.engine)
        columns = {c["name"] for c in schema.get_columns("dispatch_plans")}
        assert columns == set(DispatchPlan.__table__.columns.keys()) and STEP_COLUMNS <= columns
        keys = {fk["name"]: (fk["constrained_columns"], fk["referred_table"])
                for fk in schema.get_foreign_keys("dispatch_plans")}
        for step in ("dispatched", "delivered", "cancelled"):
            assert keys[f"fk_dispatch_plans_{step}_by_users"] == ([f"{step}_by"], "users")
        assert "ix_dispatch_plans_status" in {i["name"] for i in schema.get_indexes("dispatch_plans")}
        with store.read() as session:
            kept = session.get(DispatchPlan, 1)
            assert kept.status == "accepted" and kept.dispatched_at is None and kept.received is None
        command.downgrade(alembic_config(store), "0006")
        assert not STEP_COLUMNS & {c["name"] for c in inspect(store.engine).get_columns("dispatch_plans")}
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM dispatch_plans")).scalar_one() == "accepted"
    finally:
        store.dispose()
