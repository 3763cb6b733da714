"""The seeded demo region: deterministic, inside its areas, never over capacity, current as of its moment."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import shapely

from relief.domain.demo import DEMO_NOW, DemoRegion, build_demo, load_admin
from relief.domain.incidents import INITIAL_STATUS
from relief.domain.reports import check_report_kind, overdue
from relief.domain.standards import Standards

HOUSEHOLDS = 3000
ENSHI_COUNTIES = {"422801", "422802", "422822", "422823", "422825", "422826", "422827", "422828"}
STANDARDS = Standards.bundled()
# a Sunday evening, two days and a bit after the reference moment (a Friday morning)
LATER = DEMO_NOW + timedelta(days=2, hours=9, minutes=17)


@pytest.fixture(scope="module")
def admin():
    return load_admin()


@pytest.fixture(scope="module")
def region(admin) -> DemoRegion:
    return build_demo(admin, standards=STANDARDS, seed=42, households=HOUSEHOLDS)


@pytest.fixture(scope="module")
def again(admin) -> DemoRegion:
    return build_demo(admin, standards=STANDARDS, seed=42, households=HOUSEHOLDS)


@pytest.fixture(scope="module")
def other(admin) -> DemoRegion:
    return build_demo(admin, standards=STANDARDS, seed=7, households=HOUSEHOLDS)


@pytest.fixture(scope="module")
def later(admin) -> DemoRegion:
    return build_demo(admin, standards=STANDARDS, seed=42, households=HOUSEHOLDS, as_of=LATER)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame comparable with assert_frame_equal: geometries as WKB."""
    out = pd.DataFrame(frame).copy()
    if "geom" in out:
        out["geom"] = shapely.to_wkb(np.asarray(out["geom"], dtype=object))
    return out


# --- the bundled boundaries ---------------------------------------------------

def test_bundled_boundaries_are_wgs84_and_say_so():
    collection = json.loads(resources.files("relief.data").joinpath("enshi_admin.geojson").read_text("utf-8"))
    assert len(collection["features"]) == 9
    assert {f["properties"]["datum"] for f in collection["features"]} == {"WGS84 (converted from GCJ-02)"}


def test_load_admin(admin):
    assert admin.crs.to_epsg() == 4326
    assert set(admin["level"]) == {"prefecture", "county"}
    assert set(admin.loc[admin["level"] == "county", "adcode"]) == ENSHI_COUNTIES
    assert admin.geometry.is_valid.all()
    assert (admin.geometry.geom_type == "MultiPolygon").all()


def test_a_frame_without_wgs84_is_refused(admin):
    with pytest.raises(ValueError, match="EPSG:4326"):
        build_demo(admin.to_crs("EPSG:32649"), standards=STANDARDS, households=10)


def test_a_moment_without_offset_is_refused(admin):
    with pytest.raises(ValueError, match="timezone-aware"):
        build_demo(admin, standards=STANDARDS, households=10, as_of=datetime(2026, 11, 20, 10, 0))


# --- determinism ----------------------------------------------------------------

@pytest.mark.parametrize("table", ["areas", "households", "sites", "depots", "facilities", "incidents",
                                   "incident_transitions", "statutory_reports", "items", "stock",
                                   "distributions", "medical_visits"])
def test_same_seed_gives_identical_tables(region, again, table):
    pd.testing.assert_frame_equal(_plain(getattr(region, table)), _plain(getattr(again, table)))


def test_different_seed_gives_a_different_region(region, other):
    assert len(other.households) == len(region.households)
    assert list(other.households["id"]) == list(region.households["id"])  # ids are positional
    assert not np.array_equal(shapely.get_coordinates(other.households["geom"].values),
                              shapely.get_coordinates(region.households["geom"].values))
    towns = lambda r: list(r.areas.loc[r.areas["level"] == "township", "name_zh"])  # noqa: E731
    assert towns(other) != towns(region)


