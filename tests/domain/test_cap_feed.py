"""The CAP feed's chain of messages and the aggregators' rules; pure, no app, no database."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import capparser
import pytest
from shapely.geometry import GeometryCollection, MultiPoint, Point, Polygon, box

from relief.domain import cap_feed as feed
from relief.domain.cap import CAP_NS, validate_cap
from relief.domain.standards import Standards

NS = {"cap": CAP_NS}
STANDARDS = Standards.bundled()
FIGURES = feed.feed_figures(STANDARDS)
T0 = datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)
SENDER = "relief-enshi"
SQUARE = box(109.47, 30.27, 109.49, 30.29)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def chain(*, now: float, status: str, level=None, extent=SQUARE, statuses=(), levels=(), extents=()):
    history = feed.moments(reported_at=T0, status=status, level=level, extent=extent, updated_at=at(now),
                           statuses=[(at(h), s) for h, s in statuses],
                           levels=[(at(h), a, b) for h, a, b in levels],
                           extents=[(at(h), g) for h, g in extents])
    return feed.messages(7, history, now=at(now), sender=SENDER, figures=FIGURES)


def kinds(messages):
    return [(m.msg_type, (m.sent - T0) / timedelta(hours=1)) for m in messages]


def facts(**over):
    base = {"id": 7, "kind": "landslide", "title": "屯堡乡滑坡", "description": "山体滑坡阻断道路",
            "geometry": SQUARE, "occurred_at": T0}
    return {**base, **over}


def xml_of(message, **over):
    return feed.message_xml(message, facts(**over), sender=SENDER, sender_name="恩施州应急管理局", area="恩施市 屯堡乡",
                            standards=STANDARDS)


def test_the_bundled_standards_give_the_feed_figures():
    assert (FIGURES.expires_hours, FIGURES.renew_hours, FIGURES.cancel_retention_hours) == (48, 24, 24)
    assert FIGURES.area_desc_max_chars == 49
    bad = Standards({**STANDARDS.document, "cap": {"feed": {"expires_hours": 12, "renew_hours": 12}}})
    with pytest.raises(ValueError, match="renew_hours"):
        feed.feed_figures(bad)
    older = Standards({**STANDARDS.document, "cap": {"point_radius_km": 1.0}})
    assert feed.feed_figures(older).expires_hours == 48


def test_verification_alerts_and_each_change_updates_with_a_reference_to_the_one_before():
    messages = chain(now=10, status="responding", level="III",
                     statuses=[(1, "verified"), (5, "responding")], levels=[(3, None, "IV"), (8, "IV", "III")])
    assert kinds(messages) == [("Alert", 1), ("Update", 3), ("Update", 5), ("Update", 8)]
    assert [m.level for m in messages] == [None, "IV", "IV", "III"]
    assert messages[0].references is None
    for before, after in zip(messages, messages[1:]):
        assert after.references == f"{SENDER},{before.identifier},{before.reference(SENDER).split(',')[2]}"
        assert after.identifier != before.identifier
    assert len({m.identifier for m in messages}) == 4
    assert messages[0].identifier == f"{SENDER}.incident.7.{int(at(1).timestamp())}"


def test_identifiers_are_stable_whenever_the_feed_is_read():
    early = chain(now=6, status="responding", statuses=[(1, "verified"), (5, "responding")])
    later = chain(now=20, status="responding", statuses=[(1, "verified"), (5, "responding")])
    assert [m.identifier for m in early] == [m.identifier for m in later][:len(early)]


def test_close_cancels_and_the_cancel_is_kept_for_the_retention_then_dropped():
    messages = chain(now=30, status="closed", statuses=[(1, "verified"), (2, "responding"), (20, "stabilised"),
                                                         (25, "closed")])
    assert kinds(messages)[-1] == ("Cancel", 25)
    cancel = messages[-1]
    assert cancel.references == messages[-2].reference(SENDER)
    assert cancel.expires == cancel.sent + FIGURES.cancel_retention
    assert feed.current_message(messages, now=at(25 + 23.9), figures=FIGURES) is cancel
    assert feed.current_message(messages, now=at(25 + 24), figures=FIGURES) is None


def test_a_verified_duplicate_is_cancelled_and_an_unverified_report_never_alerts():
    assert kinds(chain(now=5, status="duplicate", statuses=[(1, "verified"), (2, "duplicate")]))[-1] == ("Cancel", 2)
    assert chain(now=5, status="rejected", statuses=[(1, "verifying"), (2, "rejected")]) == []
    assert chain(now=5, status="verifying", statuses=[(1, "verifying")]) == []


def test_a_live_alert_is_renewed_before_it_expires():
    messages = chain(now=60, status="verified", statuses=[(1, "verified")])
    assert kinds(messages) == [("Alert", 1), ("Update", 25), ("Update", 49)]
    for hours in (1, 10, 24.9, 25, 30, 48.99, 49, 60, 200):
        shown = feed.current_message(chain(now=hours, status="verified", statuses=[(1, "verified")]),
                                     now=at(hours), figures=FIGURES)
        assert shown is not None and shown.sent <= at(hours) < shown.expires, hours


def test_changes_within_one_second_are_one_message():
    messages = chain(now=5, status="verified", level="IV", statuses=[(1, "verified")],
                     levels=[(1 + 0.5 / 3600, None, "IV")])
    assert kinds(messages) == [("Alert", 1)] and messages[0].level == "IV"


def test_an_extent_change_updates_but_the_same_shape_redrawn_does_not():
    wider = box(109.46, 30.26, 109.50, 30.30)
    redrawn = Polygon(list(SQUARE.exterior.coords)[::-1])  # the same ring, the other way round
    messages = chain(now=10, status="verified", extent=wider, statuses=[(1, "verified")],
                     extents=[(0, SQUARE), (3, redrawn), (6, wider)])
    assert kinds(messages) == [("Alert", 1), ("Update", 6)]


def test_a_status_the_history_never_reached_is_taken_at_the_last_change():
    history = feed.moments(reported_at=T0, status="verified", level=None, extent=None, updated_at=at(2))
    assert [(m.status, m.at) for m in history] == [("reported", T0), ("verified", at(2))]


def test_messages_are_cap_and_meet_the_aggregators_rules():
    messages = chain(now=30, status="closed", level="IV", statuses=[(1, "verified"), (2, "responding"),
                                                                    (20, "stabilised"), (25, "closed")],
                     levels=[(3, None, "IV")])
    for message in messages:
        xml = xml_of(message)
        assert validate_cap(xml) == [] and feed.feed_problems(xml, FIGURES) == []
        root = ET.fromstring(xml.encode())
        assert root.findtext("cap:msgType", namespaces=NS) == message.msg_type
        assert root.findtext("cap:info/cap:expires", namespaces=NS)
        parsed = capparser.parse(stringXML=xml)
        assert parsed.getMsgType() == message.msg_type and parsed.getIdentifier() == message.identifier
        assert parsed.getReferences() == message.references
    info = [child.tag.split("}")[1] for child in ET.fromstring(xml_of(messages[-1]).encode()).find("cap:info", NS)]
    assert info.index("onset") < info.index("expires") < info.index("senderName")


def test_area_descriptions_stay_under_fifty_characters():
    assert feed.area_desc(["恩施市", "屯堡乡"], fallback="恩施州", max_chars=49) == "恩施市 屯堡乡"
    assert feed.area_desc([], fallback="恩施州", max_chars=49) == "恩施州"
    long = ["Enshi Tujia and Miao Autonomous Prefecture", "Tunbao Township"]
    assert feed.area_desc(long, fallback="x", max_chars=49) == long[0]
    cut = feed.area_desc(["x" * 80], fallback="x", max_chars=49)
    assert len(cut) == 49 and cut.endswith("…")


def test_shapes_of_one_alert_never_overlap():
    overlapping = GeometryCollection([box(109.4, 30.2, 109.5, 30.3), box(109.45, 30.25, 109.55, 30.35)])
    points = MultiPoint([(109.40, 30.20), (109.401, 30.201), (109.45, 30.25)])  # circles that would overlap
    for shape in (overlapping, points, Point(109.4, 30.2)):
        message = chain(now=2, status="verified", extent=shape, statuses=[(1, "verified")])[0]
        xml = xml_of(message, geometry=shape)
        assert feed.feed_problems(xml, FIGURES) == [], shape.geom_type


def test_the_rules_name_what_an_aggregator_would_refuse():
    message = chain(now=5, status="verified", statuses=[(1, "verified")])[0]
    xml = xml_of(message)
    polygon = "30.270000,109.470000 30.270000,109.490000 30.290000,109.490000"
    broken = (xml.replace("<msgType>Alert</msgType>", "<msgType>Update</msgType>")
              .replace("恩施市 屯堡乡", "恩" * 50)
              .replace("</polygon>", f"</polygon><polygon>{polygon}</polygon>")
              .replace("</area>", "</area><area><areaDesc>b</areaDesc><circle>30.28,109.48 1</circle></area>"))
    broken = broken.replace(broken[broken.index("<expires>"):broken.index("</expires>") + 10], "")
    problems = "\n".join(feed.feed_problems(broken, FIGURES))
    assert "Update lacks references" in problems
    assert "lacks expires" in problems
    assert "areaDesc has 50 characters" in problems
    assert "not closed" in problems and "at least 4 pairs" in problems
    assert "overlap" in problems
