"""Checking a register (a folder of spreadsheets) before anything is stored.

A county hands over its households, sites, facilities, items, past
distributions and medical visits as CSV or xlsx files. Every value is checked
here, column by column and vectorised, and the import is refused at the
*first* bad value with the file, the spreadsheet row (header = row 1, first
data row = 2) and the column, so a clerk can open the sheet and fix it.
"First" means: files in :data:`FILE_ORDER`, then the lowest row, then the
column's place in the file's specification.

The input is text exactly as read (``""`` for an empty cell); the output is
typed frames with the files' column names plus float ``lon``/``lat``.
References (a household's site, a distribution's household and item) may
point into the same import or into what the store already holds.

:func:`area_codes` places points in administrative areas (point in polygon
with an STR-tree), for the importer to fill village and county codes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import shapely

from relief.domain.vocabulary import (
    ASSISTANCE_CATEGORIES,
    HOUSE_DAMAGE,
    ITEM_GUARANTEES,
    SHELTERS,
    SITE_STATUSES,
    Shelter,
)
from relief.errors import ImportRejected

FLAGS = ("0", "1")
HEADER_ROW = 1  # data row i (0-based) is spreadsheet row i + 2
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class Column:
    """One column of a register file and what its values may be."""

    name: str
    kind: str  # id | text | int | number | flag | choice | time | lat | lon
    required: bool = True  # a value must be given (else an empty cell takes ``default``)
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    default: Any = None
    #: The file may leave the column out; then the stored values are kept (the column is not written).
    optional: bool = False


def _id(name: str) -> Column:
    return Column(name, "id", max_length=40)


def _count(name: str) -> Column:
    return Column(name, "int", required=False, minimum=0, default=0)


def _amount(name: str, required: bool = False) -> Column:
    return Column(name, "number", required=required, minimum=0, default=0.0)


_POSITION = (Column("lat", "lat", minimum=-90, maximum=90), Column("lon", "lon", minimum=-180, maximum=180))
_OPTIONAL_POSITION = tuple(Column(c.name, c.kind, required=False, minimum=c.minimum, maximum=c.maximum)
                           for c in _POSITION)

SPECS: dict[str, tuple[Column, ...]] = {
    "sites": (_id("site_id"), Column("name", "text", max_length=160), Column("kind", "text", max_length=24),
              *_POSITION, Column("capacity_persons", "int", minimum=0), _amount("covered_area_m2", True),
              _amount("water_l_per_day"), Column("provides_meals", "flag"), Column("medical_post", "flag"),
              Column("status", "choice", choices=SITE_STATUSES)),
    "facilities": (_id("facility_id"), Column("name", "text", max_length=160), Column("kind", "text", max_length=24),
                   *_POSITION, Column("operating", "flag")),
    "items": (_id("item_code"), Column("name", "text", max_length=120), Column("unit", "text", max_length=24),
              Column("guarantee", "choice", choices=ITEM_GUARANTEES), _amount("kcal_per_unit"),
              _amount("litres_per_unit"), _amount("sets_per_unit"), _amount("pieces_per_unit")),
    "households": (_id("household_id"), Column("head_name", "text", max_length=80), *_OPTIONAL_POSITION,
                   Column("members", "int", minimum=1), _count("infants"), _count("children"), _count("elderly"),
                   _count("disabled"), _count("chronic"), _count("pregnant"), _count("injured"),
                   Column("house_damage", "choice", choices=HOUSE_DAMAGE), Column("needs_living_aid", "flag"),
                   Column("shelter", "choice", choices=SHELTERS),
                   Column("site_id", "id", required=False, max_length=40), Column("evacuated", "flag"),
                   Column("assistance_category", "choice", required=False, choices=ASSISTANCE_CATEGORIES,
                          optional=True)),
    "distributions": (Column("household_id", "id", max_length=40), Column("item_code", "id", max_length=40),
                      Column("quantity", "number", minimum=0), Column("distributed_at", "time")),
    "medical_visits": (Column("household_id", "id", max_length=40), Column("visited_at", "time")),
}
FILE_ORDER = ("sites", "facilities", "items", "households", "distributions", "medical_visits")
KEYS = {"sites": "site_id", "facilities": "facility_id", "items": "item_code", "households": "household_id"}
VULNERABLE = ("infants", "children", "elderly", "disabled", "chronic", "pregnant", "injured")


@dataclass
class Known:
    """Ids already in the store that register rows may refer to."""

    site_ids: set[str] = field(default_factory=set)
    household_ids: set[str] = field(default_factory=set)
    item_codes: set[str] = field(default_factory=set)


@dataclass
class _Problems:
    """Candidate errors of one file; the first by (row, column place) wins."""

    file: str
    places: dict[str, int]
    found: list[tuple[int, int, int, str, str]] = field(default_factory=list)

    def add(self, bad: np.ndarray, column: str, message: str | Iterable[str]) -> None:
        where = np.flatnonzero(bad)
        if len(where):
            first = int(where[0])
            text = message if isinstance(message, str) else list(message)[first]
            place = self.places.get(column, len(self.places))
            self.found.append((first + HEADER_ROW + 1, place, len(self.found), column, text))

    def raise_first(self) -> None:
        if self.found:
            row, _, _, column, message = min(self.found)  # ties: the check made first (type before range)
            raise ImportRejected(message, file=self.file, row=row, column=column)


def validate_register(raw: Mapping[str, pd.DataFrame], known: Known | None = None, *,
                      file_names: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Typed, checked frames for the files present, or :class:`ImportRejected` at the first bad value.

    Parameters
    ----------
    raw : mapping of file stem (``households`` …) to a frame of text cells
    known : ids the store already holds (for references)
    file_names : stem → the file's name as the user sees it (``households.xlsx``)
    """
    known = known or Known()
    names = {stem: (file_names or {}).get(stem, f"{stem}.csv") for stem in raw}
    unknown = sorted(set(raw) - set(SPECS))
    if unknown:
        raise ImportRejected(f"unknown register file; expected {', '.join(f + '.csv' for f in FILE_ORDER)}",
                             file=names[unknown[0]])
    out: dict[str, pd.DataFrame] = {}
    for stem in FILE_ORDER:
        if stem in raw:
            out[stem] = _validate_file(stem, names[stem], raw[stem], out, known)
    return out