def test_counts_and_ids(region):
    counts = region.counts()
    assert counts["areas.prefecture"] == 1 and counts["areas.county"] == 8
    assert counts["households"] == HOUSEHOLDS
    assert 100 <= counts["sites"] <= 140
    assert 80 <= counts["facilities"] <= 120
    assert counts["depots"] == 9 and counts["incidents"] == 6
    h = region.households
    assert h["id"].is_unique and h["id"].str.fullmatch(r"HH\d{6}").all()
    assert region.sites["id"].str.fullmatch(r"S\d{3}").all() and region.sites["id"].is_unique
    assert region.depots["id"].str.fullmatch(r"D\d{2}").all()
    assert region.facilities["id"].str.fullmatch(r"F\d{3}").all() and region.facilities["id"].is_unique


# --- areas -------------------------------------------------------------------------

def test_townships_about_ninety_spread_over_counties(region):
    areas = region.areas
    towns = areas[areas["level"] == "township"]
    assert 80 <= len(towns) <= 100
    per_county = towns.groupby("parent_code").size()
    assert set(per_county.index) == ENSHI_COUNTIES
    assert per_county.between(8, 16).all()
    assert towns["code"].str.fullmatch(r"4228\d{2}\d{3}").all()
    assert (towns["code"].str[:6] == towns["parent_code"]).all()


def test_villages_belong_to_townships(region):
    areas = region.areas
    villages = areas[areas["level"] == "village"]
    per_town = villages.groupby("parent_code").size()
    assert per_town.between(8, 12).all()
    assert set(per_town.index) == set(areas.loc[areas["level"] == "township", "code"])
    assert (villages["code"].str[:9] == villages["parent_code"]).all()
    assert villages["code"].str.len().eq(12).all()


def test_area_geometries_are_valid_multipolygons_that_tile_their_parent(region):
    areas = region.areas
    assert areas.crs.to_epsg() == 4326 and areas.geometry.name == "geom"
    assert areas["code"].is_unique
    assert (areas.geometry.geom_type == "MultiPolygon").all()
    assert areas.geometry.is_valid.all()
    # planar area in lon/lat: tiling is topological, and projecting bends long edges differently
    planar = pd.Series(shapely.area(areas["geom"].values), index=areas["code"].to_numpy())
    children = planar.groupby(areas["parent_code"].to_numpy()).sum()
    np.testing.assert_allclose(children.to_numpy(), planar[children.index].to_numpy(), rtol=1e-9)
    union = shapely.union_all(areas.loc[areas["level"] == "village", "geom"].values)
    prefecture = areas.loc[areas["level"] == "prefecture", "geom"].iloc[0]
    assert shapely.symmetric_difference(union, prefecture).area < 1e-9 * prefecture.area


def test_population_adds_up(region):
    areas = region.areas.set_index("code")
    assert areas.loc[areas["level"] == "prefecture", "population"].iloc[0] == region.households["members"].sum()
    county_pop = region.households.groupby("county_code")["members"].sum()
    assert (areas.loc[county_pop.index, "population"] == county_pop).all()


# --- households -----------------------------------------------------------------------

def test_every_household_is_inside_its_village_and_its_county(region, admin):
    h = region.households
    village = region.areas.set_index("code")["geom"]
    counties = admin[admin["level"] == "county"].set_index("adcode").geometry
    points = h["geom"].to_numpy()
    assert shapely.contains(village[h["village_code"]].to_numpy(), points).all()
    assert shapely.contains(counties[h["county_code"]].to_numpy(), points).all()
    assert (h["village_code"].str[:6] == h["county_code"]).all()


def test_household_composition_is_consistent(region):
    h = region.households
    assert h["members"].between(1, 7).all()
    assert 2.6 < h["members"].mean() < 3.8
    named = h["infants"] + h["children"] + h["elderly"]
    assert (named <= h["members"]).all()
    assert (h["pregnant"] <= h["members"] - named).all()
    for column in ("disabled", "chronic", "injured"):
        assert (h[column] >= 0).all() and (h[column] <= h["members"]).all()
    assert set(h["house_damage"]) <= {"none", "general", "severe", "collapsed"}
    assert (h["house_damage"] == "none").mean() > 0.8
    assert set(h["assistance_category"].dropna()) <= {"dibao", "wubao", "tekun"}
    assert h["assistance_category"].map(lambda v: v is None or isinstance(v, str)).all()
    assert set(h["shelter"]) <= {"home", "site", "dispersed", "none"}
    assert (h.loc[~h["evacuated"], "shelter"] == "home").all()


