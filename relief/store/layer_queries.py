"""The read side of the map layers: areas, incidents, sites, depots, facilities.

Each returns a :class:`~relief.store.paging.Page` of rows; ``services/map_layers.py``
shapes them into GeoJSON.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import HolderKind, Shelter
from relief.store.paging import Page, page_of
from relief.store.tables import Area, Depot, Facility, Household, Incident, Site, StockBalance


def areas(session: Session, *, bbox=None, level: str | None = None, parent: str | None = None, offset=0,
          limit=1000) -> Page:
    where = []
    if level:
        where.append(Area.level == level)
    if parent:
        where.append(Area.parent_code == parent)
    return page_of(session, Area, bbox=bbox, where=where, offset=offset, limit=limit)


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


def incidents(session: Session, *, bbox=None, kinds=None, statuses=None, since=None, until=None, offset=0,
              limit=1000) -> Page:
    where = incident_filters(kinds=kinds, statuses=statuses, since=since, until=until)
    return page_of(session, Incident, bbox=bbox, where=where, offset=offset, limit=limit)


def site_occupancy(session: Session, site_ids=None) -> dict[str, int]:
    query = (select(Household.site_id, func.coalesce(func.sum(Household.members), 0))
             .where(Household.shelter == Shelter.SITE, Household.site_id.is_not(None)).group_by(Household.site_id))
    if site_ids is not None:
        query = query.where(Household.site_id.in_(list(site_ids)))
    return {site_id: int(n) for site_id, n in session.execute(query)}


def sites(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    return page_of(session, Site, bbox=bbox, offset=offset, limit=limit)


def depots(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    return page_of(session, Depot, bbox=bbox, offset=offset, limit=limit)


def depot_items_in_stock(session: Session) -> dict[str, int]:
    """How many different items each depot holds (positive balances only), by depot id."""
    query = (select(StockBalance.holder_id, func.count())
             .where(StockBalance.holder_kind == HolderKind.DEPOT, StockBalance.quantity > 0)
             .group_by(StockBalance.holder_id))
    return {depot_id: int(n) for depot_id, n in session.execute(query)}


def facilities(session: Session, *, bbox=None, offset=0, limit=1000) -> Page:
    return page_of(session, Facility, bbox=bbox, offset=offset, limit=limit)
