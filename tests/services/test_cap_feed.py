"""The CAP feed as a use case: which message each incident shows as time passes, on the standards in force."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import Point

from relief.errors import NotFound
from relief.services import cap_feed
from relief.services import standards as standards_service
from relief.store.tables import Incident, IncidentTransition
from tests import world

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def add_incident(ctx, status: str, steps: list[tuple[float, str, str]], *, title: str) -> int:
    """An incident reported 100 h ago that went through ``steps`` (hours ago, from, to)."""
    with ctx.store.write() as session:
        incident = Incident(kind="landslide", title=title, status=status, county_code=world.COUNTY,
                            occurred_at=hours_ago(100), reported_at=hours_ago(100),
                            updated_at=hours_ago(min(h for h, _, _ in steps)), geom=Point(109.48, 30.28))
        session.add(incident)
        session.flush()
        for hours, before, after in steps:
            session.add(IncidentTransition(incident_id=incident.id, action="step", from_status=before,
                                           to_status=after, at=hours_ago(hours)))
        return incident.id


def at(ctx, moment: datetime):
    return replace(ctx, clock=lambda: moment)


def shown(ctx, moment: datetime = NOW) -> dict[int, cap_feed.Entry]:
    return {entry.incident_id: entry for entry in cap_feed.entries(at(ctx, moment))}


@pytest.fixture
def incidents(ctx):
    world.build(ctx.store)
    return {
        "live": add_incident(ctx, "verified", [(30, "reported", "verified")], title="live"),
        "closed": add_incident(ctx, "closed", [(50, "reported", "verified"), (40, "verified", "responding"),
                                               (10, "responding", "stabilised"), (2, "stabilised", "closed")],
                               title="closed"),
        "long_closed": add_incident(ctx, "closed", [(99, "reported", "verified"), (98, "verified", "responding"),
                                                    (97, "responding", "stabilised"), (96, "stabilised", "closed")],
                                    title="long closed"),
        "reported": add_incident(ctx, "reported", [(1, "reported", "reported")], title="reported"),
    }


def test_a_live_alert_is_renewed_and_a_closed_one_cancelled(ctx, incidents):
    feed = shown(ctx)
    assert set(feed) == {incidents["live"], incidents["closed"]}
    live = feed[incidents["live"]].message
    assert live.msg_type == "Update" and live.sent == hours_ago(6)  # renewed 24 h after the alert
    assert live.references.split(",")[1].endswith(str(int(hours_ago(30).timestamp())))
    assert live.expires > NOW
    closed = feed[incidents["closed"]].message
    assert closed.msg_type == "Cancel" and closed.sent == hours_ago(2)
    assert "<msgType>Cancel</msgType>" in feed[incidents["closed"]].xml


def test_a_cancel_leaves_the_feed_after_the_retention(ctx, incidents):
    assert incidents["closed"] in shown(ctx, NOW + timedelta(hours=21))
    assert incidents["closed"] not in shown(ctx, NOW + timedelta(hours=22))  # closed 2 h ago + 24 h


def test_the_retention_is_the_published_standards_one(ctx, incidents):
    document = dict(ctx.standards.document)
    document["version"] = "short-cap-retention"
    document["cap"] = {**document["cap"], "feed": {**document["cap"]["feed"], "cancel_retention_hours": 1}}
    standards_service.publish(ctx, document, reason="cancels leave the feed after an hour")
    assert set(shown(ctx)) == {incidents["live"]}


def test_a_message_is_found_by_its_identifier_while_it_is_current(ctx, incidents):
    entry = shown(ctx)[incidents["live"]]
    assert cap_feed.message(at(ctx, NOW), entry.message.identifier) == entry.xml
    superseded = entry.message.references.split(",")[1]
    with pytest.raises(NotFound):
        cap_feed.message(at(ctx, NOW), superseded)


def test_the_atom_document_lists_the_newest_alert_first(ctx, incidents):
    body = cap_feed.atom(at(ctx, NOW), feed_url="https://relief.example/cap/feed.atom",
                         message_url="https://relief.example/cap/alerts/{identifier}.xml").decode()
    assert body.startswith("<?xml version='1.0' encoding='UTF-8'?>")
    closed, live = (body.index(f"relief-enshi.incident.{incidents[k]}.") for k in ("closed", "live"))
    assert closed < live
    assert "<updated>2026-11-20T02:00:00Z</updated>" in body