def test_personal_data_is_obviously_synthetic(region):
    h = region.households
    assert h["id_number"].str.fullmatch(r"000000\d{11}[\dX]").all()
    assert h["phone"].str.fullmatch(r"100\d{8}").all()
    assert h["head_name"].str.len().between(2, 3).all()


def test_sites_are_never_over_capacity_and_check_ins_are_coherent(region):
    h, sites = region.households, region.sites.set_index("id")
    at_site = h[h["shelter"] == "site"]
    assert len(at_site) > 0
    assert at_site["site_id"].notna().all()
    assert h.loc[h["shelter"] != "site", "site_id"].isna().all()
    load = at_site.groupby("site_id")["members"].sum()
    assert (load <= sites.loc[load.index, "capacity_persons"]).all()
    assert (sites.loc[load.index, "status"] == "open").all()
    assert (h.loc[h["shelter"] == "dispersed", "dispersed_kind"].notna()).all()


def test_sites_sit_in_their_township(region):
    sites = region.sites
    town = region.areas.set_index("code")["geom"]
    assert shapely.contains(town[sites["township_code"]].to_numpy(), sites["geom"].to_numpy()).all()
    assert (sites["township_code"].str[:6] == sites["county_code"]).all()
    assert set(sites["kind"]) <= {"school", "gym", "tent_camp", "community_centre"}


# --- incidents --------------------------------------------------------------------------

def test_incident_geometries_are_valid_and_in_their_county(region, admin):
    inc = region.incidents
    counties = admin[admin["level"] == "county"].set_index("adcode").geometry
    assert inc.geometry.is_valid.all() and not inc.geometry.is_empty.any()
    assert set(inc["kind"]) == {"landslide", "hail", "snow_ice", "flood", "debris_flow"}
    assert set(inc["status"]) == {"reported", "verified", "responding", "stabilised", "closed"}
    for row in inc.itertuples():
        assert counties[row.county_code].buffer(1e-9).covers(row.geom)
        assert row.township_code.startswith(row.county_code)
        assert row.occurred_at < region.now
    landslide = inc[inc["kind"] == "landslide"].iloc[0]
    assert landslide["county_code"] == "422823" and landslide["evacuate"]
    assert landslide["geom"].geom_type in ("Polygon", "MultiPolygon")


def test_households_in_an_evacuation_zone_are_evacuated_and_mostly_damaged(region):
    h = region.households
    zone = region.incidents.loc[region.incidents["evacuate"], "geom"].union_all()
    inside = shapely.contains(zone, h["geom"].to_numpy())
    assert inside.sum() > 10
    assert h.loc[inside, "evacuated"].all()
    assert (h.loc[inside, "house_damage"] != "none").mean() > 0.6
    assert (h.loc[inside, "house_damage"] != "none").mean() > (h.loc[~inside, "house_damage"] != "none").mean()



# --- the demo's moment: lifecycle, statutory reports, response levels -----------------------------

def test_every_status_has_the_transitions_that_led_to_it(region):
    incidents = region.incidents.set_index("id")
    history = region.incident_transitions
    for incident_id, steps in history.sort_values(["incident_id", "at"]).groupby("incident_id"):
        assert steps["from_status"].iloc[0] == INITIAL_STATUS
        assert list(steps["from_status"].iloc[1:]) == list(steps["to_status"].iloc[:-1])
        assert steps["to_status"].iloc[-1] == incidents.loc[incident_id, "status"]
        assert (steps["at"] > incidents.loc[incident_id, "occurred_at"]).all() and (steps["at"] < region.now).all()
    untouched = incidents.index[incidents["status"] == INITIAL_STATUS]
    assert len(untouched) and not set(untouched) & set(history["incident_id"])
    for status, column in (("stabilised", "stabilised_at"), ("closed", "closed_at")):
        reached = history.loc[history["to_status"] == status].set_index("incident_id")["at"]
        assert len(reached)
        for incident_id, at in incidents[column].items():
            assert at == reached[incident_id] if incident_id in reached.index else at is None


