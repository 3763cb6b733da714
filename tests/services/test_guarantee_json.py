"""Verdict shapes: a page's rows taken a column at a time are the row-by-row answer; kept rows and
answers from the few households' records equal those from ``evaluate``'s frame."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from relief.domain import guarantees as gt
from relief.domain.vocabulary import GUARANTEES
from relief.services import guarantee_json
from tests.domain.test_guarantees import AS_OF, ITEMS, STANDARDS, facility, given, household, site, visit


def verdict_frame() -> pd.DataFrame:
    """Three households with the gaps real frames have: no village, no reason, a missing shortfall."""
    columns = {"village_code": ["V1", None, np.nan], "county_code": ["C1", "C1", None]}
    for g in GUARANTEES:
        columns[g] = ["met", "unmet", "not_applicable"]
        columns[f"reason_{g}"] = ["enough", None, "not in scope"]
        columns[f"reason_code_{g}"] = ["ok", "short", None]
        columns[f"shortfall_{g}"] = [0.0, 1234.56789, np.nan]
    return pd.DataFrame(columns, index=pd.Index(["H1", "H2", "H3"], name="household_id"))


def row_by_row(frame: pd.DataFrame) -> list[dict]:
    rows = []
    for hid, row in zip(frame.index, frame.to_dict("records")):
        village = row["village_code"]
        rows.append({"household_id": hid, "village_code": None if pd.isna(village) else village,
                     **guarantee_json.verdict_row(pd.Series(row))})
    return rows


def test_page_rows_equal_the_row_by_row_answer():
    frame = verdict_frame()
    assert guarantee_json.page_rows(frame, 0, 10) == row_by_row(frame)
    assert guarantee_json.page_rows(frame, 1, 1) == row_by_row(frame.iloc[1:2])
    assert guarantee_json.page_rows(frame, 5, 10) == []
    assert guarantee_json.page_rows(frame, 0, 1)[0]["shortfalls"]["food"] == 0.0
    assert guarantee_json.page_rows(frame, 1, 1)[0]["shortfalls"]["food"] == 1234.568


def test_kept_rows_and_changes_from_records_equal_those_from_the_frame():
    households = [dict(household("h1", injured=1), village_code="V1", county_code="C1", **{f"kept_{g}": "met"
                       for g in GUARANTEES}),
                  dict(household("h2", shelter="site", site_id="s1"), village_code=None, county_code="C1",
                       **{f"kept_{g}": None for g in GUARANTEES})]
    sites, facilities = [site(covered_area_m2=5.0)], [facility()]
    food, visits = [given("h1", "ration", 1, hours_ago=6)], [visit("h1", 3)]
    frame = gt.evaluate(pd.DataFrame(households), pd.DataFrame(sites), pd.DataFrame(facilities), pd.DataFrame(food),
                        ITEMS, pd.DataFrame(visits), as_of=AS_OF, standards=STANDARDS)
    frame["next_change_at"] = gt.next_change_at(frame, pd.DataFrame(households), pd.DataFrame(visits), as_of=AS_OF,
                                                standards=STANDARDS).array
    frame["village_code"] = [h["village_code"] for h in households]
    few = gt.evaluate_few(households, sites, facilities, food, ITEMS.to_dict("records"), visits, as_of=AS_OF,
                          standards=STANDARDS)
    rows = [guarantee_json.status_row(v, h, AS_OF, "v1") for v, h in zip(few, households)]
    assert rows == guarantee_json.status_rows(frame, AS_OF, "v1")
    assert rows[0]["next_change_at"] == AS_OF + timedelta(hours=6)
    changes = [guarantee_json.change_of(v, h) for v, h in zip(few, households)]
    assert changes[0]["before"]["food"] == "met" and changes[0]["after"]["food"] == "at_risk"
    assert changes[1]["village_code"] is None and changes[1]["before"] == {g: None for g in GUARANTEES}
    assert guarantee_json.change_of(few[0], {**households[0], **{f"kept_{g}": few[0].statuses[g]
                                                                 for g in GUARANTEES}}) is None
    answer = guarantee_json.household_answer(few[0], households[0], as_of=AS_OF, profile="normal", version="v1")
    assert {k: answer[k] for k in (*GUARANTEES, "reasons", "reason_codes", "shortfalls")} == \
        guarantee_json.verdict_row(frame.loc["h1"])
    assert answer["food_covered_until"] == pd.Timestamp(AS_OF + timedelta(hours=6)).tz_convert("UTC").isoformat()
    assert np.isfinite(answer["medical_km"]) and answer["in_scope"] is True
