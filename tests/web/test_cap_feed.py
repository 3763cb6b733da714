"""GET /cap/feed.atom: a verified incident's alert, an Update when its level changes, a Cancel when it closes;
every message read back with capparser and checked against CAP 1.2 and the aggregators' rules."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import timedelta

import capparser
import pytest
from shapely.geometry import box, mapping
from sqlalchemy import select, update

from relief.domain.cap import CAP_NS, validate_cap
from relief.domain.cap_feed import feed_figures, feed_problems
from relief.domain.standards import Standards
from relief.store.tables import Event, Incident, IncidentTransition
from tests.web.test_api_incidents import areas, new_incident, statutory, transition, users, when  # noqa: F401

ATOM = "http://www.w3.org/2005/Atom"
NS = {"a": ATOM, "cap": CAP_NS}
FIGURES = feed_figures(Standards.bundled())


def feed(client) -> ET.Element:
    response = client.get("/cap/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)  # well-formed, or this raises


def alerts(root: ET.Element) -> dict[str, ET.Element]:
    """Each entry's embedded CAP alert, by the incident it is about."""
    out = {}
    for entry in root.findall("a:entry", NS):
        alert = entry.find("a:content/cap:alert", NS)
        assert alert is not None, "every entry embeds its CAP message"
        out[alert.findtext("cap:incidents", namespaces=NS)] = alert
    return out


def checked(alert: ET.Element) -> str:
    """The alert's text after every check: capparser reads it, validate_cap and the feed rules find nothing."""
    xml = ET.tostring(alert, encoding="unicode")
    parsed = capparser.parse(stringXML=xml)
    assert parsed.getIdentifier() == alert.findtext("cap:identifier", namespaces=NS)
    assert parsed.getMsgType() == alert.findtext("cap:msgType", namespaces=NS)
    assert len(parsed.getInfos()) == 1
    assert validate_cap(xml) == []
    assert feed_problems(xml, FIGURES) == []
    for area in alert.iterfind(".//cap:area", NS):
        assert 0 < len(area.findtext("cap:areaDesc", namespaces=NS)) < 50
        for polygon in area.iterfind("cap:polygon", NS):
            pairs = polygon.text.split()
            assert len(pairs) >= 4 and pairs[0] == pairs[-1]
    return xml


def text(alert: ET.Element, path: str) -> str | None:
    return alert.findtext(path, namespaces=NS)


def reference(alert: ET.Element) -> str:
    return ",".join(text(alert, f"cap:{t}") for t in ("sender", "identifier", "sent"))


def happened_hours_ago(store, incident_id: int, hours: float) -> None:
    """Move what is recorded of the incident so far back in time (changes within one second are one message)."""
    back = timedelta(hours=hours)
    with store.write() as session:
        incident = session.get(Incident, incident_id)
        session.execute(update(Incident).where(Incident.id == incident_id)
                        .values(reported_at=incident.reported_at - back, updated_at=incident.updated_at - back))
        for line in list(session.scalars(select(IncidentTransition)
                                         .where(IncidentTransition.incident_id == incident_id))):
            session.execute(update(IncidentTransition).where(IncidentTransition.id == line.id)
                            .values(at=line.at - back))
        for event in list(session.scalars(select(Event))):
            session.execute(update(Event).where(Event.seq == event.seq).values(at=event.at - back))


def test_the_feed_follows_an_incident_from_verification_to_close(client, store, users, areas):  # noqa: F811
    reporter, verifier, commander = users["field_reporter"], users["verifier"], users["commander"]
    shape = mapping(box(109.47, 30.27, 109.49, 30.29))
    iid = new_incident(client, reporter, occurred_at=when(30), geometry=shape)["id"]
    key = str(iid)
    root = feed(client)
    assert key not in alerts(root), "a reported incident is not alerted"
    assert root.findtext("a:id", namespaces=NS) and root.findtext("a:title", namespaces=NS)
    assert root.findtext("a:updated", namespaces=NS)

    assert transition(client, verifier, iid, "verify").status_code == 201
    happened_hours_ago(store, iid, 2)
    first = alerts(feed(client))[key]
    checked(first)
    assert text(first, "cap:msgType") == "Alert" and text(first, "cap:references") is None
    assert text(first, "cap:info/cap:severity") == "Unknown"
    assert text(first, "cap:info/cap:area/cap:areaDesc") == "恩施市 舞阳坝街道"

    statutory(client, reporter, iid, "initial", "422801001", when(28), affected=500, dead=10, missing=10)
    second = alerts(feed(client))[key]
    checked(second)
    assert text(second, "cap:msgType") == "Update"
    assert text(second, "cap:identifier") != text(first, "cap:identifier")
    assert text(second, "cap:references") == reference(first)
    assert text(second, "cap:info/cap:parameter/cap:value") == "IV"
    assert text(second, "cap:info/cap:severity") == "Moderate"

    for action in ("respond", "stabilise", "close"):
        assert transition(client, commander, iid, action).status_code == 201
    root = feed(client)
    last = alerts(root)[key]
    checked(last)
    assert text(last, "cap:msgType") == "Cancel"
    assert text(last, "cap:references").startswith(f"{text(last, 'cap:sender')},")
    assert text(last, "cap:info/cap:urgency") == "Past"

    entry = next(e for e in root.findall("a:entry", NS) if e.find("a:content/cap:alert", NS) is not None
                 and text(e.find("a:content/cap:alert", NS), "cap:incidents") == key)
    link = entry.find("a:link[@rel='alternate']", NS)
    assert link.get("type") == "application/cap+xml" and entry.findtext("a:id", namespaces=NS) == link.get("href")
    own = client.get(link.get("href").replace("http://localhost", ""))
    assert own.status_code == 200 and own.mimetype == "application/cap+xml"
    assert ET.fromstring(own.data).findtext("cap:identifier", namespaces=NS) == text(last, "cap:identifier")
    assert client.get(f"/cap/alerts/{text(first, 'cap:identifier')}.xml").status_code == 404, "superseded"


def test_the_feed_is_public_and_never_alerts_a_rejected_report(client, users, areas):  # noqa: F811
    iid = new_incident(client, users["field_reporter"], occurred_at=when(3))["id"]
    assert transition(client, users["verifier"], iid, "reject").status_code == 201
    root = feed(client)  # no credentials
    assert str(iid) not in alerts(root)
    assert client.get("/cap/alerts/relief-enshi.incident.1.1.xml").status_code == 404


@pytest.mark.parametrize("path", ["/cap/feed.atom"])
def test_the_feed_carries_no_personal_data(client, users, areas, path):  # noqa: F811
    reporter = users["field_reporter"]
    iid = new_incident(client, reporter, occurred_at=when(3), client_id=str(uuid.uuid4()))["id"]
    assert transition(client, users["verifier"], iid, "verify").status_code == 201
    body = client.get(path).get_data(as_text=True)
    assert reporter.name not in body and users["verifier"].name not in body and "checked on site" not in body