def test_reports_keep_the_series_rule_grow_and_come_before_the_moment(region):
    reports = region.statutory_reports
    assert len(reports) > 0 and reports["id"].is_unique
    assert (reports["submitted_at"] < region.now).all()
    occurred = region.incidents.set_index("id")["occurred_at"]
    assert (reports["submitted_at"].to_numpy() > occurred[reports["incident_id"]].to_numpy()).all()
    assert (reports["figures_to"] <= reports["submitted_at"]).all()
    assert (reports["township_code"].str[:6] == reports["county_code"]).all()
    for _, series in reports.sort_values("submitted_at").groupby(["incident_id", "township_code"]):
        filed: list[str] = []
        for kind in series["kind"]:
            check_report_kind(filed, kind)  # raises on a break in 初报 → 续报… → 核报
            filed.append(kind)
        assert series["affected"].is_monotonic_increasing and series["collapsed_rooms"].is_monotonic_increasing


def test_responding_incidents_include_one_whose_reports_reach_a_level(region):
    incidents = region.incidents
    responding = incidents[incidents["status"] == "responding"]
    levelled = responding[responding["response_level"].notna()]
    assert len(responding) >= 2 and len(levelled) >= 1
    names = [entry["level"] for entry in STANDARDS.response_levels["levels"]]
    for row in levelled.itertuples():
        assert row.response_level in names
        assert row.response_reason
        assert all(r["value"] >= r["threshold"] and r["level"] == row.response_level for r in row.response_reason)
    silent = ~incidents["id"].isin(region.statutory_reports["incident_id"])
    assert silent.any() and incidents.loc[silent, "response_level"].isna().all()


@pytest.mark.parametrize("which", ["region", "later"])
def test_as_of_its_moment_a_couple_of_reports_are_overdue_not_all(which, request):
    built = request.getfixturevalue(which)
    items = overdue(built.incidents, built.statutory_reports, as_of=built.now, rules=STANDARDS.report_deadlines)
    assert 1 <= len(items) <= 3
    assert len({item["incident_id"] for item in items}) < len(built.incidents)
    assert all(item["overdue_by"] <= timedelta(days=1) for item in items)
    tomorrow = overdue(built.incidents, built.statutory_reports, as_of=built.now + timedelta(days=1),
                       rules=STANDARDS.report_deadlines)
    assert len(tomorrow) > len(items)  # reports still due: left alone, they fall overdue


def test_everything_moves_with_the_moment(region, later):
    assert later.now == LATER and region.now == DEMO_NOW
    pd.testing.assert_frame_equal(_plain(later.households), _plain(region.households))
    shift = LATER - DEMO_NOW
    for table, column in (("incidents", "occurred_at"), ("distributions", "distributed_at"),
                          ("medical_visits", "visited_at"), ("incident_transitions", "at")):
        moved, base = getattr(later, table)[column], getattr(region, table)[column]
        assert ((moved - base) == shift).all(), table
    # the report deadlines are calendar days at a local hour, so the reports are re-timed, not shifted
    assert (later.statutory_reports["submitted_at"] > DEMO_NOW).any()

# --- stock and distributions ----------------------------------------------------------------

def test_ledger_never_goes_negative_at_any_time(region):
    ledger = region.stock.sort_values(["at", "id"], kind="stable")
    running = ledger.groupby(["holder_kind", "holder_id", "item_code"])["quantity"].cumsum()
    assert (running >= -1e-9).all()
    assert (region.balances()["quantity"] >= 0).all()
    assert set(ledger["item_code"]) <= set(region.items["code"])
    assert set(ledger.loc[ledger["holder_kind"] == "depot", "holder_id"]) <= set(region.depots["id"])
    assert set(ledger.loc[ledger["holder_kind"] == "site", "holder_id"]) <= set(region.sites["id"])


