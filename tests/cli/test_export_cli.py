"""relief export WHAT --format … --out FILE [--public]: files read back, refusals, nothing half-written."""
from __future__ import annotations

import json

import hxl
import openpyxl
import pyogrio
import pytest

from relief.store.db import Store
from tests import export_world


@pytest.fixture
def world_db(database_url):
    store = Store(database_url)
    export_world.build(store)
    store.dispose()


@pytest.mark.parametrize("fmt, name", [("geojson", "x.geojson"), ("csv", "x.csv"), ("hxl", "x.hxl.csv"),
                                       ("gpkg", "x.gpkg"), ("xlsx", "x.xlsx")])
def test_every_format_is_written(cli_runner, world_db, tmp_path, fmt, name):
    out = tmp_path / "out" / name
    result = cli_runner("export", "sites", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output
    if fmt == "geojson":
        assert len(json.loads(out.read_text("utf-8"))["features"]) == 3
    elif fmt == "gpkg":
        assert len(pyogrio.read_dataframe(out)) == 3
    elif fmt == "xlsx":
        assert openpyxl.load_workbook(out).active.max_row == 4
    elif fmt == "hxl":
        assert len(list(hxl.data(str(out), hxl.InputOptions(allow_local=True)))) == 3
    else:
        assert len(out.read_text("utf-8").splitlines()) == 4
    assert [p.name for p in out.parent.iterdir()] == [name]


def test_public_export_masks_and_households_are_refused(cli_runner, world_db, tmp_path):
    out = tmp_path / "houses.csv"
    assert cli_runner("export", "houses", "--format", "csv", "--out", str(out), "--public").exit_code == 0
    text = out.read_text("utf-8")
    assert "李**" in text and export_world.NAMES[1] not in text and "H1" not in text
    refused = cli_runner("export", "households", "--format", "csv", "--out", str(tmp_path / "h.csv"), "--public")
    assert refused.exit_code != 0 and "what" in refused.output
    assert not (tmp_path / "h.csv").exists()


def test_unknown_export_or_format_is_refused(cli_runner, world_db, tmp_path):
    unknown = cli_runner("export", "donors", "--format", "csv", "--out", str(tmp_path / "d.csv"))
    assert unknown.exit_code == 2 and "donors" in unknown.output
    bad = cli_runner("export", "sites", "--format", "shp", "--out", str(tmp_path / "d.shp"))
    assert bad.exit_code == 2 and "--format" in bad.output
    assert list(tmp_path.glob("d.*")) == []


def test_xlsx_header_in_chinese(cli_runner, world_db, tmp_path):
    out = tmp_path / "sites.xlsx"
    assert cli_runner("export", "sites", "--format", "xlsx", "--out", str(out), "--lang", "zh").exit_code == 0
    header = [c.value for c in openpyxl.load_workbook(out).active[1]]
    assert header[:3] == ["编号", "安置点名称", "类型"]


def test_the_map_export_still_works(cli_runner, world_db, tmp_path):
    out = tmp_path / "map.html"
    result = cli_runner("export", "map", "--out", str(out))
    assert result.exit_code == 0 and out.read_text("utf-8").lstrip().lower().startswith("<!doctype html")
