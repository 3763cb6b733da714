"""What each export is, who may have it, and what the public version hides (pure: no files, no store).

An export is one table (:class:`~relief.domain.vocabulary.ExportTable`) in one format
(:class:`~relief.domain.vocabulary.ExportFormat`). Rows arrive in chunks (``relief/store/export_queries.py``),
either as plain columns of raw values, from which :mod:`.tables` writes CSV/HXL lines and :mod:`.geojson`
Features without building a DataFrame, or as typed DataFrames (``geom`` last as shapely geometries) for
xlsx rows and GeoPackage layers; both give the same text. No export ever holds more than one chunk.

The public version (anonymous callers, ``relief export --public``) never contains households, drops
the columns that point at a person or carry free text about one (:data:`PUBLIC_DROPPED`), masks names,
ID numbers and phones with :mod:`relief.domain.disclosure`, and takes the position off rows tied to one
household (their position is the household's home).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from relief.domain.disclosure import mask_id_number, mask_name, mask_phone
from relief.domain.vocabulary import EXPORT_FORMATS, EXPORT_TABLES, ExportFormat, ExportTable
from relief.errors import Forbidden, ValidationFailed

#: File extension of each format; the HXL CSV is ``.hxl.csv`` (``GET /api/export/sites.hxl.csv``).
EXTENSIONS: Mapping[ExportFormat, str] = {
    ExportFormat.GEOJSON: "geojson",
    ExportFormat.CSV: "csv",
    ExportFormat.HXL: "hxl.csv",
    ExportFormat.GPKG: "gpkg",
    ExportFormat.XLSX: "xlsx",
}
MEDIA_TYPES: Mapping[ExportFormat, str] = {
    ExportFormat.GEOJSON: "application/geo+json",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.HXL: "text/csv; charset=utf-8",
    ExportFormat.GPKG: "application/geopackage+sqlite3",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Formats written as text, chunk after chunk (streamed as they are made); the others are files.
TEXT_FORMATS = frozenset({ExportFormat.GEOJSON, ExportFormat.CSV, ExportFormat.HXL})

#: Exports only staff may have, never in a public version.
STAFF_ONLY = frozenset({ExportTable.HOUSEHOLDS})
#: Exports whose rows are one household's: the public version has no position for them.
HOUSEHOLD_BOUND = frozenset({ExportTable.HOUSEHOLDS, ExportTable.GUARANTEES, ExportTable.DISTRIBUTIONS,
                             ExportTable.HOUSES, ExportTable.CASES})
#: Columns the public version drops: links to a household or a staff member, and free text about people.
PUBLIC_DROPPED = frozenset({"household_id", "notes", "reason", "rejection_reason", "payment_failure",
                            "exclusion_reason", "reported_by", "reporter_id", "actor_id", "phone"})
#: Columns the public version masks, and how.
PUBLIC_MASKS: Mapping[str, Callable[[str | None], str]] = {
    "head_name": mask_name, "assessed_by": mask_name, "id_number": mask_id_number, "phone": mask_phone,
}


def parse_table(value: Any, *, field: str = "what") -> ExportTable:
    """The export named ``value``; a 400 naming ``field`` and the known names otherwise."""
    if value not in EXPORT_TABLES:
        raise ValidationFailed(f"unknown export {value!r}; one of {', '.join(EXPORT_TABLES)}", field=field)
    return ExportTable(value)


def parse_format(value: Any, *, field: str = "format") -> ExportFormat:
    if value not in EXPORT_FORMATS:
        raise ValidationFailed(f"unknown format {value!r}; one of {', '.join(EXPORT_FORMATS)}", field=field)
    return ExportFormat(value)


def format_of_extension(extension: str, *, field: str = "format") -> ExportFormat:
    """The format a file extension names (``hxl.csv`` → HXL)."""
    for fmt, ext in EXTENSIONS.items():
        if ext == extension:
            return fmt
    raise ValidationFailed(f"unknown format {extension!r}; one of {', '.join(EXTENSIONS.values())}", field=field)


def check_allowed(what: ExportTable, *, public: bool) -> None:
    """Refuse a staff-only export in a public version (names the ``what`` field)."""
    if public and what in STAFF_ONLY:
        raise Forbidden(f"the {what} export holds personal data and is for staff only", field="what")


def public_frame(what: ExportTable, frame: pd.DataFrame) -> pd.DataFrame:
    """The public version of one chunk: personal columns dropped or masked, household positions removed."""
    out = frame.drop(columns=[c for c in frame.columns if c in PUBLIC_DROPPED])
    for column, mask in PUBLIC_MASKS.items():
        if column in out.columns:
            out[column] = [mask(v) if isinstance(v, str) and v else None for v in out[column].to_numpy(dtype=object)]
    if what in HOUSEHOLD_BOUND and "geom" in out.columns:
        out["geom"] = None
    return out


def file_name(what: ExportTable, fmt: ExportFormat, *, public: bool) -> str:
    """The name offered for a download: ``sites.hxl.csv``, ``incidents-public.gpkg``."""
    return f"{what.value}{'-public' if public else ''}.{EXTENSIONS[fmt]}"


def public_columns(what: ExportTable, names: list[str], columns: list[Sequence[Any]]) -> tuple[list[str], list[Any]]:
    """The public version of one chunk held as columns (``names[i]`` holds ``columns[i]``), as :func:`public_frame`."""
    kept_names, kept = [], []
    for name, values in zip(names, columns):
        if name in PUBLIC_DROPPED:
            continue
        mask = PUBLIC_MASKS.get(name)
        if mask is not None:
            values = [mask(v) if isinstance(v, str) and v else None for v in values]
        elif name == "geom" and what in HOUSEHOLD_BOUND:
            values = [None] * len(values)
        kept_names.append(name)
        kept.append(values)
    return kept_names, kept


def public_names(names: list[str]) -> list[str]:
    """The names :func:`public_columns` keeps."""
    return [n for n in names if n not in PUBLIC_DROPPED]
