"""Two approvals racing for one case: one wins, the others are refused (409), on SQLite and on PostGIS;
a case is paid by one line at most, whatever the checks above it."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from relief.errors import Conflict, StoreBusy
from relief.services import assistance as service
from relief.store import assistance as assistance_store
from relief.store.db import Store
from relief.store.migrate import upgrade
from relief.store.tables import CaseTransition, PayoutLine
from tests import assistance_world as aw
from tests.conftest import _pg_database

RACERS = 4


def _checked(store) -> str:
    aw.build(store)
    case_id = aw.apply(store)
    aw.to_notice(store, case_id)
    service.transition(aw.as_role(store, "township_clerk", at=aw.after_notice()), case_id, {"action": "check"})
    return case_id


def _approval_race(store) -> None:
    case_id = _checked(store)
    barrier = threading.Barrier(RACERS)
    outcomes: list = [None] * RACERS

    def run(i: int) -> None:
        ctx = aw.as_role(store, "commander", at=aw.after_notice(8))
        barrier.wait()
        for _ in range(20):
            try:
                outcomes[i] = service.transition(ctx, case_id, {"action": "approve"})
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
    won = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(refused) == RACERS - 1, outcomes
    with store.read() as session:
        approvals = session.scalar(select(func.count()).select_from(CaseTransition)
                                   .where(CaseTransition.case_id == case_id, CaseTransition.action == "approve"))
    assert approvals == 1


def test_two_approvals_racing_one_wins(store):
    _approval_race(store)


@pytest.fixture
def postgis_store(postgres_url):
    store = Store(_pg_database(postgres_url, "relief_test_assistance"))
    upgrade(store)
    yield store
    store.dispose()


def test_two_approvals_racing_one_wins_on_postgis(postgis_store):
    _approval_race(postgis_store)


def test_a_case_has_one_paid_line_at_most(store):
    case_id = _checked(store)
    service.transition(aw.as_role(store, "commander", at=aw.after_notice(8)), case_id, {"action": "approve"})
    with store.write() as session:
        batch, ids = assistance_store.add_batch(session, at=aw.T0, actor_id=None, pending="pending", lines=[
            (case_id, "HH1", 1.0, "b", "1", "x"), (case_id, "HH1", 1.0, "b", "1", "x")])
    with store.write() as session:
        assert assistance_store.mark_line(session, ids[0], status="paid", pending="pending", reason=None, at=aw.T0)
        assert not assistance_store.mark_line(session, ids[0], status="paid", pending="pending", reason=None,
                                              at=aw.T0)
    with pytest.raises(IntegrityError):
        with store.write() as session:
            assistance_store.mark_line(session, ids[1], status="paid", pending="pending", reason=None, at=aw.T0)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(PayoutLine).where(PayoutLine.status == "paid")) == 1
