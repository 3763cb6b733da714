"""CAP 1.2 alerts built and checked structurally; pure, no app, no database."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from relief.domain.cap import CAP_NS, cap_alert, cap_time, point_radius_km, validate_cap
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

NS = {"cap": CAP_NS}
SENT = datetime(2024, 7, 10, 1, 30, 15, 123456, tzinfo=timezone.utc)  # 09:30:15 in Enshi
SQUARE = Polygon([(109.47, 30.27), (109.49, 30.27), (109.49, 30.29), (109.47, 30.29)])
STANDARDS = Standards.bundled()


def incident(**over):
    base = {"id": 42, "kind": "landslide", "status": "verified", "title": "屯堡乡滑坡",
            "description": "山体滑坡阻断道路", "geometry": SQUARE,
            "occurred_at": datetime(2024, 7, 9, 22, 0, tzinfo=timezone.utc),
            "updated_at": datetime(2024, 7, 10, 1, 0, tzinfo=timezone.utc)}
    return {**base, **over}


def build(inc=None, **kw):
    kw.setdefault("sender", "relief@enshi.example")
    kw.setdefault("area_desc", "恩施市屯堡乡")
    kw.setdefault("sent", SENT)
    kw.setdefault("identifier", "relief-enshi-incident-42-1")
    kw.setdefault("standards", STANDARDS)
    return cap_alert(inc or incident(), **kw)


def text(xml, path):
    return ET.fromstring(xml.encode()).findtext(path, namespaces=NS)


def test_alert_is_structurally_valid_with_required_elements():
    xml = build()
    assert validate_cap(xml) == []
    root = ET.fromstring(xml.encode())
    assert root.tag == f"{{{CAP_NS}}}alert"
    for tag in ("identifier", "sender", "sent", "status", "msgType", "scope"):
        assert root.findtext(f"cap:{tag}", namespaces=NS)
    assert text(xml, "cap:status") == "Actual"
    assert text(xml, "cap:msgType") == "Alert"
    assert text(xml, "cap:scope") == "Public"
    assert text(xml, "cap:incidents") == "42"
    assert text(xml, "cap:info/cap:language") == "zh-CN"
    assert text(xml, "cap:info/cap:category") == "Geo"
    assert text(xml, "cap:info/cap:event") == "滑坡"
    assert text(xml, "cap:info/cap:certainty") == "Observed"
    assert text(xml, "cap:info/cap:urgency") == "Immediate"
    assert text(xml, "cap:info/cap:severity") == "Unknown"
    assert "屯堡乡滑坡" in text(xml, "cap:info/cap:headline")
    assert text(xml, "cap:info/cap:area/cap:areaDesc") == "恩施市屯堡乡"


def test_times_are_plus_eight_never_z():
    xml = build()
    assert text(xml, "cap:sent") == "2024-07-10T09:30:15+08:00"
    assert text(xml, "cap:info/cap:onset") == "2024-07-10T06:00:00+08:00"
    assert "Z<" not in xml
    assert cap_time(datetime(2024, 1, 1, 0, 0)) == "2024-01-01T08:00:00+08:00"  # naive = UTC
    assert cap_time(datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))) == "2024-01-01T08:00:00+08:00"


def test_polygon_is_lat_lon_closed_with_at_least_four_pairs():
    xml = build()
    polygon = text(xml, "cap:info/cap:area/cap:polygon")
    pairs = polygon.split()
    assert len(pairs) >= 4 and pairs[0] == pairs[-1]
    lat, lon = map(float, pairs[0].split(","))
    assert 30 < lat < 31 and 109 < lon < 110


def test_multipolygon_gives_one_polygon_each():
    other = Polygon([(109.5, 30.3), (109.51, 30.3), (109.51, 30.31)])
    xml = build(incident(geometry=MultiPolygon([SQUARE, other])))
    polygons = ET.fromstring(xml.encode()).findall("cap:info/cap:area/cap:polygon", NS)
    assert len(polygons) == 2
    assert validate_cap(xml) == []


def test_point_gives_circle_with_radius():
    xml = build(incident(geometry=Point(109.48, 30.28)))
    assert text(xml, "cap:info/cap:area/cap:circle") == "30.280000,109.480000 1"
    xml = build(incident(geometry=Point(109.48, 30.28)), radius_km=2.5)
    assert text(xml, "cap:info/cap:area/cap:circle").endswith(" 2.5")
    assert validate_cap(xml) == []


def test_point_radius_follows_the_standards_given():
    """A published version's ``cap.point_radius_km`` is the one sent, not the bundled figure."""
    published = Standards({**STANDARDS.document, "version": "local-cap", "cap": {"point_radius_km": 3.5}})
    assert point_radius_km(STANDARDS) == 1.0 and point_radius_km(published) == 3.5
    xml = build(incident(geometry=Point(109.48, 30.28)), standards=published)
    assert text(xml, "cap:info/cap:area/cap:circle") == "30.280000,109.480000 3.5"
    assert validate_cap(xml) == []
    silent = Standards({key: value for key, value in STANDARDS.document.items() if key != "cap"})
    assert point_radius_km(silent) == 1.0  # a document without the section: the documented figure


