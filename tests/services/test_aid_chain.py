"""The aid chain's use cases: the sweep keeps flags, review steps, missed aid closing with aid, overdue at the
deadline, overrides at giving."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from relief.domain import aid_chain as domain
from relief.domain import assistance as assistance_domain
from relief.domain.standards import Standards
from relief.errors import NotFound, TransitionRefused, ValidationFailed
from relief.services import aid_chain as service
from relief.services.context import Actor
from relief.store.tables import AidFlag, AidFlagStep, AuditEntry, Distribution, GuaranteeStatus, StockMovement
from tests import aid_chain_world as w
from tests.world import context

T0 = w.T0
HOUR = timedelta(hours=1)


@pytest.fixture
def world(store):
    w.build(store)
    return store


def _ctx(store, at, published=None, actor=None):
    ctx = context(store, actor or Actor(None, "tester", "admin"), published)
    ctx.clock = lambda: at
    return ctx


def _flags(store, **where) -> list[dict]:
    with store.read() as session:
        rows = session.scalars(select(AidFlag).filter_by(**where).order_by(AidFlag.id)).all()
        return [{c: getattr(r, c) for c in ("id", "key", "kind", "reason", "household_id", "purpose", "status",
                                              "aid_id", "since", "deadline", "resolution_reason")} for r in rows]


def _steps(store, flag_id) -> list[tuple]:
    with store.read() as session:
        return [(s.from_status, s.to_status, s.reason) for s in
                session.scalars(select(AidFlagStep).filter_by(flag_id=flag_id).order_by(AidFlagStep.id))]


def _unmet_food(store, household_id: str, since) -> None:
    ok = {"clothing": "met", "water": "met", "housing": "met", "medical": "met"}
    with store.write() as session:
        session.add(GuaranteeStatus(household_id=household_id, village_code=None, food="unmet", **ok, reasons={},
                                    shortfalls={}, as_of=since, standards_version="test"))


def _give_food(store, household_id: str, at, kg: float = 6) -> int:
    with store.write() as session:
        movement = StockMovement(at=at, kind="distribution", holder_kind="depot", holder_id="D1", item_code="RICE",
                                 quantity=-kg, household_id=household_id)
        session.add(movement)
        session.flush()
        row = Distribution(household_id=household_id, item_code="RICE", quantity=kg, distributed_at=at,
                           movement_id=movement.id)
        session.add(row)
        session.flush()
        return row.id


def test_the_sweep_keeps_each_flag_once_and_tells_staff(world):
    published = []
    first = service.sweep(_ctx(world, T0, published), T0 + timedelta(days=3))
    duplicates = _flags(world, kind="duplicate")
    assert {f["key"] for f in duplicates} == {"duplicate:overlapping_sources:partner:1",
                                              "duplicate:overlapping_sources:assistance:C1"}
    assert all(f["status"] == "open" for f in duplicates)
    assert first["opened"] == len(_flags(world)) and first["opened"] >= 2
    rows = {r["evidence"]["key"]: r for r in first["rows"]}
    partner = rows["duplicate:overlapping_sources:partner:1"]
    assert list(partner) == list(service.CHECK_COLUMNS)
    assert partner["sources"] == ["depot:D1", f"agency:{w.AGENCY}"] and partner["flag"] == "duplicate"
    assert partner["evidence"]["earlier_aid_ids"] == ["distribution:1"]
    assert {e["kind"] for e in published} == {"aid_flag.opened"}
    assert all(e["public"] is False and e["topic"] == "aid" for e in published)
    published.clear()
    again = service.sweep(_ctx(world, T0, published), T0 + timedelta(days=3))
    assert (again["opened"], again["closed"]) == (0, 0)
    assert len(_flags(world)) == first["opened"] and published == []
    with world.read() as session:
        assert session.scalars(select(AuditEntry).filter_by(action="aid_flags.sweep")).all()


def test_review_steps_keep_history_and_audit_and_refuse_steps_not_in_the_table(world):
    service.sweep(_ctx(world, T0), T0 + timedelta(days=3))
    flag = next(f for f in _flags(world, kind="duplicate"))
    published = []
    ctx = _ctx(world, T0 + timedelta(days=4), published)
    with pytest.raises(ValidationFailed) as no_reason:
        service.transition_flag(ctx, flag["id"], {"to": "justified_top_up"})
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationFailed) as no_target:
        service.transition_flag(ctx, flag["id"], {"reason": "x"})
    assert no_target.value.field == "to"
    with pytest.raises(ValidationFailed) as bad_target:
        service.transition_flag(ctx, flag["id"], {"to": "gone"})
    assert bad_target.value.field == "to"
    with pytest.raises(TransitionRefused) as refused:
        service.transition_flag(ctx, flag["id"], {"to": "aid_given"})
    assert refused.value.detail["allowed_statuses"] == ["confirmed", "not_duplicate", "justified_top_up"]
    with pytest.raises(NotFound):
        service.transition_flag(ctx, 99999, {"to": "confirmed"})
    view = service.transition_flag(ctx, flag["id"], {"to": "justified_top_up", "reason": "winter top-up agreed"})
    assert view["status"] == "justified_top_up" and view["allowed_statuses"] == []
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in view["history"]] == [
        (None, "open", None), ("open", "justified_top_up", "winter top-up agreed")]
    assert [e["kind"] for e in published] == ["aid_flag.changed"] and published[0]["public"] is False
    with world.read() as session:
        audit = session.scalars(select(AuditEntry).filter_by(action="aid_flag.transition")).one()
        assert (audit.entity_id, audit.reason) == (str(flag["id"]), "winter top-up agreed")
    with pytest.raises(TransitionRefused):
        service.transition_flag(ctx, flag["id"], {"to": "confirmed"})
    # a later sweep finds the same duplicate again and leaves it resolved
    service.sweep(_ctx(world, T0 + timedelta(days=5)), T0 + timedelta(days=5))
    assert _flags(world, id=flag["id"])[0]["status"] == "justified_top_up"
    assert len(_steps(world, flag["id"])) == 2


def test_missed_food_closes_by_itself_when_aid_is_given_in_the_window(world):
    since = T0 + timedelta(days=10)
    _unmet_food(world, "HH3", since)
    service.sweep(_ctx(world, since), since + HOUR)
    [entry] = _flags(world, household_id="HH3", kind="missed")
    assert entry["key"] == f"missed:HH3:food:guarantee:food:{since:%Y%m%dT%H%M%SZ}"
    assert (entry["status"], entry["reason"], entry["deadline"]) == ("open", "no_aid", since + timedelta(hours=24))
    _give_food(world, "HH3", since + timedelta(hours=23))  # just inside the 24-hour window
    published = []
    result = service.sweep(_ctx(world, since + timedelta(hours=23), published), since + timedelta(hours=23, minutes=5))
    [entry] = _flags(world, household_id="HH3", kind="missed")
    assert entry["status"] == "aid_given" and result["closed"] == 1
    assert _steps(world, entry["id"])[-1] == ("open", "aid_given", "aid given in time")
    assert [e["kind"] for e in published] == ["aid_flag.changed"]
    service.sweep(_ctx(world, since + timedelta(days=2)), since + timedelta(days=2))  # the verdict still says unmet
    assert [f["status"] for f in _flags(world, household_id="HH3", kind="missed")] == ["aid_given"]


def test_aid_after_the_deadline_closes_the_entry_naming_the_late_aid(world):
    since = T0 + timedelta(days=10)
    _unmet_food(world, "HH3", since)
    service.sweep(_ctx(world, since), since + HOUR)
    late = _give_food(world, "HH3", since + timedelta(hours=24, seconds=1))  # one second past the window
    service.sweep(_ctx(world, since + timedelta(hours=25)), since + timedelta(hours=25))
    [entry] = _flags(world, household_id="HH3", kind="missed")
    assert (entry["status"], entry["reason"], entry["aid_id"]) == ("aid_given", "aid_late", f"distribution:{late}")


def test_a_missed_entry_without_aid_stays_open_until_a_reason_is_recorded(world):
    since = T0 + timedelta(days=10)
    _unmet_food(world, "HH3", since)
    service.sweep(_ctx(world, since), since + HOUR)
    service.sweep(_ctx(world, since + timedelta(days=3)), since + timedelta(days=3))
    [entry] = _flags(world, household_id="HH3", kind="missed")
    assert entry["status"] == "open"
    listed = service.list_flags(_ctx(world, since + timedelta(days=3)), flag="missed", status="open")
    assert any(i["id"] == entry["id"] and i["overdue"] for i in listed["items"])
    with pytest.raises(ValidationFailed):
        service.transition_flag(_ctx(world, since + timedelta(days=3)), entry["id"], {"to": "dismissed"})
    view = service.transition_flag(_ctx(world, since + timedelta(days=3)), entry["id"],
                                   {"to": "dismissed", "reason": "moved to relatives in Wuhan"})
    assert view["status"] == "dismissed" and view["resolution_reason"] == "moved to relatives in Wuhan"


def test_overdue_entries_are_announced_once_at_their_deadline(world):
    since = T0 + timedelta(days=10)
    _unmet_food(world, "HH3", since)
    service.sweep(_ctx(world, since), since + HOUR)
    deadline = since + timedelta(hours=24)
    published = []
    before = service.announce_overdue(_ctx(world, deadline, published))
    hh3 = [e for e in published if e["payload"]["household_id"] == "HH3"]
    assert hh3 == [] and before["next_deadline_at"] <= deadline
    service.announce_overdue(_ctx(world, deadline + timedelta(seconds=1), published))
    hh3 = [e for e in published if e["payload"]["household_id"] == "HH3"]
    assert [e["kind"] for e in hh3] == ["aid_flag.overdue"] and hh3[0]["public"] is False
    assert hh3[0]["payload"]["overdue"] is True
    service.announce_overdue(_ctx(world, deadline + timedelta(minutes=5), published))
    assert len([e for e in published if e["payload"]["household_id"] == "HH3"]) == 1


def test_an_override_at_giving_is_a_resolved_flag_the_sweep_does_not_reopen(world):
    ctx = _ctx(world, T0 + timedelta(days=3))
    finding = domain.Finding(domain.OVERLAPPING, {"earlier_aid_ids": ("distribution:1",),
                                                   "sources": ("depot:D1", f"agency:{w.AGENCY}")})
    with ctx.transaction() as unit:
        service.record_override(unit, household_id="HH1", purpose="food", aid_id="partner:1", findings=[finding],
                                reason="the county's rice ran short")
    service.sweep(ctx, T0 + timedelta(days=3))
    [flag] = _flags(world, key="duplicate:overlapping_sources:partner:1")
    assert (flag["status"], flag["resolution_reason"]) == ("justified_top_up", "the county's rice ran short")
    assert [s[:2] for s in _steps(world, flag["id"])] == [(None, "open"), ("open", "justified_top_up")]
    with world.read() as session:
        assert session.scalars(select(AuditEntry).filter_by(action="aid_flag.override")).one().reason == \
            "the county's rice ran short"


def test_the_household_chain_is_in_time_order_with_its_flags(world):
    service.sweep(_ctx(world, T0), T0 + timedelta(days=3))
    view = service.household_aid(_ctx(world, T0 + timedelta(days=3)), "HH1")
    assert [link["aid_id"] for link in view["links"]] == ["distribution:1", "partner:1", "assistance:C1"]
    assert {f["aid_id"] for f in view["flags"] if f["flag"] == "duplicate"} == {"partner:1", "assistance:C1"}
    with pytest.raises(NotFound):
        service.household_aid(_ctx(world, T0), "nobody")


def test_counts_by_township_carry_no_household(world):
    service.sweep(_ctx(world, T0), T0 + timedelta(days=3))
    board = service.counts(_ctx(world, T0 + timedelta(days=3)))
    west = next(t for t in board["by_township"] if t["township_code"] == w.aw.WEST)
    assert west["duplicate"] == 2
    assert all(set(t) == {"township_code", "duplicate", "missed", "total"} for t in board["by_township"])
    assert board["oldest"] and board["open"] == sum(t["total"] for t in board["by_township"])


def test_the_scheduler_announces_missed_aid_at_its_deadline_and_wakes_for_it(world):
    from relief.scheduler import Scheduler

    since = T0 + timedelta(days=10)
    _unmet_food(world, "HH3", since)
    service.sweep(_ctx(world, since), since + HOUR)
    deadline = since + timedelta(hours=24)
    published: list = []
    at = {"now": deadline - timedelta(seconds=5)}

    def contexts():
        ctx = context(world, Actor(None, "tester", "admin"), published)
        ctx.clock = lambda: at["now"]
        return ctx

    loop = Scheduler(contexts, seconds=15, holder="aid-test")
    before = loop.tick()
    assert before.aid_overdue is not None and before.aid_overdue["next_deadline_at"] <= deadline
    assert loop.pause_after(before) <= 5.0  # it wakes at the deadline, not a tick later
    assert not [e for e in published if e["kind"] == "aid_flag.overdue" and e["payload"]["household_id"] == "HH3"]
    at["now"] = deadline + timedelta(milliseconds=1)
    after = loop.tick()
    overdue = [e for e in published if e["kind"] == "aid_flag.overdue" and e["payload"]["household_id"] == "HH3"]
    assert len(overdue) == 1 and after.aid_overdue["announced"] >= 1
    assert "missed aid overdue" in after.describe()


def test_a_programme_makes_each_admitted_household_due_from_its_own_last_change_or_the_publication():
    transitional = assistance_domain.Figures.of(Standards.bundled()).programmes["transitional"]
    published = pd.Timestamp("2026-06-01T00:00:00Z")
    households = pd.DataFrame({
        "household_id": ["A", "B", "C", "D"], "members": [3, 5, 2, 3],
        "house_damage": ["none", "collapsed", "general", "collapsed"],
        "shelter": ["home", "site", "home", "site"], "assistance_category": [None, "dibao", None, "dibao"],
        "updated_at": pd.to_datetime(["2026-06-09T00:00:00Z", "2026-06-05T00:00:00Z", "2026-06-07T00:00:00Z",
                                      "2026-05-01T00:00:00Z"])})
    due = service._programme_due(households, [(published.to_pydatetime(), transitional)])
    since = dict(zip(due["household_id"], pd.DatetimeIndex(due["since"])))
    # B and D are admitted: B from its own change (after the publication), D from the publication (its
    # change came first); A's later change does not lend B its date.
    assert since == {"B": pd.Timestamp("2026-06-05T00:00:00Z"), "D": published}
    assert set(due["basis"]) == {"programme:transitional"} and set(due["purpose"]) == {transitional.purpose}
