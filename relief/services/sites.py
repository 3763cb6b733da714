"""Sites: the list with occupancy, one site's detail (occupancy, days of cover, run-out forecast), the
households checked in there, and opening or closing a site."""
from __future__ import annotations

from typing import Any, Mapping

from relief.domain.guarantees import Figures
from relief.domain.vocabulary import SITE_STATUSES
from relief.errors import NotFound
from relief.jsonable import moment
from relief.services import cover, fields
from relief.services.context import Context
from relief.services.guarantees import recheck_households
from relief.services.map_layers import site_feature, site_properties
from relief.services.relocation import announce_sites
from relief.store import areas as area_store
from relief.store import households as household_store
from relief.store import layer_queries, stock_queries
from relief.store import sites as site_store


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


#: The audit action that records a household checked in at a site (``services.relocation``).
CHECKIN_ACTION = "household.checkin"


def space_standard(standards) -> dict[str, float]:
    """Covered m² per person: the standard and the floor below which a site is crowded (normal profile)."""
    figures = Figures.read(standards, "normal")
    return {"standard_m2_per_person": figures.shelter_m2, "floor_m2_per_person": figures.shelter_floor_m2}


def space_verdict(m2_per_person: float | None, space: Mapping[str, float]) -> str | None:
    """The housing check's word for a site's space: ``site_space_ok``, ``_tight`` or ``_crowded`` (None: empty)."""
    if m2_per_person is None:
        return None
    if m2_per_person >= space["standard_m2_per_person"]:
        return "site_space_ok"
    if m2_per_person >= space["floor_m2_per_person"]:
        return "site_space_tight"
    return "site_space_crowded"


def _site_row(site, occupants: int, households: int, names: Mapping[str, Mapping[str, str]],
              space: Mapping[str, float]) -> dict[str, Any]:
    props = site_properties(site, occupants)
    return {
        "site_id": site.id, "name": site.name, "kind": site.kind, "status": site.status,
        "county_code": site.county_code, "county_name": names.get(site.county_code),
        "township_code": site.township_code, "township_name": names.get(site.township_code),
        "occupants": occupants, "households": households, "capacity_persons": site.capacity_persons,
        "free_capacity": props["free_capacity"], "m2_per_person": props["m2_per_person"],
        "space": space_verdict(props["m2_per_person"], space),
        "full": occupants >= site.capacity_persons,
    }


def site_list(ctx: Context) -> dict[str, Any]:
    """Every site with its county and township names (``{"zh", "en"}``), occupancy and whether it is full."""
    space = space_standard(ctx.standards)
    with ctx.reading() as session:
        rows = site_store.all_sites(session)
        occupancy = layer_queries.site_occupancy(session)
        households = site_store.household_counts(session, [s.id for s in rows])
        names = area_store.names(session, [c for s in rows for c in (s.county_code, s.township_code)])
        listed = [_site_row(s, int(occupancy.get(s.id, 0)), households.get(s.id, 0), names, space) for s in rows]
    return {"sites": listed, **space}


def _summary(session, site, space: Mapping[str, float]) -> dict[str, Any]:
    occupants = int(layer_queries.site_occupancy(session, [site.id]).get(site.id, 0))
    households = site_store.household_counts(session, [site.id]).get(site.id, 0)
    names = area_store.names(session, [site.county_code, site.township_code])
    row = _site_row(site, occupants, households, names, space)
    row.update(space, covered_area_m2=site.covered_area_m2, provides_meals=site.provides_meals,
               medical_post=site.medical_post)
    return row


def _site_or_404(session, site_id: str):
    site = site_store.site(session, site_id)
    if site is None:
        raise NotFound(f"no site {site_id!r}", field="site_id")
    return site


def site_summary(ctx: Context, site_id: str) -> dict[str, Any]:
    """One site as its page heads it: the list's row plus the space standard it is held to and its area."""
    space = space_standard(ctx.standards)
    with ctx.reading() as session:
        return _summary(session, _site_or_404(session, site_id), space)


def site_occupants(ctx: Context, site_id: str) -> dict[str, Any]:
    """The households checked in at a site (head's name, members, village names, when last checked in),
    with the site's summary (:func:`site_summary`) from the same read."""
    space = space_standard(ctx.standards)
    with ctx.reading() as session:
        summary = _summary(session, _site_or_404(session, site_id), space)
        rows = site_store.occupants(session, site_id, checkin_action=CHECKIN_ACTION)
        villages = area_store.names(session, [r["village_code"] for r in rows])
    households = [{**r, "village_name": villages.get(r["village_code"]), "checked_in_at": moment(r["checked_in_at"])}
                  for r in rows]
    return {"site_id": site_id, "site": summary, "households": households, "total": len(households)}
