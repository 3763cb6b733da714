"""``spreadsheet.stream_csv`` (`relief reconstruction` uses it) writes byte for byte what ``to_csv`` writes."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from relief.domain import spreadsheet
from relief.domain.reconstruction import ROW_COLUMNS
from relief.domain.spreadsheet import stream_csv as write_csv


def test_streamed_csv_equals_the_spreadsheet_writer():
    rows = pd.DataFrame({
        "house_id": ["H1", "=HYPERLINK(\"x\")", "H,3", "H\"4"],
        "household_id": ["HH1", "-3.5", "@sum", "HH 4"],
        "county_code": ["422801", None, "422801", "422801"],
        "township_code": ["422801001", None, "422801002", None],
        "damage": ["collapsed", "severe", "general", "collapsed"],
        "stage": ["started", "excluded", "moved_in", "assessed"],
        "days_in_stage": np.array([3, 0, -1, 120], dtype="int64"),
        "stalled": np.array([0, 0, 0, 1], dtype="int64"),
        "correction_required": np.array([1, 0, 0, 0], dtype="int64"),
        "entitled": [40000.0, 0.0, 8000.0, 55000.0],
        "paid": [12000.0, 0.0, 8000.0, 1234.57],
        "due": [16000.0, 0.0, 0.0, 0.1],
        "next_milestone": ["foundation", None, None, "eligible\nnow"],
    })[list(ROW_COLUMNS)]
    streamed = io.StringIO()
    write_csv(rows, streamed)
    assert streamed.getvalue() == spreadsheet.to_csv(rows)
    assert "'=HYPERLINK" in streamed.getvalue()


def test_streamed_csv_of_no_rows_is_the_header():
    rows = pd.DataFrame({c: pd.Series([], dtype=object) for c in ROW_COLUMNS})
    streamed = io.StringIO()
    write_csv(rows, streamed)
    assert streamed.getvalue() == spreadsheet.to_csv(rows) == ",".join(ROW_COLUMNS) + "\n"


def test_streamed_csv_of_object_columns_marks_formulas_too():
    rows = pd.DataFrame({c: pd.Series(["=1+1", None, "x"], dtype=object) for c in ROW_COLUMNS})
    streamed = io.StringIO()
    write_csv(rows, streamed)
    assert streamed.getvalue() == spreadsheet.to_csv(rows)
    assert streamed.getvalue().splitlines()[1].startswith("'=1+1,")