def test_line_is_sent_as_its_hull_and_no_geometry_gives_area_desc_only():
    xml = build(incident(geometry=LineString([(109.4, 30.2), (109.5, 30.3), (109.5, 30.2)])))
    assert validate_cap(xml) == [] and text(xml, "cap:info/cap:area/cap:polygon")
    xml = build(incident(geometry=None))
    assert validate_cap(xml) == [] and text(xml, "cap:info/cap:area/cap:polygon") is None


@pytest.mark.parametrize("kind,category", [
    ("landslide", "Geo"), ("debris_flow", "Geo"), ("collapse", "Geo"), ("earthquake", "Geo"),
    ("flood", "Met"), ("snow_ice", "Met"), ("hail", "Met"), ("drought", "Met"), ("other", "Other"),
])
def test_category_by_kind(kind, category):
    xml = build(incident(kind=kind))
    assert text(xml, "cap:info/cap:category") == category
    assert validate_cap(xml) == []


@pytest.mark.parametrize("status,msg_type,certainty", [
    ("reported", "Alert", "Likely"), ("verified", "Alert", "Observed"), ("responding", "Alert", "Observed"),
    ("closed", "Cancel", "Observed"), ("rejected", "Cancel", "Unlikely"),
])
def test_status_mappings(status, msg_type, certainty):
    xml = build(incident(status=status))
    assert text(xml, "cap:msgType") == msg_type
    assert text(xml, "cap:info/cap:certainty") == certainty
    assert validate_cap(xml) == []


@pytest.mark.parametrize("level,severity", [("I", "Extreme"), ("II", "Severe"), ("IV", "Moderate"), (None, "Unknown")])
def test_severity_by_response_level(level, severity):
    assert text(build(response_level=level), "cap:info/cap:severity") == severity
    assert text(build(incident(response_level=level)), "cap:info/cap:severity") == severity


@pytest.mark.parametrize("field,value", [
    ("identifier", "incident 42"), ("identifier", "a,b"), ("identifier", "a<b"), ("identifier", "a&b"),
    ("identifier", ""), ("sender", "relief enshi"), ("area_desc", " "),
])
def test_bad_identifier_sender_area_refused(field, value):
    with pytest.raises(ValidationFailed) as err:
        build(**{field: value})
    assert err.value.field == field


def test_unknown_kind_refused():
    with pytest.raises(ValidationFailed) as err:
        build(incident(kind="volcano"))
    assert err.value.field == "kind"


def test_special_characters_in_text_are_escaped():
    xml = build(incident(title="A & B <c>", description="x < y & z"))
    assert validate_cap(xml) == []
    assert "A & B <c>" in text(xml, "cap:info/cap:headline")


# --- the validator finds what is wrong ---------------------------------------------

def mutate(xml: str, old: str, new: str) -> str:
    assert old in xml
    return xml.replace(old, new, 1)


def test_validator_reports_problems():
    good = build()
    assert validate_cap("<alert")[0].startswith("not well-formed")
    assert "root element" in validate_cap("<alert/>")[0]
    assert any("lacks scope" in p for p in validate_cap(re.sub(r"<scope>.*?</scope>", "", good)))
    assert any("msgType" in p for p in validate_cap(mutate(good, ">Alert<", ">Shout<")))
    assert any("category" in p for p in validate_cap(mutate(good, ">Geo<", ">Mud<")))
    assert any("sent" in p for p in validate_cap(mutate(good, "2024-07-10T09:30:15+08:00", "2024-07-10T01:30:15Z")))
    assert any("identifier" in p for p in validate_cap(mutate(good, "relief-enshi-incident-42-1", "a b")))
    assert any("lacks certainty" in p for p in validate_cap(re.sub(r"<certainty>.*?</certainty>", "", good)))
    assert any("areaDesc" in p for p in validate_cap(re.sub(r"<areaDesc>.*?</areaDesc>", "", good)))


def test_validator_checks_polygons_and_circles():
    good = build()
    polygon = text(good, "cap:info/cap:area/cap:polygon")
    pairs = polygon.split()
    opened = mutate(good, polygon, " ".join(pairs[:-1]))
    assert any("not closed" in p for p in validate_cap(opened))
    short = mutate(good, polygon, " ".join([pairs[0], pairs[1], pairs[0]]))
    assert any("at least 4" in p for p in validate_cap(short))
    swapped = mutate(good, polygon, polygon.replace("30.27", "300.27"))
    assert any("lat,lon" in p for p in validate_cap(swapped))
    circle = build(incident(geometry=Point(109.48, 30.28)))
    assert any("circle" in p for p in validate_cap(mutate(circle, "30.280000,109.480000 1", "30.28 109.48")))