def test_distributions_are_backed_by_ledger_lines(region):
    dist, ledger = region.distributions, region.stock.set_index("id")
    assert len(dist) > 0
    assert set(dist["household_id"]) <= set(region.households["id"])
    lines = ledger.loc[dist["movement_id"]]
    assert (lines["kind"] == "distribution").all()
    assert (lines["household_id"].to_numpy() == dist["household_id"].to_numpy()).all()
    assert (lines["item_code"].to_numpy() == dist["item_code"].to_numpy()).all()
    np.testing.assert_allclose(-lines["quantity"].to_numpy(), dist["quantity"].to_numpy())
    assert (dist["distributed_at"] < region.now).all()


def test_items_catalogue(region):
    items = region.items.set_index("code")
    assert items.loc["rice_10kg", "kcal_per_unit"] == pytest.approx(36000)
    assert items.loc["water_5l", "litres_per_unit"] == 5
    assert set(items["guarantee"]) <= {"food", "water", "clothing", "bedding", "medical", "other"}
    assert (items.loc[items["guarantee"] == "food", "kcal_per_unit"] > 0).all()


# --- the frames fit the ORM tables ----------------------------------------------------------

def test_columns_are_those_of_the_orm_tables(region):
    tables = pytest.importorskip("relief.store.tables")  # metadata only: no engine, no database
    pairs = {"areas": tables.Area, "households": tables.Household, "sites": tables.Site,
             "depots": tables.Depot, "facilities": tables.Facility, "incidents": tables.Incident,
             "items": tables.Item, "stock": tables.StockMovement, "distributions": tables.Distribution,
             "medical_visits": tables.MedicalVisit, "incident_transitions": tables.IncidentTransition,
             "statutory_reports": tables.StatutoryReport}
    for name, table in pairs.items():
        columns = set(table.__table__.columns.keys())
        extra = set(getattr(region, name).columns) - columns
        assert not extra, f"{name} has columns the table lacks: {sorted(extra)}"


# --- the reconstruction ledger (relief/domain/demo/houses.py) ------------------------------------

@pytest.fixture(scope="module")
def houses(region):
    from relief.domain.demo.houses import build_houses

    return build_houses(region.households, standards=STANDARDS, seed=42, as_of=region.now)


def test_houses_are_deterministic_and_move_with_the_moment(region, houses):
    from relief.domain.demo.houses import build_houses

    again = build_houses(region.households, standards=STANDARDS, seed=42, as_of=region.now)
    for name, frame in houses.frames().items():
        pd.testing.assert_frame_equal(_plain(frame), _plain(again.frames()[name]))
    other = build_houses(region.households, standards=STANDARDS, seed=7, as_of=region.now)
    assert not other.houses["stage"].equals(houses.houses["stage"])
    shift = LATER - DEMO_NOW
    later = build_houses(region.households, standards=STANDARDS, seed=42, as_of=LATER)
    assert (later.houses["stage"] == houses.houses["stage"]).all()
    for column in ("assessed_at", "stage_since"):
        assert (pd.to_datetime(later.houses[column], utc=True) - pd.to_datetime(houses.houses[column], utc=True)
                == shift).all()


def test_one_house_per_damaged_household_placed_in_its_areas(region, houses):
    h, hh = houses.houses, region.households.set_index("id")
    damaged = hh[hh["house_damage"].isin(["collapsed", "severe", "general"])]
    assert sorted(h["household_id"]) == sorted(damaged.index) and h["id"].is_unique
    assert (h["damage"].to_numpy() == damaged.loc[h["household_id"], "house_damage"].to_numpy()).all()
    assert (h["village_code"].to_numpy() == damaged.loc[h["household_id"], "village_code"].to_numpy()).all()
    areas = region.areas.set_index("code")
    assert set(h["township_code"]) <= set(areas.index[areas["level"] == "township"])
    assert (areas.loc[h["village_code"], "parent_code"].to_numpy() == h["township_code"].to_numpy()).all()
    assert set(h["county_code"]) <= set(areas.index[areas["level"] == "county"])
    points = shapely.points(damaged.loc[h["household_id"]].geometry.apply(lambda g: (g.x, g.y)).tolist())
    assert shapely.equals(np.asarray(h["geom"], dtype=object), points).all()


