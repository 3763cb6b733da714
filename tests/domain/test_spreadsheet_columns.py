"""``spreadsheet.write_columns_csv``: CSV from plain columns is what ``to_csv`` writes for the same frame."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from relief.domain import spreadsheet
from relief.domain.spreadsheet import frame_columns, write_columns_csv


def _written(columns, names=None) -> str:
    out = io.StringIO()
    write_columns_csv(columns, out, names)
    return out.getvalue()


FRAMES = {
    "plain": pd.DataFrame({
        "house_id": np.array(["H1", "H2", "H3"], dtype=object),
        "township_code": np.array(["422801001", None, "422801002"], dtype=object),
        "days": np.array([3, -1, 120], dtype="int64"),
        "flag": np.array([True, False, True]),
        "money": np.array([40000.0, 0.1 + 0.2, 1e16]),
        "small": np.array([1e-05, -0.0, 1234.57]),
        "gap": np.array([1.5, np.nan, np.inf]),
    }),
    "formulas": pd.DataFrame({
        "a": np.array(["=HYPERLINK(\"x\")", "-3.5", "@sum"], dtype=object),
        "b": np.array(["+1", "\tx", "ok"], dtype=object),
        "n": np.array([1, 2, 3], dtype="int64"),
    }),
    "quoting": pd.DataFrame({
        "a": np.array(["H,3", "H\"4", "line\nbreak"], dtype=object),
        "b": np.array(["x", "y", "z"], dtype=object),
    }),
    "mixed objects": pd.DataFrame({
        "a": np.array([1, "=x", None], dtype=object),
        "b": np.array([2.5, None, "t"], dtype=object),
    }),
    "one column": pd.DataFrame({"a": np.array(["", "x", None], dtype=object)}),
    "formula header": pd.DataFrame({"=a": np.array(["x"], dtype=object), "b": np.array([1], dtype="int64")}),
    "no rows": pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype="int64")}),
    "moments": pd.DataFrame({
        "h": np.array(["H1", "H2", "H3"], dtype=object),
        "start": pd.Series(pd.to_datetime(["2026-11-20 10:00:00+08:00"] * 3)),
        "end": pd.Series(pd.to_datetime(["2027-02-17 10:00:00.250000+08:00", None, "2027-02-17 10:00:00+08:00"],
                                        format="ISO8601")),
        "naive": pd.Series(pd.to_datetime(["2026-11-20", "2026-11-21", None])),
        "utc": pd.Series(pd.to_datetime(["2026-11-20 02:00:00"], utc=True).repeat(3)),
    }),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_columns_are_written_as_the_spreadsheet_writer_writes_the_frame(name):
    frame = FRAMES[name]
    assert _written(frame_columns(frame)) == spreadsheet.to_csv(frame)


def test_formula_like_text_is_marked_and_plain_numbers_are_not():
    text = _written({"a": np.array(["=1+1", "-3.5", "x"], dtype=object), "b": np.array([1, 2, 3])})
    assert text.splitlines()[1:] == ["'=1+1,1", "-3.5,2", "x,3"]


def test_names_choose_and_order_the_columns():
    columns = {"b": np.array([1, 2]), "a": np.array(["x", "y"], dtype=object), "unused": np.array([0, 0])}
    assert _written(columns, ["a", "b"]) == "a,b\nx,1\ny,2\n"
