"""The situation report's snapshot on a hand-built prefecture: figures counted by hand, Δ, issuing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from relief.errors import NotFound, ValidationFailed
from relief.services import sitrep, statutory
from tests import sitrep_world as world


@pytest.fixture
def scene(store, make_user):
    """The scenario at 08:00 the day after: three reports filed, two incidents."""
    world.build(store)
    commander = make_user("commander")
    ctx = world.context(store, commander.actor, world.OCCURRED + timedelta(hours=1))
    west = world.incident(ctx, 109.2)
    east = world.incident(ctx, 109.7)
    world.report(ctx, west, "initial", "T1", affected=100, dead=2, missing=1, relocated_centralised=30,
                 relocated_dispersed=10, collapsed_households=5, collapsed_rooms=12, economic_loss_10k_yuan=50.5)
    world.report(ctx, east, "initial", "T2", affected=40, missing=2, relocated_centralised=4, collapsed_households=1,
                 economic_loss_10k_yuan=10)
    later = world.at(ctx, world.OCCURRED + timedelta(hours=20))
    world.report(later, west, "continued", "T1", affected=150, dead=3, missing=1, relocated_centralised=40,
                 relocated_dispersed=10, collapsed_households=6, collapsed_rooms=14, severe_households=4,
                 economic_loss_10k_yuan=80)
    return {"ctx": world.at(ctx, world.MORNING), "west": west, "east": east}


def key(snap):
    return {row["name"]: row["value"] for row in snap["key"]}


def test_key_figures_are_the_latest_reports_summed_and_the_register_now(scene):
    snap = sitrep.snapshot(scene["ctx"], world.MORNING)
    figures = key(snap)
    # T1's continued report replaces its initial one: 150 + 40, 3 + 0, 1 + 2 …
    assert figures["affected"] == 190
    assert figures["dead"] == 3 and figures["missing"] == 3
    assert figures["relocated_centralised"] == 44 and figures["relocated_dispersed"] == 10
    assert figures["collapsed_households"] == 7 and figures["collapsed_rooms"] == 14
    assert figures["severe_households"] == 4
    assert figures["economic_loss_10k_yuan"] == pytest.approx(90.0)
    # Households: 6 + 4 at S1, 4 at S2; 3 dispersed.
    assert figures["relocated_centralised_now"] == 14 and figures["relocated_dispersed_now"] == 3
    assert snap["number"] == 1 and snap["issued"] is False and snap["previous"] is None
    assert all(row["delta"] is None for row in snap["key"])
    assert snap["highlights"][0]["code"] == "first_report"


def test_figures_equal_the_statutory_summary(scene):
    snap = sitrep.snapshot(scene["ctx"], world.MORNING)
    total = statutory.summary(scene["ctx"])["total"]
    for row in snap["key"]:
        if row["source"] == "reports":
            assert row["value"] == pytest.approx(total[row["name"]]), row["name"]
            assert row["query"] == "/api/reports/summary"


def test_counties_townships_sites_and_the_map(scene):
    snap = sitrep.snapshot(scene["ctx"], world.MORNING)
    counties = {c["code"]: c for c in snap["counties"]}
    assert counties[world.WEST]["affected"] == 150 and counties[world.EAST]["affected"] == 40
    assert counties[world.WEST]["name"]["zh"] == world.WEST_ZH
    assert counties[world.WEST]["relocated_centralised_now"] == 10
    assert counties[world.EAST]["relocated_centralised_now"] == 4
    assert [t["code"] for t in snap["townships"]["rows"]] == ["T1", "T2"]
    assert snap["sites"]["open"] == 2 and snap["sites"]["full"] == 1 and snap["sites"]["persons"] == 14
    assert snap["sites"]["fullest"][0]["site_id"] == "S1"
    assert {c["code"] for c in snap["map"]["counties"]} == {world.WEST, world.EAST}
    assert len(snap["map"]["points"]) == 2
    west_x = [p["x"] for p in snap["map"]["points"]]
    assert min(west_x) < snap["map"]["width"] / 2 < max(west_x)  # west incident drawn left of the east one
    # 09:00 Beijing time is the next continued-report deadline after 08:00.
    assert snap["next_due"] == "2026-07-02T01:00:00+00:00"


def test_issuing_numbers_keeps_and_is_idempotent_per_as_of(scene):
    ctx = scene["ctx"]
    first = sitrep.issue(ctx, world.MORNING)
    again = sitrep.issue(ctx, world.MORNING)
    assert first["number"] == 1 and first["created"] is True
    assert again["number"] == 1 and again["created"] is False
    kept = sitrep.stored(ctx, 1)
    assert kept["issued"] is True and key(kept)["affected"] == 190
    assert sitrep.snapshot(ctx, world.MORNING)["issued"] is True
    with pytest.raises(NotFound):
        sitrep.stored(ctx, 2)


def test_deltas_after_a_change_and_a_second_issue(scene):
    ctx = scene["ctx"]
    sitrep.issue(ctx, world.MORNING)
    later = world.at(ctx, world.MORNING + timedelta(hours=1))
    world.report(later, scene["west"], "continued", "T1", affected=170, dead=4, missing=1, relocated_centralised=40,
                 relocated_dispersed=10, collapsed_households=6, collapsed_rooms=14, severe_households=4,
                 economic_loss_10k_yuan=80)
    second_at = world.MORNING + timedelta(hours=2)
    ctx2 = world.at(ctx, second_at)
    snap = sitrep.snapshot(ctx2, second_at)
    rows = {row["name"]: row for row in snap["key"]}
    assert rows["affected"]["value"] == 210 and rows["affected"]["previous"] == 190 and rows["affected"]["delta"] == 20
    assert rows["dead"]["delta"] == 1 and rows["missing"]["delta"] == 0
    assert snap["previous"]["number"] == 1 and snap["number"] == 2
    assert snap["period"]["from"] == "2026-07-02T00:00:00+00:00"
    west = next(c for c in snap["counties"] if c["code"] == world.WEST)
    assert west["delta"]["affected"] == 20
    codes = [h["code"] for h in snap["highlights"]]
    assert "figure_rose" in codes and "county_rose" in codes
    issued = sitrep.issue(ctx2, second_at)
    assert issued["number"] == 2
    assert [r["number"] for r in sitrep.issued_list(ctx2)] == [2, 1]
    # A sitrep made for a moment between the two compares with the first.
    assert sitrep.snapshot(ctx2, world.MORNING + timedelta(minutes=30))["previous"]["number"] == 1


def test_reports_submitted_after_as_of_do_not_count(scene):
    snap = sitrep.snapshot(scene["ctx"], world.OCCURRED + timedelta(hours=2))
    assert key(snap)["affected"] == 140  # T1's initial 100 + T2's 40: the continued report came later


@pytest.mark.parametrize("offset", [timedelta(minutes=1), -timedelta(days=30)])
def test_as_of_in_the_future_or_before_any_data_is_refused(scene, offset):
    with pytest.raises(ValidationFailed) as caught:
        sitrep.snapshot(scene["ctx"], world.MORNING + offset)
    assert caught.value.field == "as_of"
