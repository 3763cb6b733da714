"""Chunks as table rows: CSV text (plain or with its HXL hashtag row) and xlsx rows (pure).

A table has no geometry column: a located row gets ``lon`` and ``lat`` (the point itself, or a point
on the surface of an area), rounded to 1e-6°. Moments are UTC ISO 8601 (``2026-11-19T08:30:00Z``).
Every text cell passes through :mod:`relief.domain.spreadsheet`, so text beginning with ``=``, ``+``,
``-`` or ``@`` reaches a spreadsheet as text, never as a formula.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, Sequence

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


def time_text(value: Any) -> str | None:
    """One moment as :func:`iso_times` writes it (naive moments are UTC)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(timezone.utc)
        return moment.isoformat()[:19] + "Z"
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_cells(values: Sequence[Any]) -> list[str | None]:
    """Moments as :func:`iso_times` writes them, from a store's raw values (text as SQLite keeps it, or datetimes)."""
    # SQLite's own form, 'YYYY-MM-DD HH:MM:SS.ffffff', is cut into shape; anything else is parsed
    return [v[:10] + "T" + v[11:19] + "Z" if v.__class__ is str and len(v) == 26 and v[10] == " " and v[19] == "."
            else time_text(v) for v in values]


BOOL_TEXT = {True: "True", False: "False"}


class Points:
    """``lon``/``lat`` of positions given as WKB, as :func:`lon_lat` makes them, each position worked out once.

    Exports repeat positions (every distribution carries its household's), so each distinct WKB is
    decoded once; the memo is emptied when it reaches ``limit`` entries, keeping memory flat.
    """

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.lon: dict[Any, float | None] = {None: None}
        self.lat: dict[Any, float | None] = {None: None}

    def __call__(self, blobs: Sequence[Any]) -> tuple[list, list]:
        lons, lats = self.lon, self.lat
        new = [b for b in set(blobs) if b not in lons]
        if new:
            if len(lons) + len(new) > self.limit:
                lons.clear(), lats.clear()
                lons[None] = lats[None] = None
                new = [b for b in set(blobs) if b is not None]
            xs, ys = lon_lat(shapely.from_wkb([bytes(b) for b in new]))
            for key, x, y in zip(new, xs.tolist(), ys.tolist()):
                lons[key], lats[key] = (None if x != x else x), (None if y != y else y)
        return [lons[b] for b in blobs], [lats[b] for b in blobs]


def table_names(names: Sequence[str]) -> list[str]:
    """Column names of the table rows made from a chunk with ``names`` (``geom`` becomes ``lon``, ``lat``)."""
    out = [n for n in names if n != "geom"]
    return out + ["lon", "lat"] if "geom" in names else out


def rows_csv(names: Sequence[str], kinds: Mapping[str, str], columns: Sequence[Sequence[Any]],
             points: Points) -> str:
    """CSV lines (no header) of one chunk held as columns of raw values, as :func:`csv_text` of :func:`tabular`.

    ``kinds`` gives each name's kind (int, float, bool, time, text, geom); columns are in :func:`table_names`
    order, text cells spreadsheet-safe.
    """
    cells, text = [], []
    located = None
    for name, values in zip(names, columns):
        kind = kinds[name]
        if kind == "geom":
            located = values
            continue
        if kind == "time":
            values = time_cells(values)
        elif kind == "bool":
            values = [BOOL_TEXT.get(v) if v is not None else None for v in values]
        cells.append(values)
        text.append(kind == "text")
    if located is not None:
        lon, lat = points(located)
        cells += [lon, lat]
        text += [False, False]
    return spreadsheet.columns_csv(cells, text)


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
