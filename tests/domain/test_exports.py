"""Export rules and formatting, pure: parsing, the public version, table rows, GeoJSON text, sheet names."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from relief.domain import exports
from relief.domain.exports import geojson, tables
from relief.domain.vocabulary import ExportFormat, ExportTable
from relief.errors import Forbidden, ValidationFailed

AT = datetime(2026, 11, 19, 8, 30, 15, tzinfo=timezone.utc)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": pd.array([1, 2], dtype="Int64"),
        "household_id": ["H1", "H2"],
        "assessed_by": ["张三丰", None],
        "id_number": ["422801199001011234", ""],
        "notes": ["=cmd", "ok"],
        "title": ["=1+1", "-3.5"],
        "at": pd.to_datetime([AT, None], utc=True),
        "geom": [box(0, 0, 1, 1, ccw=False), None],
    })


def test_parsing_names_the_field():
    assert exports.parse_table("sites") is ExportTable.SITES
    assert exports.format_of_extension("hxl.csv") is ExportFormat.HXL
    for call, field in ((lambda: exports.parse_table("donors"), "what"),
                        (lambda: exports.parse_format("shp"), "format"),
                        (lambda: exports.format_of_extension("csv.gz"), "format")):
        with pytest.raises(ValidationFailed) as refused:
            call()
        assert refused.value.field == field


def test_households_are_staff_only():
    exports.check_allowed(ExportTable.HOUSEHOLDS, public=False)
    exports.check_allowed(ExportTable.SITES, public=True)
    with pytest.raises(Forbidden):
        exports.check_allowed(ExportTable.HOUSEHOLDS, public=True)


def test_public_version_drops_masks_and_unplaces_household_rows():
    out = exports.public_frame(ExportTable.HOUSES, _frame())
    assert "household_id" not in out.columns and "notes" not in out.columns
    assert out["assessed_by"][0] == "张**" and pd.isna(out["assessed_by"][1])
    assert out["id_number"][0] == "4228**********1234"
    assert out["geom"].isna().all()
    kept = exports.public_frame(ExportTable.INCIDENTS, _frame())
    assert kept["geom"][0] is not None


def test_table_rows_have_lon_lat_iso_times_and_safe_text():
    rows = tables.tabular(_frame())
    assert list(rows.columns)[-2:] == ["lon", "lat"]
    assert rows["lon"][0] == pytest.approx(0.5) and pd.isna(rows["lon"][1])
    assert rows["at"][0] == "2026-11-19T08:30:15Z" and pd.isna(rows["at"][1])
    text = tables.csv_text(rows)
    assert "'=1+1" in text and "'=cmd" in text and ",-3.5," in text
    assert tables.header_text(["id", "=x"], ["#meta+id", ""]) == "id,'=x\n#meta+id,\n"
    cells = list(tables.xlsx_rows(rows))
    assert cells[0][0] == 1 and cells[0][5] == "'=1+1" and cells[1][6] is None


def test_geojson_features_are_rfc7946():
    text = geojson.features_text(_frame())
    document = json.loads(geojson.OPENING + text + geojson.CLOSING)
    first, second = document["features"]
    assert first["id"] == 1 and second["geometry"] is None
    assert shapely.LinearRing(first["geometry"]["coordinates"][0]).is_ccw
    assert first["properties"]["at"] == "2026-11-19T08:30:15Z" and "geom" not in first["properties"]
    assert first["properties"]["title"] == "=1+1"  # JSON is no spreadsheet: text as written
    point = geojson.geometries([Point(109.123456789, 30.5)])[0]
    assert json.loads(point)["coordinates"] == [109.123457, 30.5]
    assert geojson.features_text(_frame().iloc[:0]) == ""


def test_sheet_names_are_unique_and_short():
    used: set[str] = set()
    names = [tables.sheet_name("distributions of relief items to households", used) for _ in range(3)]
    assert len(set(names)) == 3 and all(len(n) <= 31 for n in names)
    assert names[1].endswith(" (2)") and tables.sheet_name("a/b:c", set()) == "a_b_c"
    assert tables.sheet_name("安置点", {"安置点"}) == "安置点 (2)"


KINDS = {"id": "int", "household_id": "text", "assessed_by": "text", "id_number": "text", "notes": "text",
         "quantity": "float", "settled": "bool", "at": "time", "geom": "geom"}


def _raw_columns() -> tuple[list[str], list[list]]:
    """Three rows as a store hands them over: times as SQLite text (or datetimes), 0/1 booleans, WKB."""
    columns = {
        "id": [1, 2, None],
        "household_id": ["H1", "=H2", None],
        "assessed_by": ["张三丰", None, "李四光"],
        "id_number": ["422801199001011234", "", None],
        "notes": ["=cmd", 'a "quoted", line\nbreak', "@x/y"],
        "quantity": [5.0, 0.1 + 0.2, None],
        "settled": [1, 0, None],
        "at": ["2026-11-19 08:30:15.999999", datetime(2026, 11, 19, 16, 30, 15, tzinfo=timezone.utc).astimezone(
            timezone(pd.Timedelta(hours=8))), "2026-11-19T08:30:15+08:00"],
        "geom": [shapely.to_wkb(box(0, 0, 1, 1, ccw=False)), shapely.to_wkb(Point(109.1234567, 30.5)), None],
    }
    return list(columns), list(columns.values())


def _typed_frame(names: list[str], columns: list[list]) -> pd.DataFrame:
    """The same rows typed as the DataFrame path types them (store/export_queries._frame)."""
    values = dict(zip(names, columns))
    return pd.DataFrame({
        "id": pd.array(values["id"], dtype="Int64"),
        "household_id": values["household_id"], "assessed_by": values["assessed_by"],
        "id_number": values["id_number"], "notes": values["notes"],
        "quantity": pd.array(values["quantity"], dtype="float64"),
        "settled": pd.array(values["settled"], dtype="Int64").astype("boolean"),
        "at": pd.to_datetime([v if isinstance(v, str) else v.isoformat() for v in values["at"]], utc=True,
                             format="ISO8601"),
        "geom": shapely.from_wkb(values["geom"]),
    })


def test_csv_from_raw_columns_is_the_csv_of_the_typed_frame():
    names, columns = _raw_columns()
    frame = _typed_frame(names, columns)
    assert tables.table_names(names) == list(tables.tabular(frame).columns)
    points = tables.Points()
    text = tables.rows_csv(names, KINDS, columns, points)
    assert text == tables.csv_text(tables.tabular(frame))
    assert "'=cmd" in text and "'=H2" in text and "08:30:15Z" in text
    assert tables.rows_csv(names, KINDS, columns, points) == text  # positions from the memo this time
    assert tables.rows_csv(names, KINDS, [[] for _ in names], points) == ""


def test_points_memo_stays_bounded():
    points = tables.Points(limit=2)
    blobs = [shapely.to_wkb(Point(x, 1)) for x in range(5)]
    lon, lat = points(blobs + [None])
    assert lon == [0.0, 1.0, 2.0, 3.0, 4.0, None] and lat == [1.0] * 5 + [None]
    assert len(points.lon) == 6  # a chunk's own positions are all kept while it is made
    assert points([shapely.to_wkb(Point(9, 9))]) == ([9.0], [9.0])
    assert len(points.lon) == 2  # emptied before growing past the limit


def test_features_from_raw_columns_are_the_features_of_the_typed_frame():
    names, columns = _raw_columns()
    frame = _typed_frame(names, columns)
    shapes = geojson.Geometries()
    made = geojson.rows_features(names, KINDS, columns, shapes)
    expected = geojson.features_text(frame)
    assert json.loads("[" + made + "]") == json.loads("[" + expected + "]")
    assert made.count(geojson.SEPARATOR) == 2
    assert geojson.rows_features(names, KINDS, columns, shapes) == made
    unnamed = [n for n in names if n != "id"]
    assert '"id"' not in geojson.rows_features(unnamed, KINDS, columns[1:], shapes)


def test_public_columns_are_the_public_frame():
    names, columns = _raw_columns()
    kept, values = exports.public_columns(ExportTable.DISTRIBUTIONS, names, columns)
    frame = exports.public_frame(ExportTable.DISTRIBUTIONS, _typed_frame(names, columns))
    assert kept == list(frame.columns) == exports.public_names(names)
    assert values[kept.index("assessed_by")] == [None if pd.isna(v) else v for v in frame["assessed_by"]]
    assert values[kept.index("geom")] == [None, None, None]
    assert exports.public_columns(ExportTable.SITES, names, columns)[1][-1] == columns[-1]
