"""A small register (one household per verdict band) written as CSV or xlsx, for import tests.

Judged as of :data:`AS_OF`: food lapsed / running short / topped up by a new
distribution, site meals, site water, a site tight only under the cold
profile, a household near a *closed* facility only (out of medical reach) and
an injured member seen recently.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

TZ = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
NEAR = (109.480, 30.280)  # the operating clinic
FAR = (109.800, 30.280)   # about 30 km east: only a closed clinic there

HOUSEHOLD_COLUMNS = ["household_id", "head_name", "lat", "lon", "members", "infants", "children", "elderly",
                     "disabled", "chronic", "pregnant", "injured", "house_damage", "needs_living_aid", "shelter",
                     "site_id", "evacuated"]


def _time(delta: timedelta) -> str:
    return (AS_OF + delta).isoformat()


def _household(hid, *, shelter="dispersed", site_id="", lon=NEAR[0] + 0.002, lat=NEAR[1], injured=0, name="张三"):
    return dict(household_id=hid, head_name=name, lat=str(lat), lon=str(lon), members="2", infants="0",
                children="0", elderly="1", disabled="0", chronic="0", pregnant="0", injured=str(injured),
                house_damage="severe", needs_living_aid="1", shelter=shelter, site_id=site_id, evacuated="1")


def sample_register() -> dict[str, pd.DataFrame]:
    """File stem → frame of text cells, exactly as a county would hand them over."""
    site = dict(kind="school", lat=str(NEAR[1] + 0.003), lon=str(NEAR[0]), capacity_persons="50",
                provides_meals="0", medical_post="0", status="open", water_l_per_day="0", covered_area_m2="200")
    sites = [dict(site, site_id="S_MEALS", name="Meals school", provides_meals="1"),
             dict(site, site_id="S_WATER", name="Water gym", water_l_per_day="1000"),
             dict(site, site_id="S_TIGHT", name="Tight hall", covered_area_m2="8")]
    facilities = [dict(facility_id="F_OPEN", name="Clinic", kind="clinic", lat=str(NEAR[1]), lon=str(NEAR[0]),
                       operating="1"),
                  dict(facility_id="F_CLOSED", name="Shut clinic", kind="clinic", lat=str(FAR[1] + 0.001),
                       lon=str(FAR[0]), operating="0")]
    items = [dict(item_code="rice_1kg", name="Rice", unit="kg", guarantee="food", kcal_per_unit="3500",
                  litres_per_unit="0", sets_per_unit="0", pieces_per_unit="0"),
             dict(item_code="water_5l", name="Water", unit="5 L", guarantee="water", kcal_per_unit="",
                  litres_per_unit="5", sets_per_unit="", pieces_per_unit="")]
    households = [_household("H_LAPSED"), _household("H_SHORT"), _household("H_NEW"),
                  _household("H_MEALS", shelter="site", site_id="S_MEALS"),
                  _household("H_WATER", shelter="site", site_id="S_WATER"),
                  _household("H_COLD", shelter="site", site_id="S_TIGHT"),
                  _household("H_FAR", lon=FAR[0], lat=FAR[1]),
                  _household("H_SEEN", injured=1), _household("H_DUE", injured=1)]
    def given(hid: str, kg: str, delta: timedelta) -> dict:
        return dict(household_id=hid, item_code="rice_1kg", quantity=kg, distributed_at=_time(delta))

    distributions = [given("H_LAPSED", "1", -timedelta(days=3)), given("H_SHORT", "1", -timedelta(hours=12)),
                     given("H_NEW", "1", -timedelta(days=3)), given("H_NEW", "10", -timedelta(hours=1)),
                     given("H_NEW", "10", timedelta(days=1))]
    visits = [dict(household_id="H_SEEN", visited_at=_time(-timedelta(days=2))),
              dict(household_id="H_DUE", visited_at=_time(-timedelta(days=20)))]
    frames = {"sites": sites, "facilities": facilities, "items": items, "households": households,
              "distributions": distributions, "medical_visits": visits}
    return {stem: pd.DataFrame(rows).astype(str) for stem, rows in frames.items()}


def write_register(folder: Path, frames: dict[str, pd.DataFrame] | None = None, *, fmt: str = "csv") -> Path:
    """Write the frames as ``<stem>.csv`` (or ``.xlsx``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, frame in (frames if frames is not None else sample_register()).items():
        if fmt == "csv":
            frame.to_csv(folder / f"{stem}.csv", index=False)
        else:
            frame.to_excel(folder / f"{stem}.xlsx", index=False, engine="openpyxl")
    return folder


#: The verdicts the sample must get as of AS_OF, normal profile: (guarantee, status, reason code).
EXPECTED = {
    "H_LAPSED": [("food", "unmet", "food_lapsed")],
    "H_SHORT": [("food", "at_risk", "food_covered_short")],
    "H_NEW": [("food", "met", "food_covered")],
    "H_MEALS": [("food", "met", "site_meals"), ("water", "unmet", "water_none")],
    "H_WATER": [("water", "met", "site_water"), ("food", "unmet", "food_none")],
    "H_COLD": [("housing", "met", "site_space_ok")],
    "H_FAR": [("medical", "unmet", "medical_out_of_reach"), ("housing", "met", "dispersed")],
    "H_SEEN": [("medical", "met", "medical_in_reach")],
    "H_DUE": [("medical", "at_risk", "medical_visit_due")],
}
COLD = {"H_COLD": [("housing", "at_risk", "site_space_tight")]}
