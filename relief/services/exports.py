"""Every table out in the formats partners read, streamed chunk by chunk with flat memory.

``plan(ctx, what, fmt, public=…)`` checks the request (unknown export or format: a 400 naming the
field; the households export in a public version: 403; the reconstruction or assistance tables
absent: 404). Then:

- ``text_pieces(ctx, plan)`` yields the GeoJSON, CSV or HXL CSV text a chunk at a time (what
  ``GET /api/export/<what>.<ext>`` streams);
- ``write_file(ctx, plan, out)`` writes any format to ``out`` through a temporary file in the same
  folder, renamed into place only when complete, so a failed export leaves no file behind. GeoPackage
  layers are appended chunk by chunk through pyogrio/GDAL with an R*Tree spatial index
  (``rtree_<table>_geom``); xlsx is written by openpyxl in write-only mode, a new sheet every
  1,048,576 rows, header row frozen.

Rows come from ``store/export_queries.py`` (one streaming ``SELECT`` per export) and are shaped by
``domain/exports`` (the public version, CSV/HXL/xlsx rows, GeoJSON Features): the text formats from
plain columns, GeoPackage and xlsx from DataFrames.
"""
from __future__ import annotations

import gc
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar

import geopandas as gpd
import pandas as pd

from relief.domain import exports
from relief.domain.exports import geojson, tables
from relief.domain.vocabulary import ExportFormat, ExportTable
from relief.errors import NotFound
from relief.services.context import Context
from relief.store import export_queries

T = TypeVar("T")
_END = object()
#: Rows read, formatted and written at a time.
CHUNK_ROWS = export_queries.CHUNK_ROWS
#: Layers whose every position is a point (the others may hold areas).
POINT_LAYERS = frozenset({ExportTable.FIELD_REPORTS, ExportTable.SITES, ExportTable.HOUSEHOLDS,
                          ExportTable.GUARANTEES, ExportTable.DISTRIBUTIONS, ExportTable.STOCK_BALANCES,
                          ExportTable.STOCK_MOVEMENTS, ExportTable.HOUSES, ExportTable.CASES})


@dataclass(frozen=True)
class Plan:
    what: ExportTable
    fmt: ExportFormat
    public: bool

    @property
    def file_name(self) -> str:
        return exports.file_name(self.what, self.fmt, public=self.public)

    @property
    def media_type(self) -> str:
        return exports.MEDIA_TYPES[self.fmt]

    @property
    def is_text(self) -> bool:
        return self.fmt in exports.TEXT_FORMATS


def plan(ctx: Context, what: Any, fmt: Any, *, public: bool) -> Plan:
    """A checked export request: known table and format, allowed for this version, present in the store."""
    table = exports.parse_table(what)
    chosen = exports.parse_format(fmt)
    exports.check_allowed(table, public=public)
    with ctx.reading() as session:
        if not export_queries.is_present(session, table):
            raise NotFound(f"this store holds no {table} table", field="what")
    return Plan(table, chosen, public)


def chunks(ctx: Context, chosen: Plan, *, chunk_rows: int = CHUNK_ROWS,
           tally: Callable[[int], Any] | None = None) -> Iterator[pd.DataFrame]:
    """The export's rows a chunk at a time, already in its public version when it is one."""
    return _collector_paused(_chunks(ctx, chosen, chunk_rows, tally))


def _chunks(ctx: Context, chosen: Plan, chunk_rows: int, tally: Callable[[int], Any] | None) -> Iterator[pd.DataFrame]:
    with ctx.reading() as session:
        for frame in export_queries.chunks(session, chosen.what, chunk_rows=chunk_rows):
            if tally is not None:
                tally(len(frame))
            yield exports.public_frame(chosen.what, frame) if chosen.public else frame


def row_count(ctx: Context, what: ExportTable) -> int:
    with ctx.reading() as session:
        return export_queries.row_count(session, what)


def _columns(ctx: Context, chosen: Plan, chunk_rows: int,
             tally: Callable[[int], Any] | None) -> Iterator[tuple[list[str], list[Any]]]:
    """The export's rows a chunk at a time as (names, columns) of raw values, public version applied."""
    names = [name for name, _ in export_queries.layout(chosen.what)]
    with ctx.reading() as session:
        for columns in export_queries.batches(session, chosen.what, chunk_rows=chunk_rows):
            if tally is not None:
                tally(len(columns[0]) if columns else 0)
            yield exports.public_columns(chosen.what, names, columns) if chosen.public else (names, columns)


def _collector_paused(pieces: Iterator[T]) -> Iterator[T]:
    """``pieces`` with Python's cyclic garbage collector paused while each piece is made.

    Every chunk allocates tens of thousands of row tuples, which set off collections that walk all the
    process's live objects again and again: they cost more than reading the rows did. The collector
    is on again whenever a piece is handed out, so a slow reader never keeps it off.
    """
    try:
        while True:
            was_on = gc.isenabled()
            gc.disable()
            try:
                piece = next(pieces, _END)
            finally:
                if was_on:
                    gc.enable()
            if piece is _END:
                return
            yield piece
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


def text_pieces(ctx: Context, chosen: Plan, *, chunk_rows: int = CHUNK_ROWS,
                tally: Callable[[int], Any] | None = None) -> Iterator[str]:
    """GeoJSON, CSV or HXL CSV text, one piece per chunk (the first carries the header).

    Rows go from the driver's tuples straight to text: no DataFrame per chunk, each distinct position
    decoded once.
    """
    return _collector_paused(_text_pieces(ctx, chosen, chunk_rows, tally))


