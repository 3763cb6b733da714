"""Check-in/out, assignment proposals and acceptance (also racing), displacement, one site's detail."""
from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from relief.errors import CapacityExceeded, Conflict, NotFound, ValidationFailed
from relief.services import relocation
from relief.services.context import Actor
from relief.store.layer_queries import site_occupancy
from relief.store.tables import AuditEntry, GuaranteeStatus, Household
from tests import world


def occupancy(store) -> dict[str, int]:
    with store.read() as session:
        return site_occupancy(session)


def where(store, household_id):
    with store.read() as session:
        h = session.get(Household, household_id)
        return h.shelter, h.site_id, h.dispersed_kind, h.evacuated


@pytest.fixture
def place(store):
    world.build(store, households=[
        world.household("H1", 4, 109.451), world.household("H2", 3, 109.452), world.household("H3", 5, 109.453),
        world.household("H4", 6, 109.454), world.household("H9", 2, 109.47, shelter="site", site_id="S1",
                                                            evacuated=True)])
    return store


def test_check_in_updates_occupancy_and_publishes_the_site_after_commit(place):
    published = []
    ctx = world.context(place, published=published)
    answer = relocation.check_in(ctx, "H1", {"site_id": "S1", "reason": "house cracked"})
    assert answer["changed"] is True
    assert answer["household"]["shelter"] == "site" and "head_name" not in answer["household"]
    assert where(place, "H1") == ("site", "S1", None, True)
    assert occupancy(place)["S1"] == 6
    events = [e for e in published if e["kind"] == "site.occupancy_changed"]
    assert len(events) == 1 and events[0]["seq"] > 0 and events[0]["topic"] == "sites"
    assert events[0]["area_code"] == world.COUNTY and events[0]["payload"]["site_id"] == "S1"
    props = events[0]["payload"]["feature"]["properties"]
    assert (props["occupants"], props["free_capacity"], props["m2_per_person"]) == (6, 4, round(100 / 6, 2))
    assert events[0]["payload"]["feature"]["geometry"]["type"] == "Point"
    with place.read() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.checkin")).one()
        assert (audit.entity_id, audit.reason, audit.actor_name) == ("H1", "house cracked", "tester")
        assert session.get(GuaranteeStatus, "H1").housing in {"met", "at_risk", "unmet"}


def test_events_are_published_only_after_commit(place):
    """When the site's event goes out, another session already sees the new occupancy."""
    seen = []
    ctx = replace(world.context(place), publish=lambda events: seen.append((events, occupancy(place))))
    relocation.check_in(ctx, "H1", {"site_id": "S1"})
    relocation.check_out(ctx, "H1", {"to": "home"})
    site_events = [(e["payload"]["feature"]["properties"]["occupants"], visible.get("S1", 0))
                   for events, visible in seen for e in events if e["kind"] == "site.occupancy_changed"]
    assert site_events == [(6, 6), (2, 2)]


def test_check_in_again_changes_nothing(place):
    ctx = world.context(place)
    relocation.check_in(ctx, "H1", {"site_id": "S1"})
    published = []
    again = relocation.check_in(world.context(place, published=published), "H1", {"site_id": "S1"})
    assert again["changed"] is False and published == []


def test_check_in_over_capacity_names_site_and_free_places_and_writes_nothing(place):
    published = []
    ctx = world.context(place, published=published)
    relocation.check_in(ctx, "H1", {"site_id": "S1"})  # 2 + 4 of 10
    published.clear()
    with pytest.raises(CapacityExceeded) as refused:
        relocation.check_in(ctx, "H4", {"site_id": "S1"})  # 6 more: 4 free
    assert refused.value.field == "site_id" and refused.value.status == 409
    assert "S1" in refused.value.message and "4 free places" in refused.value.message
    assert refused.value.detail == {"site_id": "S1", "free_capacity": 4, "needed": 6, "household_id": "H4"}
    assert published == [] and where(place, "H4")[0] == "home" and occupancy(place)["S1"] == 6


def test_closed_site_and_unknown_ids_are_refused(place):
    ctx = world.context(place)
    with pytest.raises(Conflict) as closed:
        relocation.check_in(ctx, "H1", {"site_id": "S3"})
    assert closed.value.field == "site_id" and "closed" in closed.value.message
    with pytest.raises(NotFound) as site:
        relocation.check_in(ctx, "H1", {"site_id": "S404"})
    assert site.value.field == "site_id"
    with pytest.raises(NotFound) as household:
        relocation.check_in(ctx, "H404", {"site_id": "S1"})
    assert household.value.field == "household_id"