def test_houses_spread_over_the_stages_with_a_few_stalled_and_a_few_in_correction(houses):
    from relief.domain import reconstruction as rc

    h = houses.houses
    figures = rc.Figures.of(STANDARDS)
    assert h["stage"].nunique() >= 9
    for early, late in (("assessed", "moved_in"), ("eligible", "agreement_signed")):
        assert (h["stage"] == early).any() and (h["stage"] == late).any()
    stalled = [rc.is_stalled(s, since, DEMO_NOW, figures) for s, since in zip(h["stage"], h["stage_since"])]
    assert 1 <= sum(stalled) <= 0.15 * len(h)
    assert h.loc[stalled, "stall_announced_at"].notna().all()  # announced when it happened, not again on load
    assert h.loc[[not s for s in stalled], "stall_announced_at"].isna().all()
    assert 1 <= h["correction_required"].sum() <= 0.15 * len(h)
    assert ((h["stage"] == "excluded") == h["exclusion_reason"].notna()).all()
    assert h["rebuild_mode"].isna().eq(h["stage"].isin(["assessed", "eligible", "excluded"])).all()
    assert (h.loc[h["damage"] == "general", "rebuild_mode"].dropna() == "repair").all()
    assert (h.loc[h["damage"] != "general", "rebuild_mode"].dropna() != "repair").all()


def test_houses_history_inspections_and_payments_hold_together(houses):
    from relief.domain import reconstruction as rc

    figures = rc.Figures.of(STANDARDS)
    h = houses.houses.set_index("id")
    moves, checks, paid = houses.house_transitions, houses.inspections, houses.house_payments
    moments = [*h["assessed_at"], *h["stage_since"], *moves["at"], *checks["inspected_at"], *paid["paid_at"]]
    assert max(moments) <= DEMO_NOW
    last = moves.sort_values("id").groupby("house_id").last()
    assert (last.loc[h.index, "to_stage"] == h["stage"]).all() and (last.loc[h.index, "at"] == h["stage_since"]).all()
    passes = checks[checks["result"] == "pass"].set_index("id")
    inspected_moves = moves[moves["to_stage"].isin(figures.inspected)]
    assert inspected_moves["inspection_id"].notna().all()  # no inspected milestone without its passing inspection
    named = passes.loc[inspected_moves["inspection_id"].astype(int)]
    assert (named["house_id"].to_numpy() == inspected_moves["house_id"].to_numpy()).all()
    assert (named["milestone"].to_numpy() == inspected_moves["to_stage"].to_numpy()).all()
    for house_id, row in h[h["correction_required"]].iterrows():
        upcoming = rc.next_milestone(row["stage"], row["damage"], row["rebuild_mode"], figures)
        mine = checks[(checks["house_id"] == house_id) & (checks["milestone"] == upcoming)]
        assert rc.correction_required(list(mine.sort_values("inspected_at")["result"]))
    assert len(paid) and not paid.duplicated(["house_id", "tranche"]).any()
    for _, payment in paid.iterrows():
        house = h.loc[payment["house_id"]]
        plan = {t.name: t for t in figures.plans[rc.path_of(house["damage"], house["rebuild_mode"], figures)]}
        milestone = plan[payment["tranche"]].milestone
        assert rc.reached(house["stage"], milestone, rc.path_of(house["damage"], house["rebuild_mode"], figures))
        if milestone in figures.inspected:
            assert passes.loc[payment["inspection_id"], "milestone"] == milestone
        else:
            assert payment["inspection_id"] is None


def test_house_frames_have_the_columns_of_their_tables(houses):
    tables = pytest.importorskip("relief.store.tables")
    pairs = {"houses": tables.House, "house_transitions": tables.HouseTransition, "inspections": tables.Inspection,
             "house_payments": tables.HousePayment}
    for name, frame in houses.frames().items():
        assert set(frame.columns) <= set(pairs[name].__table__.columns.keys()), name
