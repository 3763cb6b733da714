"""Reconstruction rows: one payment per tranche however payments race, one inspection per client id, frames.

The races run on the suite's store (SQLite, or PostgreSQL with ``RELIEF_TEST_DATABASE_URL``) and, when
a PostgreSQL server is at hand (``RELIEF_TEST_POSTGRES_URL``), on a fresh PostGIS database too.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from relief.errors import Conflict, StoreBusy
from relief.services import reconstruction as service
from relief.services.context import Actor
from relief.store import reconstruction as house_store
from relief.store.db import Store
from relief.store.migrate import upgrade
from relief.store.tables import HousePayment, Inspection
from tests import reconstruction_world as rw
from tests.conftest import _pg_database
from tests.world import context

RACERS = 4


def _ready(store) -> None:
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="foundation", mode="in_place")
    ctx = _officer(store)
    service.add_inspection(ctx, "H1", {"client_id": "ms", "milestone": "main_structure", "result": "pass"})


def _officer(store):
    ctx = context(store, Actor(None, "officer", "reconstruction_officer"))
    ctx.clock = lambda: rw.T0 + timedelta(days=2)
    return ctx


def _race(store, work) -> list:
    """Run ``work(ctx)`` in RACERS threads released together; each outcome is an answer or the error raised."""
    barrier = threading.Barrier(RACERS)
    outcomes: list = [None] * RACERS

    def run(i: int) -> None:
        ctx = _officer(store)
        barrier.wait()
        for _ in range(20):
            try:
                outcomes[i] = work(ctx)
                return
            except StoreBusy:
                continue
            except Exception as error:  # noqa: BLE001 - the outcome under test
                outcomes[i] = error
                return

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _payment_race(store) -> None:
    _ready(store)
    outcomes = _race(store, lambda ctx: service.pay(ctx, "H1", {"tranche": "main_structure"}))
    paid = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(paid) == 1 and len(refused) == RACERS - 1, outcomes
    with store.read() as session:
        rows = session.scalars(select(HousePayment)).all()
        assert [(r.house_id, r.tranche, r.amount) for r in rows] == [("H1", "main_structure", 16000.0)]


def _inspection_race(store) -> None:
    _ready(store)
    body = {"client_id": "phone-1:7", "milestone": "completed", "result": "pass"}
    rw.add_house(store, "H2", stage="roofed", mode="in_place")
    outcomes = _race(store, lambda ctx: service.add_inspection(ctx, "H2", dict(body)))
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sum(o.created for o in outcomes) == 1
    assert len({o.body["inspection"]["id"] for o in outcomes}) == 1
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Inspection).where(Inspection.house_id == "H2")) == 1


def test_two_racing_payments_of_one_tranche_make_one_row(store):
    _payment_race(store)


def test_racing_sends_of_one_inspection_make_one_row(store):
    _inspection_race(store)


@pytest.fixture
def postgis_store(postgres_url):
    store = Store(_pg_database(postgres_url, "relief_test_reconstruction"))
    upgrade(store)
    yield store
    store.dispose()


def test_two_racing_payments_make_one_row_on_postgis(postgis_store):
    _payment_race(postgis_store)


def test_racing_inspections_make_one_row_on_postgis(postgis_store):
    _inspection_race(postgis_store)


def test_the_unique_tranche_refuses_a_second_row_without_any_check(store):
    _ready(store)
    for expected in (True, False):
        with store.write() as session:
            row = house_store.insert_payment(session, house_id="H1", tranche="agreement", amount=1.0,
                                             paid_at=rw.T0, inspection_id=None, actor_id=None, recorded_at=rw.T0)
            assert (row is not None) is expected


def test_frames_carry_the_household_category_and_passing_inspections(store):
    _ready(store)
    rw.add_house(store, "H2", stage="eligible", damage="general", category="wubao", lon=109.8)
    with store.read() as session:
        houses, passes, paid = house_store.frames(session, "pass")
        only_east, _, _ = house_store.frames(session, "pass", township_code=rw.EAST)
    assert houses.set_index("house_id").loc["H2", "category"] == "wubao"
    assert list(zip(passes["house_id"], passes["milestone"])) == [("H1", "main_structure")]
    assert paid.empty and list(only_east["house_id"]) == ["H2"]


def test_houses_have_a_gist_index_on_postgis(postgis_store):
    with postgis_store.engine.connect() as conn:
        indexes = [r[0] for r in conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'houses' AND indexdef LIKE '%USING gist%'"))]
        kinds = dict(conn.execute(text(
            "SELECT f_table_name, type FROM geometry_columns WHERE f_geometry_column = 'geom'")).all())
    assert indexes and kinds["houses"] == "POINT"