def _validate_file(stem: str, name: str, frame: pd.DataFrame, done: dict[str, pd.DataFrame],
                   known: Known) -> pd.DataFrame:
    spec = tuple(c for c in SPECS[stem] if not c.optional or c.name in frame.columns)
    _check_header(name, list(frame.columns), [c.name for c in spec],
                  [c.name for c in SPECS[stem] if c.optional and c not in spec])
    problems = _Problems(name, {c.name: i for i, c in enumerate(spec)})
    typed: dict[str, Any] = {}
    for column in spec:
        typed[column.name] = _parse(column, frame[column.name].fillna("").astype(str).str.strip(), problems)
    out = pd.DataFrame(typed, index=frame.index)
    key = KEYS.get(stem)
    if key:
        problems.add(out[key].duplicated(keep="first").to_numpy() & out[key].notna().to_numpy(), key,
                     f"{key} appears twice in the file")
    _CROSS_CHECKS.get(stem, lambda *a: None)(out, problems, done, known)
    problems.raise_first()
    return out.reset_index(drop=True)


def _check_header(name: str, present: list[str], expected: list[str], optional: Iterable[str] = ()) -> None:
    for column in present:
        if column not in expected:
            known = ", ".join([*expected, *(f"{c} (optional)" for c in optional)])
            raise ImportRejected(f"unknown column {column!r}; expected {known}", file=name,
                                 row=HEADER_ROW, column=column)
    for column in expected:
        if column not in present:
            raise ImportRejected(f"missing column {column!r}", file=name, row=HEADER_ROW, column=column)
    duplicated = [c for c in present if present.count(c) > 1]
    if duplicated:
        raise ImportRejected("column appears twice", file=name, row=HEADER_ROW, column=duplicated[0])


def _parse(column: Column, text: pd.Series, problems: _Problems) -> pd.Series:
    """The column's values typed; bad ones are reported to ``problems`` (and left as missing)."""
    empty = (text == "").to_numpy()
    if column.required:
        problems.add(empty, column.name, f"{column.name} is required")
    kind = column.kind
    if kind in ("id", "text"):
        values = text.astype(object).where(~empty, None)
        if column.max_length:
            problems.add((text.str.len() > column.max_length).to_numpy(), column.name,
                         f"{column.name} is longer than {column.max_length} characters")
        return values
    if kind in ("flag", "choice"):
        allowed = FLAGS if kind == "flag" else column.choices
        bad = ~text.isin(allowed).to_numpy() & ~empty
        problems.add(bad, column.name, [f"{column.name} must be one of {', '.join(allowed)}, not {v!r}"
                                        for v in text.to_numpy()])
        if kind == "flag":
            return pd.Series(text.to_numpy() == "1", index=text.index)
        return text.astype(object).where(~empty, None)
    if kind == "time":
        return _parse_time(column, text, empty, problems)
    return _parse_number(column, text, empty, problems)


def _parse_number(column: Column, text: pd.Series, empty: np.ndarray, problems: _Problems) -> pd.Series:
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
    bad = numbers.isna().to_numpy() & ~empty
    what = "a whole number" if column.kind == "int" else "a number"
    problems.add(bad, column.name, [f"{column.name} must be {what}, not {v!r}" for v in text.to_numpy()])
    values = numbers.to_numpy()
    if column.kind == "int":
        problems.add(np.isfinite(values) & (values != np.round(values)), column.name,
                     f"{column.name} must be a whole number")
    problems.add(~np.isfinite(values) & ~np.isnan(values), column.name, f"{column.name} must be finite")
    if column.minimum is not None:
        problems.add(values < column.minimum, column.name, f"{column.name} must be at least {column.minimum:g}")
    if column.maximum is not None:
        problems.add(values > column.maximum, column.name, f"{column.name} must be at most {column.maximum:g}")
    if column.default is not None:
        values = np.where(empty, column.default, values)
    out = pd.Series(values, index=text.index)
    if column.kind == "int":
        return out.round().astype("Int64")
    return out


