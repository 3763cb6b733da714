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


def _verdicts(store):
    """Villages under T1 and T2, and kept verdicts: unmet ones in both townships, one household without a
    village (counted in the total only) and one whose village is unknown to the register."""
    from datetime import datetime, timezone

    from relief.store.tables import Area, GuaranteeStatus, Household

    judged = datetime(2026, 7, 1, 23, 0, tzinfo=timezone.utc)
    verdicts = {  # household: (village, food, clothing, water, housing, medical)
        "H1": ("V1", "unmet", "met", "unmet", "met", "met"),
        "H2": ("V1", "met", "met", "unmet", "at_risk", "met"),
        "H3": ("V2", "met", "met", "met", "met", "met"),
        "H4": ("V3", "unmet", "unmet", "met", "met", "not_applicable"),
        "H5": (None, "unmet", "unmet", "unmet", "unmet", "unmet"),
        "H6": ("V9", "unmet", "met", "met", "met", "met"),
    }
    with store.write() as session:
        session.add_all([Area(code="V1", name_zh="一村", name_en="One", level="village", parent_code="T1"),
                         Area(code="V3", name_zh="三村", name_en="Three", level="village", parent_code="T1"),
                         Area(code="V2", name_zh="二村", name_en="Two", level="village", parent_code="T2"),
                         Area(code="V9", name_zh="九村", name_en="Nine", level="village")])
        session.flush()
        session.add(world._household("H6", 2, world.EAST))
        session.flush()
        for hid, (village, *statuses) in verdicts.items():
            session.get(Household, hid).village_code = village
            session.add(GuaranteeStatus(household_id=hid, village_code=village,
                                        **dict(zip(("food", "clothing", "water", "housing", "medical"), statuses)),
                                        reasons={}, shortfalls={}, as_of=judged, standards_version="test"))


def test_unmet_guarantees_per_township_are_those_of_the_guarantees_api(scene, store):
    from relief.services import guarantee_lists

    _verdicts(store)
    ctx = scene["ctx"]
    got = sitrep.snapshot(ctx, world.MORNING)["guarantees"]
    # T1: H1, H2 (V1) and H4 (V3); T2: H3 (V2, nothing unmet, so no row); H5 and H6 have no township.
    assert got["households"] == 6
    assert got["total"] == {"food": 4, "clothing": 2, "water": 3, "housing": 1, "medical": 1, "any": 5}
    assert got["rows"] == [{"code": "T1", "name": {"zh": "舞阳坝街道", "en": "Wuyangba"}, "households": 3, "food": 2,
                            "clothing": 1, "water": 2, "housing": 0, "medical": 0, "most": 2}]
    assert got["rest"] is None
    # the same as GET /api/guarantees?summary=township counts from the stored verdicts
    found = guarantee_lists.verdicts(ctx)
    counts = guarantee_lists.counts(ctx, found, found.frame, "township")
    assert counts["total"]["households"] == got["households"]
    for row in got["rows"]:
        entry = counts["areas"][row["code"]]
        assert entry["households"] == row["households"]
        assert {g: entry["guarantees"][g].get("unmet", 0) for g in got["guarantees"]} == \
            {g: row[g] for g in got["guarantees"]}
    assert {code for code, entry in counts["areas"].items()
            if any(entry["guarantees"][g].get("unmet") for g in got["guarantees"])} == {r["code"] for r in got["rows"]}
