"""Cells that a spreadsheet program shows as written, never runs.

Excel, LibreOffice and Google Sheets treat a text cell beginning with ``=``,
``+``, ``-`` or ``@`` (and, in some, a leading tab or carriage return) as a
formula, so a household id typed as ``=HYPERLINK("http://…")`` would become a
live link, or worse, in whoever opens the export. Every CSV or xlsx relief
writes passes its cells through :func:`safe_cell` (or a whole frame through
:func:`safe_frame`): such text gets a leading apostrophe, which the programs
show as text. Numbers stay numbers, a negative one included; so does text
that is just a plain number (``-3.5``), which no program reads as a formula.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Sequence, TextIO

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype, is_string_dtype

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What goes in front of such text so it is shown, not evaluated.
TEXT_MARK = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet should receive it: formula-like text marked as text, all else unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return TEXT_MARK + value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and text header) passed through :func:`safe_cell`.

    Numeric columns are left as they are, so they are written as numbers.
    """
    out = frame.copy()
    for column in out.columns:
        if not is_numeric_dtype(out[column].dtype):
            values = out[column].to_numpy(dtype=object)
            # only cells whose text starts like a formula can change: find them in one vectorised pass
            text = values.astype(str)
            suspect = np.zeros(len(values), dtype=bool)
            for start in FORMULA_STARTS:
                suspect |= np.strings.startswith(text, start)
            if suspect.any():
                marked = values.copy()
                marked[suspect] = [safe_cell(v) for v in values[suspect]]
                out[column] = pd.Series(marked, index=out.index, dtype=out[column].dtype)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, target: Any = None, *, header: bool = True) -> str | None:
    """``frame`` as CSV (no index, ``\\n`` lines) after :func:`safe_frame`: the one way relief writes a CSV.

    Returns the text, or writes it to ``target`` (a path or a text stream) and returns None.
    """
    return safe_frame(frame).to_csv(target, index=False, header=header, lineterminator="\n")


def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    """A few rows (a header, HXL's hashtag row) as CSV text, every cell through :func:`safe_cell`."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([safe_cell(c) for c in row] for row in rows)
    return buffer.getvalue()


def stream_csv(frame: pd.DataFrame, target: TextIO) -> None:
    """``frame`` as :func:`to_csv` writes it (formula-like text marked, ``\\n`` lines, numbers as Python prints
    them, missing cells empty), streamed by the ``csv`` module: pandas' writer formats cell by cell and takes
    several times as long over 100,000 rows."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in frame.columns])
    writer.writerows(zip(*(_cells(frame[column]) for column in frame.columns)))


def _cells(values: pd.Series) -> list:
    """A column's cells for the ``csv`` module: missing ones as None (written empty), text made safe."""
    if is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=object, na_value=None).tolist() if values.hasnans else values.tolist()
    cells = values.to_numpy(dtype=object, na_value=None).tolist()
    if is_string_dtype(values.dtype) and values.dtype != object:  # text or None only: one C-level test per cell
        return [v if v is None or not v.startswith(FORMULA_STARTS) else safe_cell(v) for v in cells]
    return [safe_cell(v) for v in cells]


def to_xlsx(frame: pd.DataFrame, target: Any) -> None:
    """``frame`` as one xlsx sheet after :func:`safe_frame` (openpyxl)."""
    safe_frame(frame).to_excel(target, index=False, engine="openpyxl")
