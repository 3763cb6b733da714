"""One site: its detail (occupancy, days of cover, run-out forecast) and opening or closing it."""
from __future__ import annotations

from typing import Any, Mapping

from relief.domain.vocabulary import SITE_STATUSES
from relief.errors import NotFound
from relief.services import cover, fields
from relief.services.context import Context
from relief.services.guarantees import recheck_households
from relief.services.map_layers import site_feature
from relief.services.relocation import announce_sites
from relief.store import households as household_store
from relief.store import sites as site_store
from relief.store import stock_queries


def site_detail(ctx: Context, site_id: str) -> dict[str, Any]:
    """A site as on the map, with its occupancy, days of cover per item and run-out forecast."""
    standards, as_of = ctx.standards, ctx.now()
    with ctx.reading() as session:
        site = site_store.site(session, site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}", field="site_id")
        feature = site_feature(session, site)
        households = site_store.household_counts(session, [site_id]).get(site_id, 0)
        frame = site_store.sites_frame(session, site_ids=[site_id])
        table, occupants = cover.cover_table(session, standards, as_of, frame)
        items = stock_queries.item_labels(session, table["item_code"])
    props = feature["properties"]
    persons = float(occupants.get(site_id, 0.0))
    area = props["covered_area_m2"]
    return {
        "feature": feature, "as_of": as_of.isoformat(), "standards_version": standards.version,
        "occupancy": {"households": households, "occupants": props["occupants"],
                      "capacity_persons": props["capacity_persons"], "free_capacity": props["free_capacity"],
                      "m2_per_person": props["m2_per_person"],
                      "persons_per_m2": round(props["occupants"] / area, 4) if area else None},
        "cover": cover.site_cover_view(frame.iloc[0].to_dict(), table, persons, as_of, items, standards),
    }


def set_site_status(ctx: Context, site_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Open or close a site; a closed site takes nobody new and its services stop counting.

    Maps learn of it through ``site.occupancy_changed``, which carries the
    whole feature (status included); the occupants' guarantees are re-judged.
    """
    status = fields.choice(body, "status", SITE_STATUSES)
    reason = fields.text(body, "reason", required=True)
    with ctx.transaction() as unit:
        site = site_store.lock_sites(unit.session, [site_id]).get(site_id)
        if site is None:
            raise NotFound(f"no site {site_id!r}", field="site_id")
        if site.status == status:
            return {"feature": site_feature(unit.session, site), "changed": False}
        before, site.status = site.status, status
        unit.audit("site.status", "site", site_id, reason=reason, detail={"before": before, "after": status})
        feature = announce_sites(unit, [site_id])[0]
        recheck_households(unit, household_store.ids_at_site(unit.session, site_id), standards=ctx.standards)
        return {"feature": feature, "changed": True}