def _text_pieces(ctx: Context, chosen: Plan, chunk_rows: int, tally: Callable[[int], Any] | None) -> Iterator[str]:
    layout = export_queries.layout(chosen.what)
    kinds = dict(layout)
    if chosen.fmt == ExportFormat.GEOJSON:
        yield geojson.OPENING
        first = True
        shapes = geojson.Geometries()
        for names, columns in _columns(ctx, chosen, chunk_rows, tally):
            text = geojson.rows_features(names, kinds, columns, shapes)
            if text:
                yield text if first else geojson.SEPARATOR + text
                first = False
        yield geojson.CLOSING
        return
    if chosen.fmt not in (ExportFormat.CSV, ExportFormat.HXL):
        raise ValueError(f"{chosen.fmt} is not a text format")
    names = [name for name, _ in layout]
    columns = tables.table_names(exports.public_names(names) if chosen.public else names)
    tags = ctx.standards.hxl_tags(chosen.what, columns) if chosen.fmt == ExportFormat.HXL else None
    yield tables.header_text(columns, tags)
    points = tables.Points()
    for names, cells in _columns(ctx, chosen, chunk_rows, tally):
        yield tables.rows_csv(names, kinds, cells, points)


def _write_text(ctx: Context, chosen: Plan, path: Path, chunk_rows: int, tally: Callable[[int], Any] | None) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        for piece in text_pieces(ctx, chosen, chunk_rows=chunk_rows, tally=tally):
            out.write(piece)


def _write_gpkg(ctx: Context, chosen: Plan, path: Path, chunk_rows: int, tally: Callable[[int], Any] | None) -> None:
    import pyogrio

    geometry_type = "Point" if chosen.what in POINT_LAYERS else "Unknown"
    for index, frame in enumerate(chunks(ctx, chosen, chunk_rows=chunk_rows, tally=tally)):
        geoms = frame["geom"] if "geom" in frame.columns else [None] * len(frame)
        layer = gpd.GeoDataFrame(frame.drop(columns=["geom"], errors="ignore"),
                                 geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326", index=frame.index))
        pyogrio.write_dataframe(layer, path, layer=chosen.what.value, driver="GPKG", geometry_type=geometry_type,
                                append=index > 0, promote_to_multi=False,
                                layer_options={"SPATIAL_INDEX": "YES"} if index == 0 else None)


def _write_xlsx(ctx: Context, chosen: Plan, path: Path, chunk_rows: int, labels: Mapping[str, str] | None,
                sheet_rows: int, tally: Callable[[int], Any] | None) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    try:
        _fill_xlsx(ctx, chosen, book, chunk_rows, labels, sheet_rows, tally)
    except BaseException:
        _discard(book)
        raise
    book.save(path)


def _discard(book: Any) -> None:
    """Close a write-only workbook that will not be saved, removing the sheets' temporary files."""
    for sheet in book.worksheets:
        try:
            sheet.close()
        finally:
            writer = getattr(sheet, "_writer", None)
            if writer is not None and isinstance(getattr(writer, "out", None), str):
                Path(writer.out).unlink(missing_ok=True)


def _fill_xlsx(ctx: Context, chosen: Plan, book: Any, chunk_rows: int, labels: Mapping[str, str] | None,
               sheet_rows: int, tally: Callable[[int], Any] | None) -> None:
    used: set[str] = set()
    sheet, rows_in_sheet, header = None, 0, None
    for frame in chunks(ctx, chosen, chunk_rows=chunk_rows, tally=tally):
        rows = tables.tabular(frame)
        if header is None:
            header = [tables.safe_cell((labels or {}).get(c, c)) for c in rows.columns]
        for values in tables.xlsx_rows(rows):
            if sheet is None or rows_in_sheet >= sheet_rows:
                sheet = book.create_sheet(tables.sheet_name(chosen.what.value, used))
                sheet.freeze_panes = "A2"
                sheet.append(header)
                rows_in_sheet = 1
            sheet.append(values)
            rows_in_sheet += 1
    if sheet is None:  # no rows: one sheet with the header alone
        sheet = book.create_sheet(tables.sheet_name(chosen.what.value, used))
        sheet.freeze_panes = "A2"
        sheet.append(header or [])


def write_file(ctx: Context, chosen: Plan, out: Path | str, *, chunk_rows: int = CHUNK_ROWS,
               labels: Mapping[str, str] | None = None, sheet_rows: int = tables.MAX_SHEET_ROWS,
               tally: Callable[[int], Any] | None = None) -> Path:
    """Write the export to ``out``, all or nothing: a temporary file beside it, renamed when complete.

    ``labels`` (xlsx only) names the header cells (column → label, e.g. translated); ``sheet_rows``
    is the most rows a sheet holds, its header included; ``tally`` is called with each chunk's row count
    (the rows written, without counting them again in the store).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=f".part.{out.suffix.lstrip('.')}")
    os.close(handle)
    temporary = Path(name)
    try:
        if chosen.fmt == ExportFormat.GPKG:
            temporary.unlink()  # GDAL creates the file itself
            _write_gpkg(ctx, chosen, temporary, chunk_rows, tally)
        elif chosen.fmt == ExportFormat.XLSX:
            _write_xlsx(ctx, chosen, temporary, chunk_rows, labels, sheet_rows, tally)
        else:
            _write_text(ctx, chosen, temporary, chunk_rows, tally)
        temporary.chmod(0o644)
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return out


def file_pieces(path: Path, *, size: int = 1 << 16) -> Iterator[bytes]:
    """A built file's bytes in pieces, the file removed once read (or once the reader stops)."""
    try:
        with open(path, "rb") as source:
            while piece := source.read(size):
                yield piece
    finally:
        path.unlink(missing_ok=True)
