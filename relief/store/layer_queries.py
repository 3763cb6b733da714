"""The read side of the map layers: areas, incidents, sites, depots, facilities."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relief.store.features import Page, page_of, properties
from relief.store.tables import Area, Depot, Facility, Household, Incident, Site, StockBalance


def areas(session: Session, *, bbox=None, level: str | None = None, parent: str | None = None, offset=0, limit=1000) -> Page:
    where = []
    if level:
        where.append(Area.level == level)
    if parent:
        where.append(Area.parent_code == parent)
    return page_of(session, Area, bbox=bbox, where=where, offset=offset, limit=limit, id_attr="code")


def incident_filters(*, kinds=None, statuses=None, since=None, until=None) -> list:
    """The filters of ``GET /api/incidents``, shared by every incident listing."""
    where = []
    if kinds:
        where.append(Incident.kind.in_(kinds))
    if statuses:
        where.append(Incident.status.in_(statuses))
    if since is not None:
        where.append(Incident.occurred_at >= since)
    if until is not None:
        where.append(Incident.occurred_at <= until)
    return where


def incidents(session: Session, *, bbox=None, kinds=None, statuses=None, since=None, until=None, offset=0, limit=1000) -> Page:
    where = incident_filters(kinds=kinds, statuses=statuses, since=since, until=until)
    return page_of(session, Incident, bbox=bbox, where=where, offset=offset, limit=limit,
                   props=lambda r: properties(r, exclude=("client_id",)))


def site_occupancy(session: Session, site_ids=None) -> dict[str, int]:
    query = (select(Household.site_id, func.coalesce(func.sum(Household.members), 0))
             .where(Household.shelter == "site", Household.site_id.is_not(None)).group_by(Household.site_id))
    if site_ids is not None:
        query = query.where(Household.site_id.in_(list(site_ids)))
    return {site_id: int(n) for site_id, n in session.execute(query)}


def site_properties(site: Site, occupants: int) -> dict[str, Any]:
    props = properties(site)
    props["occupants"] = occupants
    props["free_capacity"] = max(site.capacity_persons - occupants, 0)
    props["m2_per_person"] = round(site.covered_area_m2 / occupants, 2) if occupants else None
    return props


def sites(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    occupancy = site_occupancy(session)
    return page_of(session, Site, bbox=bbox, offset=offset, limit=limit,
                   props=lambda s: site_properties(s, occupancy.get(s.id, 0)))


def depots(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    held = dict(session.execute(
        select(StockBalance.holder_id, func.count()).where(StockBalance.holder_kind == "depot", StockBalance.quantity > 0)
        .group_by(StockBalance.holder_id)).all())

    def props(d: Depot) -> dict[str, Any]:
        out = properties(d)
        out["items_in_stock"] = int(held.get(d.id, 0))
        return out

    return page_of(session, Depot, bbox=bbox, offset=offset, limit=limit, props=props)


def facilities(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    return page_of(session, Facility, bbox=bbox, offset=offset, limit=limit)
