"""Shaping verdict frames for the API: a page's rows taken a column at a time, the same as row by row."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from relief.services import guarantee_lists, guarantees
from relief.services.guarantee_lists import GUARANTEES


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
                     **guarantees.verdict_row(pd.Series(row))})
    return rows


def test_page_rows_equal_the_row_by_row_answer():
    frame = verdict_frame()
    assert guarantee_lists.page_rows(frame, 0, 10) == row_by_row(frame)
    assert guarantee_lists.page_rows(frame, 1, 1) == row_by_row(frame.iloc[1:2])
    assert guarantee_lists.page_rows(frame, 5, 10) == []
    assert guarantee_lists.page_rows(frame, 0, 1)[0]["shortfalls"]["food"] == 0.0
    assert guarantee_lists.page_rows(frame, 1, 1)[0]["shortfalls"]["food"] == 1234.568


def test_pages_and_csv_are_shaped_through_the_offload(ctx):
    ran = []

    def offload(work, *args):
        ran.append(work.__name__)
        return work(*args)

    heavy = replace(ctx, offload=offload)
    frame = verdict_frame()
    assert len(guarantee_lists.page(heavy, frame, offset=0, limit=2)) == 2
    assert guarantee_lists.csv_text(heavy, frame).splitlines()[0].startswith("household_id,food")
    assert ran == ["page_rows", "_csv_text"]
