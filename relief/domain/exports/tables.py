"""Chunks as table rows: CSV text (plain or with its HXL hashtag row) and xlsx rows (pure).

A table has no geometry column: a located row gets ``lon`` and ``lat`` (the point itself, or a point
on the surface of an area), rounded to 1e-6°. Moments are UTC ISO 8601 (``2026-11-19T08:30:00Z``).
Every text cell passes through :mod:`relief.domain.spreadsheet`, so text beginning with ``=``, ``+``,
``-`` or ``@`` reaches a spreadsheet as text, never as a formula.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import shapely
from pandas.api.types import is_datetime64_any_dtype

from relief.domain import spreadsheet
from relief.domain.spreadsheet import safe_cell

#: Coordinates are rounded to this many decimals (1e-6° ≈ 0.1 m).
DIGITS = 6
#: Excel's limits: rows per sheet (the header rows included) and characters per sheet name.
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_NAME = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def iso_times(values: pd.Series) -> np.ndarray:
    """Moments as UTC ISO 8601 text to the second (``…Z``), None where missing; vectorised."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
    raw = naive.to_numpy(dtype="datetime64[s]")
    text = np.strings.add(np.datetime_as_string(raw, unit="s"), "Z").astype(object)
    text[np.isnat(raw)] = None
    return text


def with_times_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if is_datetime64_any_dtype(out[column].dtype):
            out[column] = iso_times(out[column])
    return out


def lon_lat(geoms: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A point for each geometry (itself, or one on its surface), rounded; NaN where there is none."""
    array = np.asarray(geoms, dtype=object)
    points = shapely.point_on_surface(array)
    return np.round(shapely.get_x(points), DIGITS), np.round(shapely.get_y(points), DIGITS)


def tabular(frame: pd.DataFrame) -> pd.DataFrame:
    """A chunk as table rows: geometry as ``lon``/``lat`` columns, moments as text."""
    out = with_times_as_text(frame.drop(columns=["geom"]) if "geom" in frame.columns else frame)
    if "geom" in frame.columns:
        out["lon"], out["lat"] = lon_lat(frame["geom"].to_numpy(dtype=object))
    return out


def header_text(columns: Sequence[str], tags: Sequence[str] | None = None) -> str:
    """The header line of a CSV and, for HXL, the hashtag row under it."""
    return spreadsheet.csv_lines([list(columns)] if tags is None else [list(columns), list(tags)])


def csv_text(frame: pd.DataFrame) -> str:
    """The rows of one tabular chunk as CSV lines (no header), cells spreadsheet-safe."""
    if frame.empty:
        return ""
    return spreadsheet.to_csv(frame, header=False)


def xlsx_rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The rows of one tabular chunk as xlsx cell values: missing → None, text spreadsheet-safe."""
    plain = frame.astype(object).where(frame.notna(), None)
    for values in plain.itertuples(index=False, name=None):
        yield [safe_cell(v.item() if isinstance(v, np.generic) else v) for v in values]


def sheet_name(base: str, used: set[str]) -> str:
    """A sheet name Excel accepts, unique among ``used`` (which it joins): ≤ 31 characters, no ``[]:*?/\\``.

    The second sheet of ``distributions`` is ``distributions (2)``; long names are cut to make room.
    """
    clean = _SHEET_FORBIDDEN.sub("_", base).strip("'") or "sheet"
    name, n = clean[:MAX_SHEET_NAME], 1
    while name.casefold() in {u.casefold() for u in used}:
        n += 1
        suffix = f" ({n})"
        name = clean[:MAX_SHEET_NAME - len(suffix)] + suffix
    used.add(name)
    return name