def test_moving_between_sites_publishes_both(place):
    published = []
    relocation.check_in(world.context(place), "H1", {"site_id": "S1"})
    relocation.check_in(world.context(place, published=published), "H1", {"site_id": "S2"})
    assert sorted(e["payload"]["site_id"] for e in published if e["kind"] == "site.occupancy_changed") == ["S1", "S2"]
    assert occupancy(place) == {"S1": 2, "S2": 4}


def test_checkout_to_dispersed_frees_the_place(place):
    published = []
    answer = relocation.check_out(world.context(place, published=published), "H9",
                                  {"to": "dispersed", "dispersed_kind": "host_family", "reason": "relatives in town"})
    assert answer["changed"] is True
    assert where(place, "H9") == ("dispersed", None, "host_family", True)
    assert "S1" not in occupancy(place)
    [event] = [e for e in published if e["kind"] == "site.occupancy_changed"]
    assert event["payload"]["feature"]["properties"]["occupants"] == 0


def test_checkout_home_clears_evacuated_and_records_dispersed_from_home(place):
    ctx = world.context(place)
    relocation.check_out(ctx, "H9", {"to": "home"})
    assert where(place, "H9") == ("home", None, None, False)
    published = []
    relocation.check_out(world.context(place, published=published), "H2",
                         {"to": "dispersed", "dispersed_kind": "rented"})
    assert where(place, "H2") == ("dispersed", None, "rented", True)
    assert not [e for e in published if e["kind"] == "site.occupancy_changed"]  # no site was left


@pytest.mark.parametrize("body, field", [
    ({"to": "hotel"}, "to"), ({}, "to"), ({"to": "dispersed"}, "dispersed_kind"),
    ({"to": "home", "dispersed_kind": "rented"}, "dispersed_kind"),
    ({"to": "dispersed", "dispersed_kind": "tent"}, "dispersed_kind"),
])
def test_bad_checkout_names_the_field(place, body, field):
    with pytest.raises(ValidationFailed) as refused:
        relocation.check_out(world.context(place), "H9", body)
    assert refused.value.field == field


# --- proposals and acceptance -------------------------------------------------------

@pytest.fixture
def endangered(store):
    """H1, H2 (same village) inside an evacuation zone; H3 collapsed; H4 safe; H5 in a zone without an order."""
    zone = world.hazard(109.445, 30.275, 109.456, 30.285)
    watch_only = world.hazard(109.60, 30.275, 109.62, 30.285, evacuate=False)
    world.build(store, incidents=[zone, watch_only], households=[
        world.household("H1", 4, 109.450), world.household("H2", 3, 109.451),
        world.household("H3", 5, 109.49, house_damage="collapsed", village_code=None),
        world.household("H4", 2, 109.50), world.household("H5", 2, 109.61)])
    return store


def test_proposal_places_who_must_leave_nearest_first_within_capacity(endangered):
    proposal = relocation.propose_assignments(world.context(endangered), {})
    placed = {a["household_id"]: a["site_id"] for a in proposal["assignments"]}
    assert placed == {"H1": "S1", "H2": "S1", "H3": "S2"}  # the village together at S1; S3 is closed
    reasons = {a["household_id"]: a["leave_reason"] for a in proposal["assignments"]}
    assert reasons == {"H1": "evacuation_zone", "H2": "evacuation_zone", "H3": "house_unsafe"}
    assert proposal["unplaced"] == []
    assert proposal["totals"]["persons"] == 12 and proposal["totals"]["placed_persons"] == 12
    assert len(proposal["token"]) == 32
    assert relocation.propose_assignments(world.context(endangered), {})["token"] == proposal["token"]


def test_proposal_lists_the_unplaced_when_room_runs_out(store):
    world.build(store, sites=[world.site("S1", 5, 109.45)], households=[
        world.household("H1", 4, 109.45, house_damage="severe"),
        world.household("H2", 4, 109.46, house_damage="severe", village_code=None)])
    proposal = relocation.propose_assignments(world.context(store), {})
    assert [a["household_id"] for a in proposal["assignments"]] == ["H1"]
    assert proposal["unplaced"][0]["household_id"] == "H2" and proposal["unplaced"][0]["reason"] == "no_capacity"


