"""Recording a medical visit to a household: an input of its medical guarantee."""
from __future__ import annotations

from typing import Any, Mapping

from relief.errors import NotFound
from relief.services import fields
from relief.services.context import Context
from relief.services.guarantees import recheck_households
from relief.store import aid as aid_store
from relief.store import households as household_store
from relief.store import sites as site_store


def record_visit(ctx: Context, household_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the visit and re-judge the household's guarantees in the same transaction."""
    facility_id = fields.identifier(body, "facility_id", required=False)
    note = fields.text(body, "note")
    with ctx.transaction() as unit:
        visited_at = fields.moment(body, "visited_at", now=unit.now)
        if household_store.household(unit.session, household_id) is None:
            raise NotFound(f"no household {household_id!r}", field="household_id")
        if facility_id and site_store.facility(unit.session, facility_id) is None:
            raise NotFound(f"no facility {facility_id!r}", field="facility_id")
        visit = aid_store.add_medical_visit(unit.session, household_id=household_id, visited_at=visited_at,
                                            facility_id=facility_id, note=note)
        unit.audit("household.medical_visit", "household", household_id,
                   detail={"visit_id": visit.id, "facility_id": facility_id, "visited_at": visited_at.isoformat()})
        recheck_households(unit, [household_id], standards=ctx.standards)
        return {"visit": {"id": visit.id, "household_id": household_id, "visited_at": visited_at.isoformat(),
                          "facility_id": facility_id, "note": note}}