def _parse_time(column: Column, text: pd.Series, empty: np.ndarray, problems: _Problems) -> pd.Series:
    """ISO 8601 with a UTC offset: a time without one is ambiguous across the country's clocks."""
    has_offset = text.str.contains(_OFFSET).to_numpy()
    stamps = pd.to_datetime(text.where(~empty & has_offset, None), errors="coerce", utc=True, format="ISO8601")
    unparsed = stamps.isna().to_numpy() & ~empty
    problems.add(unparsed & has_offset, column.name,
                 [f"{column.name} must be an ISO 8601 time, e.g. 2026-11-20T09:00:00+08:00, not {v!r}"
                  for v in text.to_numpy()])
    problems.add(~empty & ~has_offset, column.name,
                 [f"{column.name} needs a UTC offset, e.g. 2026-11-20T09:00:00+08:00, not {v!r}"
                  for v in text.to_numpy()])
    return stamps


# --- checks across columns and files ------------------------------------------------

def _check_position(out: pd.DataFrame, problems: _Problems) -> None:
    lat, lon = out["lat"].isna().to_numpy(), out["lon"].isna().to_numpy()
    problems.add(lat & ~lon, "lat", "lat is missing while lon is given")
    problems.add(lon & ~lat, "lon", "lon is missing while lat is given")


def _check_households(out: pd.DataFrame, problems: _Problems, done: dict[str, pd.DataFrame], known: Known) -> None:
    _check_position(out, problems)
    members = out["members"].to_numpy(dtype=float, na_value=np.nan)
    for column in VULNERABLE:
        counts = out[column].to_numpy(dtype=float, na_value=0.0)
        problems.add(counts > members, column, f"{column} cannot exceed members")
    ages = sum(out[c].to_numpy(dtype=float, na_value=0.0) for c in ("infants", "children", "elderly"))
    problems.add(ages > members, "members", "members must be at least infants + children + elderly")
    at_site = (out["shelter"] == Shelter.SITE.value).to_numpy()
    site = out["site_id"]
    problems.add(at_site & site.isna().to_numpy(), "site_id", "site_id is required when shelter is site")
    problems.add(~at_site & site.notna().to_numpy(), "site_id", "site_id is only for shelter = site")
    sites = known.site_ids | set(done["sites"]["site_id"]) if "sites" in done else known.site_ids
    problems.add(site.notna().to_numpy() & ~site.isin(sites).to_numpy(), "site_id",
                 [f"site_id {v!r} is not in sites.csv nor in the database" for v in site.to_numpy()])


def _check_references(out: pd.DataFrame, problems: _Problems, done: dict[str, pd.DataFrame], known: Known) -> None:
    households = known.household_ids | (set(done["households"]["household_id"]) if "households" in done else set())
    ids = out["household_id"]
    problems.add(ids.notna().to_numpy() & ~ids.isin(households).to_numpy(), "household_id",
                 [f"household_id {v!r} is not in households.csv nor in the database" for v in ids.to_numpy()])
    if "item_code" in out.columns:
        items = known.item_codes | (set(done["items"]["item_code"]) if "items" in done else set())
        codes = out["item_code"]
        problems.add(codes.notna().to_numpy() & ~codes.isin(items).to_numpy(), "item_code",
                     [f"item_code {v!r} is not in items.csv nor in the database" for v in codes.to_numpy()])


_CROSS_CHECKS = {
    "households": _check_households,
    "distributions": _check_references,
    "medical_visits": _check_references,
}


# --- areas ---------------------------------------------------------------------------

def area_codes(lon: np.ndarray, lat: np.ndarray, areas: pd.DataFrame, levels: Iterable[str]) -> pd.DataFrame:
    """The code of the area of each level holding each point (None outside all of them).

    ``areas`` has ``code``, ``level`` and ``geom`` (shapely, WGS 84). A point
    on a shared border goes to the area with the lowest code, so the answer
    does not depend on row order.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    points = shapely.points(lon, lat)
    points[~(np.isfinite(lon) & np.isfinite(lat))] = None
    out = {}
    for level in levels:
        shapes = areas.loc[areas["level"] == level].sort_values("code", ascending=False)
        codes = np.full(len(lon), None, dtype=object)
        if len(shapes):
            tree = shapely.STRtree(shapes["geom"].to_numpy())
            point_at, shape_at = tree.query(points, predicate="intersects")
            order = np.lexsort((shape_at, point_at))  # per point, lowest code (highest position) last
            point_at, shape_at = point_at[order], shape_at[order]
            last = np.r_[point_at[1:] != point_at[:-1], True] if len(point_at) else np.zeros(0, dtype=bool)
            codes[point_at[last]] = shapes["code"].to_numpy()[shape_at[last]]
        out[level] = codes
    return pd.DataFrame(out, dtype=object)
