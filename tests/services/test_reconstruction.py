"""Reconstruction use cases: transitions with history and audit, inspections exactly once, tranches, progress."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from relief.errors import Conflict, Forbidden, NotFound, ResendMismatch, TransitionRefused, ValidationFailed
from relief.services import reconstruction as service
from relief.services.context import Actor
from relief.store.tables import AuditEntry, Event, House, HousePayment, HouseTransition, Inspection
from tests import reconstruction_world as rw
from tests.world import context


@pytest.fixture
def world(store):
    rw.build_areas(store)
    return store


def _ctx(store, published=None, *, role="reconstruction_officer", at=rw.T0 + timedelta(days=1)):
    ctx = context(store, Actor(None, f"{role}-1", role), published)
    ctx.clock = lambda: at
    return ctx


def _count(store, model, **where) -> int:
    with store.read() as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


def _house(store, house_id: str) -> House:
    with store.read() as session:
        row = session.get(House, house_id)
        session.expunge(row)
        return row


def test_a_transition_writes_history_audit_and_an_event_after_commit(world):
    rw.add_house(world, "H1")
    published: list = []
    answer = service.transition(_ctx(world, published), "H1", {"stage": "eligible"})
    assert answer["house"]["properties"]["stage"] == "eligible"
    assert answer["allowed_stages"] == ["agreement_signed"]
    house = _house(world, "H1")
    assert house.stage == "eligible" and house.stage_since == rw.T0 + timedelta(days=1)
    assert house.stalls_at == house.stage_since + timedelta(days=rw.FIGURES.limits_days["eligible"])
    assert _count(world, HouseTransition, house_id="H1") == 1
    assert _count(world, AuditEntry, action="house.transition", entity_id="H1") == 1
    assert [e["kind"] for e in published] == ["house.changed"]
    event = published[0]
    assert event["topic"] == "reconstruction" and event["public"] is False
    assert event["payload"]["change"]["stage"] == {"from": "assessed", "to": "eligible"}


def test_the_house_is_placed_by_its_position(world):
    rw.add_house(world, "HW", lon=109.2)
    rw.add_house(world, "HE", lon=109.8)
    assert (_house(world, "HW").township_code, _house(world, "HW").village_code) == (rw.WEST, rw.WEST_VILLAGE)
    assert (_house(world, "HE").county_code, _house(world, "HE").township_code) == (rw.COUNTY, rw.EAST)


@pytest.mark.parametrize("body, field", [
    ({"stage": "demolished"}, "stage"), ({}, "stage"), ({"stage": 5}, "stage"),
    ({"stage": "excluded"}, "reason"), ({"stage": "excluded", "reason": "x" * 2001}, "reason")])
def test_bad_transitions_name_the_field_and_write_nothing(world, body, field):
    rw.add_house(world, "H1")
    with pytest.raises(ValidationFailed) as refused:
        service.transition(_ctx(world), "H1", body)
    assert refused.value.field == field
    assert _house(world, "H1").stage == "assessed" and _count(world, HouseTransition) == 0


def test_a_skipped_stage_is_refused(world):
    rw.add_house(world, "H1", stage="started", mode="in_place")
    with pytest.raises(TransitionRefused):
        service.transition(_ctx(world), "H1", {"stage": "roofed"})
    assert _count(world, HouseTransition) == 0 and _count(world, Event) == 0


def test_roles_outside_the_table_are_forbidden(world):
    rw.add_house(world, "H1")
    with pytest.raises(Forbidden):
        service.transition(_ctx(world, role="field_reporter"), "H1", {"stage": "eligible"})
    with pytest.raises(NotFound):
        service.transition(_ctx(world), "nope", {"stage": "eligible"})


def test_exclusion_keeps_the_reason_and_reopening_clears_it(world):
    rw.add_house(world, "H1")
    service.transition(_ctx(world), "H1", {"stage": "excluded", "reason": "house belongs to a second home"})
    assert _house(world, "H1").exclusion_reason == "house belongs to a second home"
    assert _house(world, "H1").stalls_at is None
    service.transition(_ctx(world), "H1", {"stage": "assessed", "reason": "re-survey"})
    assert _house(world, "H1").exclusion_reason is None and _house(world, "H1").stage == "assessed"


def test_failed_inspection_keeps_the_stage_until_a_later_one_passes(world):
    rw.add_house(world, "H1", stage="started", mode="in_place")
    ctx = _ctx(world)
    failed = service.add_inspection(ctx, "H1", {"client_id": "i-1", "milestone": "foundation", "result": "fail"})
    assert failed.created and _house(world, "H1").correction_required
    with pytest.raises(TransitionRefused) as refused:
        service.transition(ctx, "H1", {"stage": "foundation"})
    assert refused.value.field == "inspection"
    passed = service.add_inspection(ctx, "H1", {"client_id": "i-2", "milestone": "foundation", "result": "pass"})
    assert not _house(world, "H1").correction_required
    answer = service.transition(ctx, "H1", {"stage": "foundation"})
    assert answer["transition"]["inspection_id"] == passed.body["inspection"]["id"]
    assert _house(world, "H1").stage == "foundation"


def test_an_inspection_of_another_milestone_is_refused_and_writes_nothing(world):
    rw.add_house(world, "H1", stage="started", mode="in_place")
    for body, field in (({"milestone": "main_structure", "result": "pass"}, "milestone"),
                        ({"milestone": "roofed", "result": "pass"}, "milestone"),
                        ({"milestone": "foundation", "result": "maybe"}, "result"),
                        ({"milestone": "foundation", "result": "pass", "lat": 30.5}, "lon")):
        with pytest.raises(ValidationFailed) as refused:
            service.add_inspection(_ctx(world), "H1", {"client_id": "c1", **body})
        assert refused.value.field == field
    assert _count(world, Inspection) == 0


def test_an_inspection_is_recorded_once_per_client_id(world):
    rw.add_house(world, "H1", stage="started", mode="in_place")
    published: list = []
    body = {"client_id": "phone-7:42", "milestone": "foundation", "result": "pass", "lat": 30.5, "lon": 109.2}
    first = service.add_inspection(_ctx(world, published), "H1", dict(body))
    again = service.add_inspection(_ctx(world, published), "H1", dict(body))
    assert first.created and not again.created
    assert again.body["inspection"]["id"] == first.body["inspection"]["id"]
    assert _count(world, Inspection) == 1 and len(published) == 1
    with pytest.raises(ResendMismatch) as refused:
        service.add_inspection(_ctx(world), "H1", {**body, "result": "fail"})
    assert refused.value.field == "client_id" and _count(world, Inspection) == 1


def _to_main_structure(store, house_id="H1", **kw):
    rw.add_house(store, house_id, stage="foundation", mode="in_place", **kw)
    service.add_inspection(_ctx(store), house_id, {"client_id": f"{house_id}-ms", "milestone": "main_structure",
                                                   "result": "pass"})


def test_a_tranche_is_refused_until_its_inspection_passed(world):
    rw.add_house(world, "H1", stage="foundation", mode="in_place")
    ctx = _ctx(world)
    with pytest.raises(Conflict) as refused:
        service.pay(ctx, "H1", {"tranche": "main_structure"})
    assert refused.value.status == 409 and refused.value.field == "tranche"
    service.add_inspection(ctx, "H1", {"client_id": "ms-fail", "milestone": "main_structure", "result": "fail"})
    with pytest.raises(Conflict):
        service.pay(ctx, "H1", {"tranche": "main_structure"})
    assert _count(world, HousePayment) == 0
    ok = service.add_inspection(ctx, "H1", {"client_id": "ms-pass", "milestone": "main_structure", "result": "pass"})
    paid = service.pay(ctx, "H1", {"tranche": "main_structure"})
    assert paid["payment"]["amount"] == 16000.0
    assert paid["payment"]["inspection_id"] == ok.body["inspection"]["id"]


def test_payments_keep_the_tranche_invariant(world):
    _to_main_structure(world, category="dibao")
    ctx = _ctx(world)
    service.pay(ctx, "H1", {"tranche": "agreement"})
    with pytest.raises(Conflict):
        service.pay(ctx, "H1", {"tranche": "agreement"})
    with pytest.raises(ValidationFailed) as refused:
        service.pay(ctx, "H1", {"tranche": "main_structure", "amount": 20000.01})
    assert refused.value.field == "amount"
    with pytest.raises(ValidationFailed) as refused:
        service.pay(ctx, "H1", {"tranche": "bonus"})
    assert refused.value.field == "tranche"
    service.pay(ctx, "H1", {"tranche": "main_structure", "amount": 19000})
    detail = service.house_detail(ctx, "H1")
    assert detail["subsidy"]["entitled"] == 50000 and detail["subsidy"]["paid"] == 34000
    assert detail["subsidy"]["paid"] <= detail["subsidy"]["entitled"]
    assert [t["due"] for t in detail["subsidy"]["tranches"]] == [0, 0, 0]
    assert _count(world, HousePayment) == 2


def test_the_detail_has_history_inspections_payments_and_names(world):
    _to_main_structure(world)
    ctx = _ctx(world)
    service.transition(ctx, "H1", {"stage": "main_structure"})
    service.pay(ctx, "H1", {"tranche": "main_structure"})
    detail = service.house_detail(ctx, "H1")
    assert detail["house"]["properties"]["head_name"] == "户主HH-H1"
    assert [h["to"] for h in detail["history"]] == ["main_structure"]
    assert [i["milestone"] for i in detail["inspections"]] == ["main_structure"]
    assert [p["tranche"] for p in detail["payments"]] == ["main_structure"]
    assert detail["areas"][rw.WEST]["zh"] == f"区{rw.WEST}"
    assert detail["subsidy"]["due"] == 12000  # the agreement tranche: reached, not paid


def test_house_rows_and_summary_from_the_store(world):
    _to_main_structure(world, "H1")
    rw.add_house(world, "H2", stage="eligible", lon=109.8, since=rw.T0 - timedelta(days=40))
    rw.add_house(world, "H3", stage="excluded", lon=109.8)
    ctx = _ctx(world)
    rows = service.house_rows(ctx, rw.T0 + timedelta(days=1)).set_index("house_id")
    assert rows.loc["H1", "due"] == 12000 + 16000 and rows.loc["H2", "stalled"] == 1
    by_township = {r["code"]: r for r in service.summary(ctx, "township")["rows"]}
    assert by_township[rw.WEST]["started_rate"] == 1.0 and by_township[rw.EAST]["enrolled"] == 1
    assert by_township[rw.EAST]["name"]["en"] == f"Area {rw.EAST}"
    county = service.summary(ctx, "county")
    assert county["totals"]["houses"] == 3 and county["totals"]["stalled"] == 1
    with pytest.raises(ValidationFailed):
        service.summary(ctx, "village")


def test_list_houses_filters(world):
    rw.add_house(world, "H1", stage="started", mode="in_place", since=rw.T0 - timedelta(days=40))
    rw.add_house(world, "H2", stage="eligible", lon=109.8)
    ctx = _ctx(world)
    ids = lambda answer: [f["id"] for f in answer["features"]]  # noqa: E731
    assert ids(service.list_houses(ctx)) == ["H1", "H2"]
    assert ids(service.list_houses(ctx, stalled=True)) == ["H1"]
    assert ids(service.list_houses(ctx, stalled=False)) == ["H2"]
    assert ids(service.list_houses(ctx, township_code=rw.EAST)) == ["H2"]
    assert ids(service.list_houses(ctx, stages=["started"])) == ["H1"]
    feature = service.list_houses(ctx, stages=["started"])["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["stalled"] is True


def test_stalled_houses_are_announced_once_at_their_moment(world):
    limit = timedelta(days=rw.FIGURES.limits_days["started"])
    rw.add_house(world, "H1", stage="started", mode="in_place", since=rw.T0)
    published: list = []
    assert service.announce_stalled(_ctx(world, published, at=rw.T0 + limit))["announced"] == 0
    assert service.announce_stalled(_ctx(world, published, at=rw.T0 + limit - timedelta(seconds=1)))[
        "next_stall_at"] == rw.T0 + limit
    after = rw.T0 + limit + timedelta(seconds=1)
    assert service.announce_stalled(_ctx(world, published, at=after))["announced"] == 1
    assert service.announce_stalled(_ctx(world, published, at=after + timedelta(days=1)))["announced"] == 0
    assert [e["kind"] for e in published] == ["house.stalled"]