def test_accepting_a_proposal_checks_everyone_in_and_the_token_changes(endangered):
    published = []
    proposal = relocation.propose_assignments(world.context(endangered), {})
    answer = relocation.accept_assignments(world.context(endangered, published=published), {
        "assignments": [{"household_id": a["household_id"], "site_id": a["site_id"]} for a in proposal["assignments"]],
        "reason": "evacuation order 11-20", "token": proposal["token"]})
    assert sorted(answer["checked_in"]) == ["H1", "H2", "H3"]
    assert occupancy(endangered) == {"S1": 7, "S2": 5}
    assert sorted(e["payload"]["site_id"] for e in published if e["kind"] == "site.occupancy_changed") == ["S1", "S2"]
    after = relocation.propose_assignments(world.context(endangered), {})
    assert after["assignments"] == [] and after["token"] != proposal["token"]


def test_accept_is_all_or_nothing_naming_the_first_site_over_capacity(endangered):
    published = []
    with pytest.raises(CapacityExceeded) as refused:
        relocation.accept_assignments(world.context(endangered, published=published), {
            "assignments": [{"household_id": "H4", "site_id": "S2"}, {"household_id": "H1", "site_id": "S1"},
                            {"household_id": "H2", "site_id": "S1"}, {"household_id": "H3", "site_id": "S1"}],
            "reason": "edited by hand"})
    assert refused.value.field == "assignments[3].site_id" and refused.value.detail["free_capacity"] == 3
    assert occupancy(endangered) == {} and published == []


@pytest.mark.parametrize("body, field", [
    ({"assignments": [], "reason": "x"}, "assignments"),
    ({"assignments": [{"household_id": "H1", "site_id": "S1"}]}, "reason"),
    ({"assignments": [{"household_id": "H1"}], "reason": "x"}, "assignments[0].site_id"),
    ({"assignments": [{"household_id": "H1", "site_id": "S1"}, {"household_id": "H1", "site_id": "S2"}],
      "reason": "x"}, "assignments[1].household_id"),
    ({"assignments": ["H1"], "reason": "x"}, "assignments[0]"),
])
def test_bad_acceptance_names_the_field(endangered, body, field):
    with pytest.raises(ValidationFailed) as refused:
        relocation.accept_assignments(world.context(endangered), body)
    assert refused.value.field == field


def test_unknown_household_in_acceptance_names_its_position(endangered):
    with pytest.raises(NotFound) as refused:
        relocation.accept_assignments(world.context(endangered), {
            "assignments": [{"household_id": "H1", "site_id": "S1"}, {"household_id": "H404", "site_id": "S1"}],
            "reason": "x"})
    assert refused.value.field == "assignments[1].household_id"


