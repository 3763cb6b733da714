"""GET /api/export/<what>.<ext>: streamed, read back, staff and public versions, 4xx naming the field."""
from __future__ import annotations

import csv
import io
import json
import sqlite3

import geopandas as gpd
import hxl
import openpyxl
import pytest

from tests import export_world


@pytest.fixture
def staff(app, store, make_user):
    export_world.build(store)
    return make_user("commander")


def test_anonymous_partner_gets_the_public_hxl_csv_of_sites(client, staff, tmp_path):
    answer = client.get("/api/export/sites.hxl.csv")
    assert answer.status_code == 200 and answer.is_streamed
    assert answer.mimetype == "text/csv"
    assert 'filename="sites-public.hxl.csv"' in answer.headers["Content-Disposition"]
    path = tmp_path / "sites.hxl.csv"
    path.write_bytes(answer.get_data())
    source = hxl.data(str(path), hxl.InputOptions(allow_local=True)).cache()
    assert sorted(source.get_value_set("#loc+camp+code")) == ["S1", "S2", "S3"]
    same = client.get("/api/export/sites.csv?format=hxl")
    assert same.get_data() == answer.get_data()


def test_geopackage_of_incidents_opens_with_its_index(client, staff, tmp_path):
    answer = client.get("/api/export/incidents.gpkg")
    assert answer.status_code == 200 and answer.mimetype == "application/geopackage+sqlite3"
    path = tmp_path / "incidents.gpkg"
    path.write_bytes(answer.get_data())
    frame = gpd.read_file(path)
    assert len(frame) == export_world.COUNTS["incidents"]
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rtree_incidents_geom'").fetchone()
    assert found == (1,)


def test_staff_get_full_data_and_anonymous_the_public_version(client, staff):
    full = client.get("/api/export/distributions.geojson", headers=staff.headers)
    features = json.loads(full.get_data())["features"]
    assert len(features) == 4 and features[0]["geometry"]["type"] == "Point"
    assert features[0]["properties"]["household_id"] == "H1"
    public = json.loads(client.get("/api/export/distributions.geojson").get_data())["features"]
    assert len(public) == 4 and public[0]["geometry"] is None and "household_id" not in public[0]["properties"]
    asked = client.get("/api/export/distributions.geojson?public=1", headers=staff.headers)
    assert json.loads(asked.get_data())["features"] == public


def test_households_only_for_staff(client, staff):
    refused = client.get("/api/export/households.csv")
    assert refused.status_code == 401
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export/households.csv",
                                                      headers=staff.headers).get_data(as_text=True))))
    assert [r["head_name"] for r in rows] == list(export_world.NAMES)


def test_public_downloads_carry_no_personal_data(client, staff):
    secrets = export_world.NAMES + export_world.ID_NUMBERS + export_world.PHONES
    for what in ("incidents", "sites", "guarantees", "distributions", "stock_balances", "stock_movements",
                 "houses", "field_reports"):
        for ext in ("geojson", "csv", "hxl.csv"):
            body = client.get(f"/api/export/{what}.{ext}").get_data(as_text=True)
            assert not [s for s in secrets if s in body], (what, ext)


def test_xlsx_has_a_frozen_translated_header(client, staff, tmp_path):
    answer = client.get("/api/export/sites.xlsx", headers={**staff.headers, "Accept-Language": "zh-CN,zh"})
    assert answer.status_code == 200
    path = tmp_path / "sites.xlsx"
    path.write_bytes(answer.get_data())
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "sites" and sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["编号", "安置点名称"] and "经度" in header
    assert "'@恩施一中安置点" in [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("url, field", [
    ("/api/export/donors.csv", "what"),
    ("/api/export/sites.shp", "format"),
    ("/api/export/sites", "format"),
    ("/api/export/sites.csv?format=pdf", "format"),
    ("/api/export/sites.gpkg?format=csv", "format"),
])
def test_unknown_export_or_format_is_a_400_naming_the_field(client, staff, url, field):
    answer = client.get(url, headers=staff.headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == field
