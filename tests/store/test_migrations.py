"""Migrations build the whole schema from empty, on SQLite and on PostgreSQL/PostGIS."""
from __future__ import annotations

import gc
from datetime import datetime, timezone

import pytest
from shapely.geometry import Point
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import DBAPIError

from relief.domain.vocabulary import TERMINAL_STATUSES
from relief.store import incidents as incident_store
from relief.store.db import Store
from relief.store.migrate import current_revision, head_revision, upgrade
from relief.store.tables import Base, Incident
from tests.conftest import PG_URL, _pg_database


@pytest.fixture
def empty_store(tmp_path):
    url = _pg_database(PG_URL, "relief_test_empty") if PG_URL else f"sqlite:///{tmp_path / 'empty.db'}"
    store = Store(url)
    yield store
    store.dispose()


def test_upgrade_from_empty_creates_every_table(empty_store):
    assert current_revision(empty_store) is None
    assert upgrade(empty_store) == head_revision(empty_store)
    tables = set(inspect(empty_store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert upgrade(empty_store) == head_revision(empty_store)  # a second run is a no-op


def test_store_kind_is_detected(empty_store):
    upgrade(empty_store)
    assert empty_store.describe() == ("postgresql+postgis" if PG_URL else "sqlite")


def test_postgis_columns_have_gist_indexes(postgres_url):
    store = Store(_pg_database(postgres_url, "relief_test_gist"))
    upgrade(store)
    with store.engine.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT f_table_name, type FROM geometry_columns WHERE f_geometry_column = 'geom'")).all())
        gist = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'"))}
    assert kinds["households"] == "POINT" and kinds["areas"] == "MULTIPOLYGON" and kinds["incidents"] == "GEOMETRY"
    store.dispose()
    assert {"areas", "households", "incidents", "sites", "depots", "facilities"} <= gist


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'wal.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def test_audit_trail_is_append_only(empty_store):
    upgrade(empty_store)
    with empty_store.engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor_name, action, entity) "
                          "VALUES (CURRENT_TIMESTAMP, 'x', 'a', 'e')"))
    for statement in ("UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with empty_store.engine.begin() as conn:
                conn.execute(text(statement))


def test_incidents_from_before_the_rtree_are_found_after_upgrading(empty_store):
    """0002 indexes the incidents already there, not only the ones made afterwards."""
    upgrade(empty_store, "0001")
    at = datetime(2026, 7, 1, tzinfo=timezone.utc)
    with empty_store.write() as session:
        session.add(Incident(client_id="before", kind="hail", title="t", occurred_at=at, geom=Point(109.5, 30.3)))
    upgrade(empty_store)
    with empty_store.read() as session:
        rows = incident_store.open_incidents_near(session, "hail", Point(109.5, 30.301), at, distance_m=500,
                                                  window_hours=1, closed_statuses=TERMINAL_STATUSES)
    assert [row[1] for row in rows] == ["hail"]


def test_reading_the_revision_leaves_nothing_behind(empty_store):
    """Health checks read the revision all day; each read must not add schema objects to the statement cache
    (they pile up there and come out as long garbage-collector pauses in a busy server)."""
    upgrade(empty_store)

    def schema_objects() -> int:
        gc.collect()
        return sum(isinstance(o, MetaData) for o in gc.get_objects())

    assert current_revision(empty_store) == head_revision(empty_store)
    before = schema_objects()
    for _ in range(20):
        current_revision(empty_store)
    assert schema_objects() == before
