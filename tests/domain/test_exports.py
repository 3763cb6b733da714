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
