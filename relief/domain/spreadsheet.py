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

import re
from typing import Any

import pandas as pd
from pandas.api.types import is_numeric_dtype

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
            out[column] = pd.Series([safe_cell(v) for v in out[column]], index=out.index,
                                    dtype=out[column].dtype)
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def to_csv(frame: pd.DataFrame, target: Any = None) -> str | None:
    """``frame`` as CSV (no index, ``\\n`` lines) after :func:`safe_frame`: the one way relief writes a CSV.

    Returns the text, or writes it to ``target`` (a path or a text stream) and returns None.
    """
    return safe_frame(frame).to_csv(target, index=False, lineterminator="\n")
