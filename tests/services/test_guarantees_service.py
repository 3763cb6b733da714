"""The guarantees service on stored data: loading, the recheck hook, recompute_all."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from shapely.geometry import Point
from sqlalchemy import func, select

from relief.domain import guarantees as rules
from relief.errors import NotFound
from relief.services import guarantees as service
from relief.store import bulk, guarantee_inputs
from relief.store.tables import Distribution, Event, Facility, GuaranteeStatus, Household, Item, Site

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _households(**overrides) -> pd.DataFrame:
    base = dict(head_name="某某", members=2, infants=0, children=0, elderly=0, disabled=0, chronic=0, pregnant=0,
                injured=0, house_damage="severe", needs_living_aid=True, evacuated=True, shelter="site",
                site_id="S1", village_code=None, county_code="422801")
    rows = [
        dict(base, id="H1", geom=Point(109.48, 30.28)),
        dict(base, id="H2", geom=Point(109.49, 30.28)),
        dict(base, id="H3", geom=Point(109.50, 30.29), shelter="home", site_id=None, house_damage="none",
             needs_living_aid=False, evacuated=False, county_code="422802"),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def register(ctx):
    """Two evacuees at one open site (no meals, no water) and one household outside the relief scope."""
    sites = pd.DataFrame([dict(id="S1", name="School", kind="school", county_code="422801", capacity_persons=100,
                               covered_area_m2=100.0, water_l_per_day=0.0, provides_meals=False,
                               medical_post=False, status="open", geom=Point(109.48, 30.28))])
    facilities = pd.DataFrame([dict(id="F1", name="Clinic", kind="clinic", county_code="422801", operating=True,
                                    geom=Point(109.481, 30.281))])
    items = pd.DataFrame([dict(code="RICE", name="Rice", unit="kg", guarantee="food", kcal_per_unit=3500.0,
                               litres_per_unit=0.0, sets_per_unit=0.0, pieces_per_unit=0.0)])
    with ctx.transaction() as unit:
        bulk.insert_frame(unit.session, Site, sites)
        bulk.insert_frame(unit.session, Facility, facilities)
        bulk.insert_frame(unit.session, Item, items)
        bulk.insert_frame(unit.session, Household, _households())
    return ctx


def _events(ctx, kind="guarantee.changed"):
    with ctx.reading() as session:
        query = select(Event.topic, Event.area_code, Event.payload).where(Event.kind == kind).order_by(Event.seq)
        return [row._asdict() for row in session.execute(query)]


def _give_rice(unit, household_id, kg, at):
    unit.session.add(Distribution(household_id=household_id, item_code="RICE", quantity=kg, distributed_at=at))
    unit.session.flush()


def test_loaded_frames_are_what_evaluate_reads(register):
    with register.reading() as session:
        loaded = guarantee_inputs.load_inputs(session)
    hh = loaded.households.set_index("household_id")
    assert list(hh.index) == ["H1", "H2", "H3"]
    assert hh.loc["H1", "lon"] == pytest.approx(109.48) and hh.loc["H1", "lat"] == pytest.approx(30.28)
    assert hh["evacuated"].dtype == bool
    assert loaded.sites.loc[0, "site_id"] == "S1" and loaded.sites.loc[0, "lon"] == pytest.approx(109.48)
    assert list(loaded.facilities.columns) == ["facility_id", "operating", "lon", "lat"]
    assert list(loaded.items["item_code"]) == ["RICE"]
    assert loaded.distributions.empty and "distributed_at" in loaded.distributions.columns
    result = rules.evaluate(**loaded.frames(), as_of=NOW, standards=register.standards)
    assert result.loc["H1", "food"] == "unmet" and result.loc["H3", "food"] == "not_applicable"


def test_subset_loads_the_sites_occupancy_from_all_occupants(register):
    with register.reading() as session:
        loaded = guarantee_inputs.load_inputs(session, ["H1"])
    assert list(loaded.households["household_id"]) == ["H1"]
    assert loaded.occupancy.to_dict() == {"S1": 4.0}  # H1 and H2, two members each


def test_recheck_emits_only_changed_households_and_persists(register):
    ctx = register
    first = service.recompute_all(ctx, as_of=NOW)
    assert first == {"households": 3, "changed": 3}
    assert len(_events(ctx)) == 2  # one per county
    with ctx.transaction() as unit:
        unit.now = NOW
        _give_rice(unit, "H1", 10.0, NOW - timedelta(hours=1))  # 35,000 kcal: 2 people for ~8 days
        changed = service.recheck_households(unit, ["H1", "H2"])
    assert changed == 1
    events = _events(ctx)
    assert len(events) == 3
    change, = events[-1]["payload"]["changes"]
    assert change["household_id"] == "H1" and change["county_code"] == "422801"
    assert change["before"]["food"] == "unmet" and change["after"]["food"] == "met"
    assert set(change) == {"household_id", "village_code", "county_code", "before", "after"}
    assert events[-1]["area_code"] == "422801" and events[-1]["topic"] == "guarantees"
    with ctx.reading() as session:
        kept = session.get(GuaranteeStatus, "H1")
        assert kept.food == "met" and kept.reasons["food"]["code"] == "food_covered"
        assert kept.shortfalls["food"] == 0
        assert session.get(GuaranteeStatus, "H2").food == "unmet"
    with ctx.transaction() as unit:
        unit.now = NOW
        assert service.recheck_households(unit, ["H1", "unknown"]) == 0
    assert len(_events(ctx)) == 3


def test_recheck_rolls_back_with_the_callers_transaction(register):
    ctx = register
    with pytest.raises(RuntimeError):
        with ctx.transaction() as unit:
            service.recheck_households(unit, ["H1"])
            raise RuntimeError("the caller failed")
    with ctx.reading() as session:
        assert session.scalar(select(func.count()).select_from(GuaranteeStatus)) == 0
    assert _events(ctx) == []


def test_evaluate_all_and_household_guarantees_read_only(register):
    ctx = register
    frame = service.evaluate_all(ctx, as_of=NOW, profile="cold")
    assert list(frame.index) == ["H1", "H2", "H3"]
    assert frame.loc["H1", "county_code"] == "422801"
    one = service.household_guarantees(ctx, "H1", as_of=NOW)
    assert one["food"] == "unmet" and one["reason_codes"]["food"] == "food_none"
    fig = rules.Figures.read(ctx.standards)
    assert one["shortfalls"]["food"] == pytest.approx(2 * fig.food_kcal * fig.horizon_s / 86_400)
    assert one["as_of"] == NOW.isoformat()
    with pytest.raises(NotFound):
        service.household_guarantees(ctx, "nope", as_of=NOW)
    with ctx.reading() as session:
        assert session.scalar(select(func.count()).select_from(GuaranteeStatus)) == 0


def test_recompute_all_restamps_unchanged_rows_and_writes_the_rest(register):
    ctx = register
    service.recompute_all(ctx, as_of=NOW)
    later = NOW + timedelta(hours=1)
    assert service.recompute_all(ctx, as_of=later) == {"households": 3, "changed": 0}
    with ctx.reading() as session:
        rows = {r.household_id: r for r in session.scalars(select(GuaranteeStatus))}
        assert {r.as_of for r in rows.values()} == {later}
        assert rows["H3"].food == "not_applicable" and rows["H3"].reasons["food"]["code"] == "not_in_scope"
        assert rows["H1"].shortfalls["food"] > 0


def test_recheck_without_standards_uses_the_version_in_force(register):
    from relief.domain.standards import default_document
    from relief.services import standards as standards_service

    ctx = register
    document = default_document()
    document["version"] = "local-2"
    document["guarantees"]["coverage_horizon_hours"] = 1000.0  # nobody's rice lasts that long
    standards_service.publish(ctx, document, reason="test")
    with ctx.transaction() as unit:
        unit.now = NOW
        _give_rice(unit, "H1", 10.0, NOW - timedelta(hours=1))
        service.recheck_households(unit, ["H1"])
    with ctx.reading() as session:
        kept = session.get(GuaranteeStatus, "H1")
        assert kept.standards_version == "local-2" and kept.food == "at_risk"


def test_rows_for_a_few_households_load_and_judge_as_the_frames_do(register):
    with register.transaction() as unit:
        _give_rice(unit, "H1", 1, NOW - timedelta(hours=2))
    with register.reading() as session:
        frames = guarantee_inputs.load_inputs(session, ["H1", "H2"], as_of=NOW, visit_window_days=7)
        rows = guarantee_inputs.load_rows(session, ["H2", "H1"], as_of=NOW, visit_window_days=7)
    assert [h["household_id"] for h in rows.households] == list(frames.households["household_id"])
    assert rows.households[0]["lon"] == frames.households.loc[0, "lon"] and rows.occupancy == {"S1": 4.0}
    assert rows.households[0]["kept_food"] is None and rows.households[0]["county_code"] == "422801"
    assert rows.distributions[0]["distributed_at"] == NOW - timedelta(hours=2)
    result = rules.evaluate(**frames.frames(), as_of=NOW, standards=register.standards)
    few = rules.evaluate_few(**rows.rows(), as_of=NOW, standards=register.standards)
    for verdict in few:
        row = result.loc[verdict.household_id]
        assert verdict.statuses == {g: row[g] for g in rules.GUARANTEES}
        assert verdict.reason_codes == {g: row[f"reason_code_{g}"] for g in rules.GUARANTEES}
        assert verdict.shortfalls["food"] == row["shortfall_food"]
        assert verdict.medical_km == row["medical_km"]
        assert verdict.food_covered_until == (None if pd.isna(row["food_covered_until"]) else row["food_covered_until"])
    assert few[0].statuses["food"] == "at_risk" and few[1].statuses["food"] == "unmet"
