"""The domain reads no files: every figure comes in as an argument (a ``Standards`` the caller built).

Two checks. At call time: with every way of opening a file made to raise,
representative domain functions still work when handed a ``Standards`` built
beforehand. In the source: no module under ``relief/domain`` opens a file,
reads a package resource or builds the bundled standards, except the two
named in :data:`READERS`.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import importlib.resources
import io
import os
import pathlib
import pkgutil
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import Point

import relief.domain
from relief.domain import cap, guarantees, incidents, photos, reports, response
from relief.domain.standards import Standards, validate_document

DOMAIN = pathlib.Path(relief.domain.__file__).parent
#: The only domain modules that read bundled data, and why.
READERS = {
    "standards.py": "default_document(): the bundled standards, read only when an edge asks (Standards.bundled)",
    "demo/admin.py": "load_admin(): the bundled prefecture and county boundaries the demo is generated inside",
}
MODULES = sorted(name for _, name, _ in pkgutil.walk_packages(relief.domain.__path__, "relief.domain."))
CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 7, 1, 12, 0, tzinfo=CST)


def test_every_domain_module_imports():
    assert "relief.domain.cap" in MODULES and "relief.domain.demo.admin" in MODULES
    for name in MODULES:
        importlib.import_module(name)


def test_standards_need_a_document():
    with pytest.raises(TypeError):
        Standards()  # type: ignore[call-arg]


# --- at call time -----------------------------------------------------------------------------

def _refuse(*args, **kwargs):
    raise AssertionError(f"the domain read a file: {args[:1]!r}")


@pytest.fixture
def no_files(monkeypatch):
    """Every file opening path made to raise, after the standards and the test data are built."""
    for name in MODULES:
        importlib.import_module(name)
    Image.init()  # Pillow's format plugins are imports, not reads by the domain
    monkeypatch.setattr(builtins, "open", _refuse)
    monkeypatch.setattr(io, "open", _refuse)
    monkeypatch.setattr(os, "open", _refuse)
    for method in ("open", "read_text", "read_bytes"):
        monkeypatch.setattr(pathlib.Path, method, _refuse)
    monkeypatch.setattr(importlib.resources, "files", _refuse)
    monkeypatch.setattr(importlib.resources, "read_text", _refuse, raising=False)


@pytest.fixture(scope="module")
def standards() -> Standards:
    """A published-looking version, different from the bundled one where it matters."""
    document = Standards.bundled().document
    return Standards({**document, "version": "local-no-files", "cap": {"point_radius_km": 2.5},
                      "duplicates": {"distance_m": 500, "window_hours": 6},
                      "photos": {**document["photos"], "thumbnail_px": 16}})


def _jpeg(size=(64, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_the_guard_catches_the_bundled_reader(no_files):
    with pytest.raises(AssertionError, match="read a file"):
        Standards.bundled()


def test_cap_alert_uses_the_given_radius(no_files, standards):
    xml = cap.cap_alert({"id": 1, "kind": "landslide", "status": "verified", "title": "t",
                         "geometry": Point(109.48, 30.28)}, sender="relief", area_desc="恩施", sent=AS_OF,
                        identifier="relief.1", standards=standards)
    assert "30.280000,109.480000 2.5" in xml and cap.validate_cap(xml) == []


def test_photo_limits_come_from_the_given_standards(no_files, standards):
    data = _jpeg()
    info, public, thumb = photos.prepare_photo(data, standards=standards)
    assert (info.format, info.width, info.height) == ("JPEG", 64, 32)
    assert photos.inspect_photo(public, standards=standards).width == 64
    assert photos.inspect_photo(thumb, standards=standards).width == 16


def test_duplicates_use_the_given_limits(no_files, standards):
    rows = [{"id": 1, "kind": "landslide", "geometry": Point(109.48, 30.2855), "occurred_at": AS_OF,
             "status": "reported"}]  # ~610 m north: outside the given 500 m, inside the bundled 1000 m
    here = Point(109.48, 30.28)
    assert incidents.duplicate_candidates("landslide", here, AS_OF, rows, **standards.duplicates) == []
    far = incidents.duplicate_candidates("landslide", Point(109.48, 30.28), AS_OF, rows, 1000, 24)
    assert [c["id"] for c in far] == [1]


def test_report_deadlines_and_response_level(no_files, standards):
    frame = pd.DataFrame([{"id": 1, "county_code": "422801", "status": "reported", "kind": "landslide",
                           "occurred_at": AS_OF - timedelta(hours=5)}])
    sent = pd.DataFrame(columns=["incident_id", "kind", "submitted_at"])
    due = reports.overdue(frame, sent, as_of=AS_OF, rules=standards.report_deadlines)
    assert [item["kind"] for item in due] == ["initial"]
    assert reports.DeadlineRules.parse(standards.report_deadlines).initial == timedelta(
        hours=float(standards.report_deadlines["initial_hours"]))
    assert response.response_level({"dead": 150, "missing": 50}, standards.response_levels).level == "I"
    assert validate_document(dict(standards.document))["version"] == "local-no-files"


def test_guarantees_evaluate(no_files, standards):
    households = pd.DataFrame([dict(household_id="h1", members=2, infants=0, children=0, elderly=0, disabled=0,
                                    chronic=0, pregnant=0, injured=0, house_damage="collapsed",
                                    needs_living_aid=False, evacuated=True, shelter="dispersed", site_id=None,
                                    lon=109.48, lat=30.27)])
    items = pd.DataFrame({"item_code": ["ration"], "guarantee": ["food"], "kcal_per_unit": [2100.0],
                          "litres_per_unit": [0.0], "sets_per_unit": [0.0], "pieces_per_unit": [0.0]})
    facilities = pd.DataFrame([dict(facility_id="f1", lon=109.48, lat=30.27, operating=True)])
    result = guarantees.evaluate(households, pd.DataFrame(), facilities, pd.DataFrame(), items, pd.DataFrame(),
                                 as_of=AS_OF, standards=standards)
    assert list(result.index) == ["h1"] and "food" in result.columns


# --- in the source ----------------------------------------------------------------------------

def _file_reads(tree: ast.AST) -> list[str]:
    """What in one module opens a file, reads a resource or builds the bundled standards."""
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                found.append(f"{where}: open(")
            if (isinstance(func, ast.Attribute) and func.attr in ("open", "fdopen")
                    and isinstance(func.value, ast.Name) and func.value.id in ("io", "os", "codecs")):
                found.append(f"{where}: {func.value.id}.{func.attr}(")
            named = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if named == "Standards" and not node.args and not node.keywords:
                found.append(f"{where}: Standards()")
        if isinstance(node, ast.Attribute) and node.attr in ("read_text", "read_bytes", "bundled"):
            found.append(f"{where}: .{node.attr}")
        if isinstance(node, ast.Name) and node.id == "default_document":
            found.append(f"{where}: default_document")
        in_importlib = isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "importlib"
        if in_importlib and node.attr == "resources":
            found.append(f"{where}: importlib.resources")
        if isinstance(node, ast.Import) and any(a.name.startswith("importlib.resources") for a in node.names):
            found.append(f"{where}: import importlib.resources")
        if isinstance(node, ast.ImportFrom) and (
                (node.module or "").startswith("importlib.resources")
                or (node.module == "importlib" and any(a.name == "resources" for a in node.names))
                or any(a.name == "default_document" for a in node.names)):
            found.append(f"{where}: from {node.module} import ...")
    return found


def test_no_domain_module_reads_files_but_the_named_readers():
    offenders = {}
    for path in sorted(DOMAIN.rglob("*.py")):
        relative = path.relative_to(DOMAIN).as_posix()
        found = _file_reads(ast.parse(path.read_text("utf-8"), filename=str(path)))
        if relative in READERS:
            assert found, f"{relative} no longer reads files: drop it from READERS"
        elif found:
            offenders[relative] = found
    assert offenders == {}


def test_the_source_check_sees_each_kind_of_read():
    source = ("import importlib.resources\nfrom importlib import resources\nopen('x')\nio.open('x')\n"
              "p.read_text()\np.read_bytes()\nStandards()\nStandards.bundled()\n")
    assert len(_file_reads(ast.parse(source))) == 8
    assert _file_reads(ast.parse("Image.open(b)\n_open(b)\nStandards(document)\n")) == []