def test_two_accepts_racing_for_the_last_places_never_exceed_capacity(store):
    """S1 has 10 places; two commanders accept 6 persons each at the same moment: one is refused."""
    world.build(store, households=[world.household("A1", 3, 109.45), world.household("A2", 3, 109.45),
                                   world.household("B1", 3, 109.45), world.household("B2", 3, 109.45)])
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def accept(name: str, ids: list[str]) -> None:
        ctx = world.context(store, Actor(None, name, "commander"))
        start.wait()
        try:
            relocation.accept_assignments(ctx, {"assignments": [{"household_id": h, "site_id": "S1"} for h in ids],
                                                "reason": "race"})
            outcomes[name] = "ok"
        except CapacityExceeded as refused:
            outcomes[name] = f"refused:{refused.detail['free_capacity']}"
        except Exception as error:  # noqa: BLE001 - shown by the assertion
            outcomes[name] = repr(error)

    threads = [threading.Thread(target=accept, args=("a", ["A1", "A2"])),
               threading.Thread(target=accept, args=("b", ["B1", "B2"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes.values()) == ["ok", "refused:1"], outcomes  # 4 free: one household fits, not two
    assert occupancy(store) == {"S1": 6}


def test_expected_displacement_by_county(endangered):
    answer = relocation.expected_displacement(world.context(endangered), reach_km=20)
    [county] = answer["counties"]
    # H1, H2 inside the evacuation zone and H5 inside the watch zone; H3's house is outside any zone
    assert county["county_code"] == world.COUNTY and county["county_name"]["zh"] == "恩施市"
    assert (county["households"], county["persons"]) == (3, 9)
    assert county["free_capacity"] == 30 and county["uncovered_persons"] == 0
    with pytest.raises(ValidationFailed) as bad:
        relocation.expected_displacement(world.context(endangered), reach_km=-1)
    assert bad.value.field == "reach_km"


def test_check_in_rechecks_everyone_already_at_the_site(store):
    """Crowding a site changes m² per person for its earlier occupants too, and they are re-judged."""
    world.build(store, sites=[world.site("S1", 40, 109.45, area_m2=30.0)], households=[
        world.household("H3", 5, 109.453), world.household("H4", 6, 109.454),
        world.household("H9", 2, 109.47, shelter="site", site_id="S1", evacuated=True)])
    ctx = world.context(store)

    def housing(household_id):
        with store.read() as session:
            return session.get(GuaranteeStatus, household_id).housing

    relocation.check_in(ctx, "H4", {"site_id": "S1"})  # 30 m² / 8 persons = 3.75 m²
    assert housing("H9") == "met"
    relocation.check_in(ctx, "H3", {"site_id": "S1"})  # 30 m² / 13 persons ≈ 2.3 m²
    assert housing("H9") == housing("H4") == housing("H3") == "at_risk"
    relocation.check_out(ctx, "H3", {"to": "home"})
    assert housing("H9") == "met"


# --- which zones count --------------------------------------------------------------

@pytest.mark.parametrize("status, counted", [("reported", False), ("verifying", False), ("verified", True),
                                             ("responding", True), ("stabilised", True), ("closed", False)])
def test_only_confirmed_incidents_move_people(store, status, counted):
    """Anyone may report a polygon; until a verifier confirms it, it displaces nobody and proposes no move."""
    world.build(store, incidents=[world.hazard(109.0, 29.0, 110.0, 31.0, status=status)], households=[
        world.household("H1", 4, 109.450), world.household("H2", 3, 109.451)])
    displaced = relocation.expected_displacement(world.context(store), reach_km=20)
    proposal = relocation.propose_assignments(world.context(store), {})
    assert displaced["totals"].get("persons", 0) == (7 if counted else 0)
    assert sorted(a["household_id"] for a in proposal["assignments"]) == (["H1", "H2"] if counted else [])
    assert proposal["totals"]["households"] == (2 if counted else 0)


def _circle(lon: float, lat: float, radius: float, vertices: int):
    from shapely.geometry import Polygon

    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    return Polygon(np.column_stack([lon + radius * np.cos(angles), lat + radius * np.sin(angles)]))


def test_a_zone_stored_with_needless_detail_is_thinned_before_the_spatial_join(store, monkeypatch):
    """A 200,000-vertex outline (stored before the input limit) must not make every proposal slow."""
    zone = world.hazard(0, 0, 1, 1)
    zone.geom = _circle(109.45, 30.28, 0.01, 200_000)
    world.build(store, incidents=[zone], households=[world.household("IN", 4, 109.45),
                                                     world.household("EDGE", 3, 109.4591),
                                                     world.household("OUT", 2, 109.458, 30.288)])  # in the box only
    seen = []
    must_leave = relocation.allocation.must_leave
    monkeypatch.setattr(relocation.allocation, "must_leave",
                        lambda households, zones: seen.append(zones) or must_leave(households, zones))
    proposal = relocation.propose_assignments(world.context(store), {})
    assert sorted(a["household_id"] for a in proposal["assignments"]) == ["EDGE", "IN"]
    assert shapely.get_num_coordinates(seen[0].geometry.to_numpy()).max() < 2_000
    displaced = relocation.expected_displacement(world.context(store), reach_km=20)
    assert displaced["totals"]["households"] == 2 and displaced["totals"]["persons"] == 7


def test_heavy_proposals_run_through_the_offload(store):
    """Under ``relief serve`` ``ctx.offload`` is gevent's thread pool: the spatial work must go through it."""
    world.build(store, incidents=[world.hazard(109.445, 30.275, 109.456, 30.285)],
                households=[world.household("H1", 4, 109.450)])
    ran = []

    def offload(work, *args):
        ran.append(work.__name__)
        return work(*args)

    ctx = replace(world.context(store), offload=offload)
    assert relocation.propose_assignments(ctx, {})["assignments"][0]["household_id"] == "H1"
    assert relocation.expected_displacement(ctx, reach_km=20)["totals"]["persons"] == 4
    assert len(ran) == 2
