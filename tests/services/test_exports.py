"""Every export written, read back with its own reader, and compared with the store."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import hxl
import openpyxl
import pyogrio
import pytest
import shapely

from relief.domain.standards import Standards
from relief.domain.vocabulary import EXPORT_FORMATS, ExportTable
from relief.errors import Forbidden, NotFound, ValidationFailed
from relief.services import exports
from relief.store import export_queries
from tests import export_world, world


@pytest.fixture
def ctx(store):
    export_world.build(store)
    return world.context(store)


def _write(ctx, tmp_path: Path, what: str, fmt: str, *, public: bool = False, **kwargs) -> Path:
    chosen = exports.plan(ctx, what, fmt, public=public)
    return exports.write_file(ctx, chosen, tmp_path / chosen.file_name, chunk_rows=2, **kwargs)


def _store_keys(ctx, what: ExportTable) -> list[str]:
    with ctx.store.read() as session:
        frames = list(export_queries.chunks(session, what))
    first = "household_id" if what == ExportTable.GUARANTEES else (
        "holder_id" if what == ExportTable.STOCK_BALANCES else "id")
    return [str(v) for frame in frames for v in frame[first]]


def _read_back(path: Path, fmt: str) -> list[dict]:
    if fmt == "geojson":
        document = json.loads(path.read_text("utf-8"))
        assert document["type"] == "FeatureCollection"
        frame = gpd.read_file(path) if document["features"] else None
        if frame is not None:
            assert len(frame) == len(document["features"])
        return [dict(f["properties"], _id=f.get("id"), _geometry=f["geometry"]) for f in document["features"]]
    if fmt == "gpkg":
        return pyogrio.read_dataframe(path).to_dict("records")
    if fmt == "hxl":
        source = hxl.data(str(path), hxl.InputOptions(allow_local=True))
        return [dict(zip([c.header for c in source.columns], row.values)) for row in source]
    if fmt == "csv":
        import csv
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    book = openpyxl.load_workbook(path, read_only=True)
    rows = []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        rows += [dict(zip(values[0], r)) for r in values[1:]]
    return rows


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
@pytest.mark.parametrize("what", [t.value for t in ExportTable])
def test_every_export_reads_back_with_the_rows_of_the_store(ctx, tmp_path, what, fmt):
    path = _write(ctx, tmp_path, what, fmt)
    rows = _read_back(path, fmt)
    assert len(rows) == export_world.COUNTS[what] == exports.row_count(ctx, ExportTable(what))
    keys = _store_keys(ctx, ExportTable(what))
    key = "household_id" if what == "guarantees" else ("holder_id" if what == "stock_balances" else "id")
    got = [str(r[key]) if r.get(key) is not None else None for r in rows]
    if fmt == "geojson" and what not in ("guarantees", "stock_balances"):
        got = [str(r["_id"]) for r in rows]
    assert [k.removesuffix(".0") if k else k for k in got] == keys


def test_geopackage_has_its_spatial_index_and_geometries(ctx, tmp_path):
    path = _write(ctx, tmp_path, "incidents", "gpkg")
    with sqlite3.connect(path) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        extensions = {r[0] for r in db.execute("SELECT extension_name FROM gpkg_extensions")}
    assert "rtree_incidents_geom" in names and "gpkg_rtree_index" in extensions
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 4326
    assert sorted(frame.geom_type) == ["Point", "Polygon"]
    assert set(frame["title"]) == {"=1+1 滑坡", "内涝"}  # GeoPackage keeps text as written: no spreadsheet there


def test_geojson_is_rfc7946(ctx, tmp_path):
    path = _write(ctx, tmp_path, "incidents", "geojson")
    document = json.loads(path.read_text("utf-8"))
    polygon = next(f for f in document["features"] if f["geometry"]["type"] == "Polygon")
    ring = shapely.LinearRing(polygon["geometry"]["coordinates"][0])
    assert ring.is_ccw
    lon, lat = polygon["geometry"]["coordinates"][0][0]
    assert 100 < lon < 120 and 20 < lat < 40
    assert polygon["properties"]["occurred_at"] == "2026-11-19T00:00:00Z"
    assert "geom" not in polygon["properties"] and "min_lon" not in polygon["properties"]


def test_hxl_tags_are_the_standards_and_libhxl_accepts_them(ctx, tmp_path):
    standards = Standards.bundled()
    for what in ExportTable:
        path = _write(ctx, tmp_path, what.value, "hxl")
        source = hxl.data(str(path), hxl.InputOptions(allow_local=True))
        headers = [c.header for c in source.columns]
        tags = [c.display_tag for c in source.columns]
        assert tags == standards.hxl_tags(what.value, headers)
        assert all(tags), f"untagged column in {what}: {headers}"
        assert hxl.schema().validate(hxl.data(str(path), hxl.InputOptions(allow_local=True)))
    sites = hxl.data(str(tmp_path / "sites.hxl.csv"), hxl.InputOptions(allow_local=True)).cache()
    assert sorted(sites.get_value_set("#loc+camp+code")) == ["S1", "S2", "S3"]
    assert sites.get_value_set("#adm2+name") == {"恩施市"}


def test_formula_like_text_is_neutralised_in_csv_and_xlsx(ctx, tmp_path):
    text = _write(ctx, tmp_path, "households", "csv").read_text("utf-8")
    assert "'" + export_world.FORMULA.replace('"', '""') in text
    assert "\n=" not in text and ",=" not in text and ",+" not in text
    sites = _write(ctx, tmp_path, "sites", "csv").read_text("utf-8")
    assert "'@恩施一中安置点" in sites and "'-SUM(A1:A9)" in sites
    book = openpyxl.load_workbook(_write(ctx, tmp_path, "incidents", "xlsx"))
    titles = [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "'=1+1 滑坡" in titles
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v[:1] in "=+@" for v in row)


def test_xlsx_splits_long_tables_into_unique_sheets_with_frozen_chinese_headers(ctx, tmp_path):
    labels = {"id": "编号", "quantity": "数量"}
    path = _write(ctx, tmp_path, "distributions", "xlsx", labels=labels, sheet_rows=3)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["distributions", "distributions (2)"]
    assert all(len(name) <= 31 for name in book.sheetnames)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        assert header[0] == "编号" and "数量" in header and "item_code" in header
    assert sum(s.max_row - 1 for s in book.worksheets) == 4


def test_public_exports_carry_no_names_id_numbers_or_phones(ctx, tmp_path):
    personal = export_world.NAMES + export_world.ID_NUMBERS + export_world.PHONES
    written = 0
    for what in ExportTable:
        if what == ExportTable.HOUSEHOLDS:
            continue
        for fmt in EXPORT_FORMATS:
            path = _write(ctx, tmp_path, what.value, fmt, public=True)
            if fmt in ("gpkg", "xlsx"):
                content = "\n".join(str(r) for r in _read_back(path, fmt))
            else:
                content = path.read_text("utf-8")
            for secret in personal:
                assert secret not in content, f"{secret} in public {what}.{fmt}"
            written += 1
    assert written == 9 * len(EXPORT_FORMATS)
    # the staff version does hold them: the check above could fail
    staff = _write(ctx, tmp_path, "households", "csv").read_text("utf-8")
    assert all(secret in staff for secret in personal)
    houses = _read_back(_write(ctx, tmp_path, "houses", "geojson", public=True), "geojson")
    assert houses[0]["assessed_by"] == "李**" and houses[0]["_geometry"] is None
    assert "household_id" not in houses[0]
    movements = _read_back(_write(ctx, tmp_path, "stock_movements", "csv", public=True), "csv")
    assert "reason" not in movements[0] and "household_id" not in movements[0]


def test_households_are_never_public(ctx):
    with pytest.raises(Forbidden) as refused:
        exports.plan(ctx, "households", "csv", public=True)
    assert refused.value.field == "what"


def test_unknown_export_or_format_names_the_field(ctx):
    with pytest.raises(ValidationFailed) as what:
        exports.plan(ctx, "donors", "csv", public=False)
    assert what.value.field == "what"
    with pytest.raises(ValidationFailed) as fmt:
        exports.plan(ctx, "sites", "shp", public=False)
    assert fmt.value.field == "format"


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_a_failed_export_leaves_no_file_and_keeps_the_old_one(ctx, tmp_path, monkeypatch, fmt):
    out = tmp_path / "exports" / f"distributions.{fmt}"
    out.parent.mkdir()
    out.write_text("the previous export")
    chosen = exports.plan(ctx, "distributions", fmt, public=False)
    real = export_queries.batches

    def failing(session, what, *, chunk_rows):
        for index, columns in enumerate(real(session, what, chunk_rows=chunk_rows)):
            if index == 1:
                raise RuntimeError("the disk filled up")
            yield columns

    monkeypatch.setattr(export_queries, "batches", failing)
    with pytest.raises(RuntimeError):
        exports.write_file(ctx, chosen, out, chunk_rows=2)
    assert out.read_text() == "the previous export"
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]
    fresh = tmp_path / "new" / f"distributions.{fmt}"
    with pytest.raises(RuntimeError):
        exports.write_file(ctx, chosen, fresh, chunk_rows=2)
    assert list(fresh.parent.iterdir()) == []


def test_absent_tables_are_not_found(ctx, monkeypatch):
    monkeypatch.setattr(export_queries, "is_present", lambda session, what: what != ExportTable.HOUSES)
    with pytest.raises(NotFound) as missing:
        exports.plan(ctx, "houses", "csv", public=False)
    assert missing.value.field == "what"


def test_chunks_are_bounded(ctx):
    with ctx.store.read() as session:
        sizes = [len(f) for f in export_queries.chunks(session, ExportTable.DISTRIBUTIONS, chunk_rows=3)]
    assert sizes == [3, 1]


def test_distributions_read_the_same_with_households_looked_up_or_joined(ctx, monkeypatch):
    with ctx.store.read() as session:
        looked_up = list(export_queries.batches(session, ExportTable.DISTRIBUTIONS, chunk_rows=3))
    monkeypatch.setattr(export_queries, "LOOKUP_ROWS", -1)  # too many households to hold: the SQL join
    with ctx.store.read() as session:
        joined = list(export_queries.batches(session, ExportTable.DISTRIBUTIONS, chunk_rows=3))
    assert [len(c[0]) for c in looked_up] == [3, 1]
    assert [[list(c) for c in chunk] for chunk in looked_up] == [[list(c) for c in chunk] for chunk in joined]
    assert len(looked_up[0]) == len(export_queries.layout(ExportTable.DISTRIBUTIONS))


def test_text_exports_give_the_collector_back(ctx):
    import gc

    chosen = exports.plan(ctx, "distributions", "csv", public=False)
    seen = []
    for _ in exports.text_pieces(ctx, chosen, chunk_rows=2):
        seen.append(gc.isenabled())  # on while the reader has the piece
    assert seen and all(seen) and gc.isenabled()
    pieces = exports.text_pieces(ctx, chosen, chunk_rows=2)
    next(pieces)
    pieces.close()  # a reader that stops early
    assert gc.isenabled()
    gc.disable()
    try:
        list(exports.text_pieces(ctx, chosen, chunk_rows=2))
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_the_tally_counts_the_rows_written(ctx, tmp_path, fmt):
    seen = []
    _write(ctx, tmp_path, "distributions", fmt, tally=seen.append)
    assert seen == [2, 2] and sum(seen) == export_world.COUNTS["distributions"]
