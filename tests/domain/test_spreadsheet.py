"""Spreadsheet cells: formula-like text is marked as text, numbers stay numbers, and every writer uses it."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relief.domain import spreadsheet
from relief.domain.spreadsheet import safe_cell, safe_frame, to_csv

ROOT = Path(__file__).resolve().parents[2]
HYPERLINK = '=HYPERLINK("http://evil.example/x","click")'


@pytest.mark.parametrize("text", [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
                                  "-", "+", "=", "-inf"])
def test_formula_like_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["H001", "a=b", " =1", "", "'=already", "中文", "-3.5", "+2", "-1e3", ".5"])
def test_other_text_and_plain_numbers_in_text_are_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-3.5, -1, 0, 2.25, np.float64(-7.0), np.int64(-2), None, True])
def test_non_text_values_are_unchanged(value):
    assert safe_cell(value) is value


def test_a_frame_keeps_numbers_numeric_and_marks_formula_text():
    frame = pd.DataFrame({"household_id": pd.Series([HYPERLINK, "H2", None], dtype=object),
                          "village_code": [HYPERLINK, "V1", "V2"], "shortfall": [-1.5, 2.0, np.nan],
                          "members": [3, -1, 2]})
    safe = safe_frame(frame)
    assert safe["household_id"].tolist() == ["'" + HYPERLINK, "H2", None]
    assert safe["village_code"].tolist() == ["'" + HYPERLINK, "V1", "V2"]
    assert safe["shortfall"].dtype == float and safe["members"].dtype == frame["members"].dtype
    assert safe["members"].tolist() == [3, -1, 2]
    assert frame["household_id"].iloc[0] == HYPERLINK  # the input is not changed


def test_csv_cells_read_back_as_text_not_formulas():
    frame = pd.DataFrame({"household_id": [HYPERLINK, "@evil"], "shortfall_food": [-2.0, 0.0]})
    rows = list(csv.reader(io.StringIO(to_csv(frame))))
    assert rows[0] == ["household_id", "shortfall_food"]
    assert rows[1] == ["'" + HYPERLINK, "-2.0"] and rows[2] == ["'@evil", "0.0"]
    out = io.StringIO()
    assert to_csv(frame, out) is None and out.getvalue() == to_csv(frame)


def test_every_csv_or_xlsx_writer_goes_through_safe_cells():
    """Writing a CSV or workbook anywhere but relief/domain/spreadsheet.py brings the formula hole back."""
    writers = re.compile(r"(?<!spreadsheet)\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\("
                         r"|openpyxl\.Workbook\(|xlsxwriter")
    own = ROOT / "relief" / "domain" / "spreadsheet.py"
    offenders = [f"{path.relative_to(ROOT)}:{n}" for folder in ("relief", "maps")
                 for path in sorted((ROOT / folder).rglob("*.py")) if path != own
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if writers.search(line)]
    assert offenders == []


def test_columns_csv_marks_text_columns_only():
    text = [["=1+1", "plain", None], [-3, 2.5, None], ["a,b", "@x", "-3.5"]]
    out = spreadsheet.columns_csv(text, [True, False, True])
    assert list(csv.reader(io.StringIO(out))) == [["'=1+1", "-3", "a,b"], ["plain", "2.5", "'@x"], ["", "", "-3.5"]]
    column = ["a", None, "b"]
    assert spreadsheet.safe_cells(column) is column  # nothing to change: the column itself
    assert spreadsheet.safe_cells(["x", 3, "=y"]) == ["x", 3, "'=y"]
    assert spreadsheet.columns_csv([[], []], [True, False]) == ""
