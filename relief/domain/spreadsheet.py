"""Cells that a spreadsheet program shows as written, never runs.

Excel, LibreOffice and Google Sheets treat a text cell beginning with ``=``,
``+``, ``-`` or ``@`` (and, in some, a leading tab or carriage return) as a
formula, so a household id typed as ``=HYPERLINK("http://…")`` would become a
live link, or worse, in whoever opens the export. Every CSV or xlsx relief
writes passes its cells through :func:`safe_cell` (or a whole frame through
:func:`safe_frame`, or whole columns through :func:`safe_cells` and
:func:`write_columns_csv`): such text gets a leading apostrophe, which the programs
show as text. Numbers stay numbers, a negative one included; so does text
that is just a plain number (``-3.5``), which no program reads as a formula.
"""
from __future__ import annotations

import csv
import io
import math
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, TextIO

import numpy as np

if TYPE_CHECKING:  # pandas is imported where a frame is written: the commands writing plain columns do without it
    import pandas as pd

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
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

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
    from pandas.api.types import is_numeric_dtype, is_string_dtype

    if is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=object, na_value=None).tolist() if values.hasnans else values.tolist()
    cells = values.to_numpy(dtype=object, na_value=None).tolist()
    if is_string_dtype(values.dtype) and values.dtype != object:  # text or None only: one C-level test per cell
        return [v if v is None or not v.startswith(FORMULA_STARTS) else safe_cell(v) for v in cells]
    return [safe_cell(v) for v in cells]


def safe_cells(values: Sequence[Any]) -> Sequence[Any]:
    """:func:`safe_cell` over a column of cells; the column itself when no cell can change."""
    try:  # one C-level search of the whole column: a cell that can change starts right after a separator
        joined = "\x00" + "\x00".join(filter(None, values))
    except TypeError:  # not all text
        joined = None
    if joined is not None and not any("\x00" + start in joined for start in FORMULA_STARTS):
        return values
    return [v if v.__class__ is not str or not v.startswith(FORMULA_STARTS) else safe_cell(v) for v in values]


def columns_csv(columns: Sequence[Sequence[Any]], text: Sequence[bool]) -> str:
    """Rows given as columns (no header) as CSV text, ``\n`` lines, missing cells empty.

    The cells of columns flagged in ``text`` pass through :func:`safe_cell`; the others must hold
    numbers, booleans or None only (they are written as Python prints them).
    """
    if not columns or not len(columns[0]):
        return ""
    cells = [safe_cells(values) if is_text else values for values, is_text in zip(columns, text)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(zip(*cells))
    return buffer.getvalue()


# --- whole columns, no frame --------------------------------------------------------------------------
# The commands that print every house or household build no frame for it: cells become text column by
# column (numbers as Python prints them, missing cells empty, formula-like text marked by safe_cell), and
# the lines are joined in C; byte for byte what to_csv writes for the same frame. One search per column
# tells whether any cell needs the csv module's quoting or a formula mark.

#: Characters that make the ``csv`` module quote a cell (``,`` ``"`` and line ends).
_QUOTED = (",", '"', "\r", "\n")


class _Mixed(Exception):
    """A text column holds something other than text or a missing cell."""


def write_columns_csv(columns: Mapping[str, Any], target: TextIO, names: Sequence[str] | None = None) -> None:
    """``columns`` (arrays or lists by name, equally long) as CSV with a header, in ``names`` order."""
    names = list(columns) if names is None else list(names)
    header = _marked(names)
    made = [_text_cells(columns[name]) for name in names]
    cells = [c for c, _ in made]
    if len(names) < 2 or _quoted("\x00".join(header)) or any(quoted for _, quoted in made):
        # quoting (and a lone empty cell) exactly as the csv module does it
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*cells))
        return
    target.write(",".join(header) + "\n")
    if cells and len(cells[0]):
        target.write("\n".join(map(",".join, zip(*cells))))
        target.write("\n")


def _text_cells(values: Any) -> tuple[list[str], bool]:
    """One column's cells as text, and whether any of them needs quoting."""
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    kind = array.dtype.kind
    if kind in "iub":
        return list(map(str, array.tolist())), False
    if kind == "f":
        numbers = array.tolist()
        if np.isnan(array).any():
            return ["" if math.isnan(v) else repr(v) for v in numbers], False
        return list(map(repr, numbers)), False
    text = array.tolist()
    try:
        joined = "\x00".join(text)  # text only (the usual case): checked below in a few C-level scans
    except TypeError:
        try:
            text = [v if isinstance(v, str) else _missing(v) for v in text]
        except _Mixed:
            text = [_other(v) for v in text]
            return text, _quoted("\x00".join(text))
        joined = "\x00".join(text)
    joined = "\x00" + joined
    if any("\x00" + start in joined for start in FORMULA_STARTS):
        text = _marked(text)
    return text, _quoted(joined)


def _marked(cells: list) -> list:
    """Cells through :func:`safe_cell`, once some may start like a formula."""
    if not any(isinstance(c, str) and c.startswith(FORMULA_STARTS) for c in cells):
        return list(cells)
    return [safe_cell(c) for c in cells]


def _quoted(joined: str) -> bool:
    return any(mark in joined for mark in _QUOTED)


def _missing(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    raise _Mixed


def _other(value: Any) -> str:
    """A cell of a column of mixed values, as the csv module writes it after :func:`safe_cell`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        value = safe_cell(value)
    return value if isinstance(value, str) else str(value)


def frame_columns(frame: Any) -> dict[str, Any]:
    """A frame's columns as :func:`write_columns_csv` takes them, its moments already in ``to_csv``'s text
    (each distinct moment formatted once, by pandas itself, so the text is the same)."""
    out: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind == "M":
            out[name] = _moment_cells(series)
        elif series.dtype.kind in "iufb" and not series.hasnans and isinstance(series.dtype, np.dtype):
            out[name] = series.to_numpy()
        else:
            out[name] = series.to_numpy(dtype=object, na_value=None)
    return out


def _moment_cells(series: Any) -> list[str]:
    import pandas as pd

    codes, distinct = pd.factorize(series)
    if not len(distinct):
        return [""] * len(series)
    texts = pd.DataFrame({"moment": pd.Series(distinct, dtype=series.dtype)}).to_csv(
        index=False, header=False, lineterminator="\n").split("\n")[:len(distinct)]
    texts.append("")  # code -1: a missing moment
    return [texts[c] for c in codes.tolist()]


def to_xlsx(frame: pd.DataFrame, target: Any) -> None:
    """``frame`` as one xlsx sheet after :func:`safe_frame` (openpyxl)."""
    safe_frame(frame).to_excel(target, index=False, engine="openpyxl")
