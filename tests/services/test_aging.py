"""Verdicts re-judged when their moment comes, and overdue reports announced once; clock injected, never slept."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from relief.services import aging
from relief.store import verdicts
from relief.store.db import Store
from relief.store.tables import Event, GuaranteeStatus
from tests import aging_world as w


@pytest.fixture
def published() -> list[dict]:
    return []


@pytest.fixture
def clock() -> w.Clock:
    return w.Clock(w.T0)


@pytest.fixture
def ctx(store, clock, published):
    w.build(store, incident_at=w.T0 - 3 * w.HOUR)
    context = w.context(store, clock, published)
    w.judge_everyone(context, w.T0)
    published.clear()
    return context


def kept(ctx) -> dict[str, SimpleNamespace]:
    columns = [c.key for c in GuaranteeStatus.__table__.columns]
    with ctx.reading() as session:
        return {row.household_id: SimpleNamespace(**{c: getattr(row, c) for c in columns})
                for row in session.scalars(select(GuaranteeStatus))}


def changes(published: list[dict]) -> list[tuple[str, str, str]]:
    """(household, food before, food after) of every guarantee.changed event published."""
    return [(c["household_id"], c["before"]["food"], c["after"]["food"])
            for e in published if e["kind"] == "guarantee.changed" for c in e["payload"]["changes"]]


def rejudge_at(ctx, moment: datetime) -> dict:
    ctx.clock.now = moment
    return aging.rejudge_due(ctx)


def test_each_kept_verdict_says_when_it_next_changes(ctx):
    rows = kept(ctx)
    assert rows["SOONER"].food == "met" and rows["LAPSES"].food == "met"
    # met while the food covers the next 24 h: it turns at risk just after that stops
    assert rows["SOONER"].next_change_at == w.T0 + w.US
    assert rows["LAPSES"].next_change_at == w.RUNS_OUT["LAPSES"] - 24 * w.HOUR + w.US
    assert rows["LATER"].next_change_at == w.RUNS_OUT["LATER"] - 24 * w.HOUR + w.US
    assert rows["HOME"].next_change_at is None  # outside the scope nothing runs out


def test_food_runs_out_at_its_moment_and_not_a_minute_before(ctx, published):
    lapse = w.RUNS_OUT["LAPSES"]
    first = rejudge_at(ctx, lapse - 24 * w.HOUR + w.US)  # SOONER ran out; LAPSES starts running short
    assert (first["due"], first["changed"]) == (2, 2)
    # SOONER was not re-judged while it ran short (nothing asked): it goes from met straight to unmet
    assert sorted(changes(published)) == [("LAPSES", "met", "at_risk"), ("SOONER", "met", "unmet")]
    assert kept(ctx)["LAPSES"].next_change_at == lapse
    published.clear()

    before = rejudge_at(ctx, lapse - timedelta(minutes=1))
    assert (before["due"], before["changed"]) == (0, 0) and published == []
    assert kept(ctx)["LAPSES"].food == "at_risk"
    assert before["next_change_at"] == lapse

    at = rejudge_at(ctx, lapse)
    assert (at["due"], at["changed"]) == (1, 1)
    assert changes(published) == [("LAPSES", "at_risk", "unmet")]
    row = kept(ctx)["LAPSES"]
    assert row.food == "unmet" and row.reasons["food"]["code"] == "food_lapsed" and row.as_of == lapse
    assert row.next_change_at is None  # nothing more happens without new food


def test_exactly_the_due_households_are_rechecked(ctx, published):
    moment = w.RUNS_OUT["SOONER"] + w.HOUR  # SOONER ran out; LAPSES short; LATER still fully covered
    summary = rejudge_at(ctx, moment)
    assert summary["due"] == 2
    rows = kept(ctx)
    assert {h for h, row in rows.items() if row.as_of == moment} == {"SOONER", "LAPSES"}
    assert rows["LATER"].as_of == w.T0 and rows["HOME"].as_of == w.T0
    assert {h for h, *_ in changes(published)} == {"SOONER", "LAPSES"}
    assert summary["next_change_at"] == min(rows["LAPSES"].next_change_at, rows["LATER"].next_change_at)
    assert rejudge_at(ctx, moment)["due"] == 0  # once re-judged, a household waits for its next moment


def test_due_households_query_orders_by_moment(ctx):
    with ctx.reading() as session:
        assert verdicts.due_households(session, w.T0) == []
        assert verdicts.due_households(session, w.RUNS_OUT["LATER"]) == ["SOONER", "LAPSES", "LATER"]
        assert verdicts.next_change(session) == w.T0 + w.US


def test_a_full_recompute_keeps_the_moments_too(ctx):
    from relief.services.guarantees import recompute_all

    later = w.T0 + 2 * w.HOUR
    recompute_all(ctx, as_of=later)
    rows = kept(ctx)
    assert rows["SOONER"].food == "at_risk" and rows["SOONER"].next_change_at == w.RUNS_OUT["SOONER"]
    assert rows["HOME"].next_change_at is None


# --- overdue statutory reports -----------------------------------------------------

def overdue_events(published):
    return [e for e in published if e["kind"] == aging.OVERDUE_KIND]


def test_an_overdue_report_is_announced_once_to_staff(ctx, published):
    first = aging.announce_overdue(ctx)  # the incident occurred 3 h ago: its initial report is 1 h late
    assert first == {"overdue": 1, "announced": 1}
    event, = overdue_events(published)
    assert event["topic"] == "reports" and event["public"] is False and event["area_code"] == w.world.COUNTY
    assert event["payload"]["report_kind"] == "initial"
    assert datetime.fromisoformat(event["payload"]["due_at"]) == w.T0 - w.HOUR
    assert aging.announce_overdue(ctx) == {"overdue": 1, "announced": 0}
    ctx.clock.now = w.T0 + w.HOUR
    assert aging.announce_overdue(ctx) == {"overdue": 1, "announced": 0}  # still the same deadline
    assert len(overdue_events(published)) == 1


def test_the_next_deadline_is_a_new_announcement(ctx, published):
    aging.announce_overdue(ctx)
    ctx.clock.now = datetime(2026, 11, 21, 9, 1, tzinfo=w.CST)  # the 09:00 continued report is missing too
    assert aging.announce_overdue(ctx) == {"overdue": 2, "announced": 1}
    assert [e["payload"]["report_kind"] for e in overdue_events(published)] == ["initial", "continued"]


def test_several_processes_announce_a_deadline_once(ctx, database_url):
    """Four workers, each with its own engine, tick at the same moment: one announcement in the outbox."""
    stores = [Store(database_url) for _ in range(4)]
    barrier, answers = threading.Barrier(len(stores)), []

    def announce(store):
        worker = w.context(store, w.Clock(w.T0))
        barrier.wait()
        answers.append(aging.announce_overdue(worker)["announced"])

    threads = [threading.Thread(target=announce, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.dispose()
    assert sorted(answers) == [0, 0, 0, 1]
    with ctx.reading() as session:
        assert len(session.scalars(select(Event).where(Event.kind == aging.OVERDUE_KIND)).all()) == 1
    assert aging.announce_overdue(ctx)["announced"] == 0  # and after a restart, nothing again


def test_overdue_items_are_keyed_by_what_identifies_them():
    item = {"incident_id": 7, "report_kind": "continued", "due_at": "2026-11-21T09:00:00+08:00"}
    claim = aging.overdue_claim(item)
    assert claim["key"] == "7/continued/*/2026-11-21T01:00:00.000000Z"
    per_township = aging.overdue_claim({**item, "township_code": "422801001"})
    assert per_township["key"] == "7/continued/422801001/2026-11-21T01:00:00.000000Z"
    assert per_township["township_code"] == "422801001" and claim["township_code"] is None
