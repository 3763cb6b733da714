"""Reading one incident back: the CAP alert follows the standards version in force."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from shapely.geometry import Point

from relief.domain.cap import CAP_NS, validate_cap
from relief.services import incident_lookup
from relief.services import standards as standards_service
from relief.store.tables import Incident
from tests import world


def _circle(xml: str) -> str | None:
    return ET.fromstring(xml.encode()).findtext("cap:info/cap:area/cap:circle", namespaces={"cap": CAP_NS})


def test_the_cap_point_radius_is_the_published_one(ctx):
    world.build(ctx.store)
    with ctx.store.write() as session:
        incident = Incident(kind="landslide", title="slope", status="verified", county_code=world.COUNTY,
                            occurred_at=datetime(2026, 11, 19, tzinfo=timezone.utc), geom=Point(109.48, 30.28))
        session.add(incident)
        session.flush()
        incident_id = incident.id
    assert _circle(incident_lookup.cap_xml(ctx, incident_id)).endswith(" 1")  # the bundled figure
    document = dict(ctx.standards.document)
    document["version"] = "local-cap-radius"
    document["cap"] = {**document["cap"], "point_radius_km": 3.5}
    standards_service.publish(ctx, document, reason="a wider circle")
    xml = incident_lookup.cap_xml(ctx, incident_id)
    assert _circle(xml) == "30.280000,109.480000 3.5" and validate_cap(xml) == []
