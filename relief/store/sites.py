"""Sites and depots for relocation and dispatch: lookups, row locks, frames. Never commits.

Positions come from the bounding-box columns: for a point ``min_lon`` is its
longitude and ``min_lat`` its latitude, so frames need no geometry decoding
on either store.
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import Shelter, SiteStatus
from relief.store.layer_queries import site_occupancy
from relief.store.tables import AuditEntry, Depot, Facility, Household, Site

SITE_FRAME_COLUMNS = ("site_id", "name", "county_code", "capacity_persons", "covered_area_m2", "water_l_per_day",
                      "status", "lon", "lat")
DEPOT_FRAME_COLUMNS = ("depot_id", "name", "county_code", "lon", "lat")


def site(session: Session, site_id: str) -> Site | None:
    return session.get(Site, site_id)


def depot(session: Session, depot_id: str) -> Depot | None:
    return session.get(Depot, depot_id)


def facility(session: Session, facility_id: str) -> Facility | None:
    return session.get(Facility, facility_id)


def lock_sites(session: Session, site_ids: Iterable[str]) -> dict[str, Site]:
    """The sites, row-locked in id order on PostgreSQL (SQLite's write lock already serialises writers).

    Whoever checks people in locks the target sites first, so two
    transactions filling the last places of a site take turns, and the
    second one counts the first one's occupants (READ COMMITTED reads
    what committed before each statement).
    """
    ids = sorted(set(site_ids))
    if not ids:
        return {}
    query = select(Site).where(Site.id.in_(ids)).order_by(Site.id).with_for_update()
    return {s.id: s for s in session.scalars(query)}


def household_counts(session: Session, site_ids: Iterable[str]) -> dict[str, int]:
    """Households (not persons) recorded at each site."""
    ids = list(site_ids)
    query = (select(Household.site_id, func.count())
             .where(Household.shelter == Shelter.SITE, Household.site_id.in_(ids)).group_by(Household.site_id))
    return {site_id: int(n) for site_id, n in session.execute(query)}


def sites_frame(session: Session, *, county_code: str | None = None, site_ids: Iterable[str] | None = None,
                open_only: bool = False) -> pd.DataFrame:
    """Sites as the allocation, cover and dispatch rules read them (one row each, by site_id)."""
    query = select(Site.id, Site.name, Site.county_code, Site.capacity_persons, Site.covered_area_m2,
                   Site.water_l_per_day, Site.status, Site.min_lon, Site.min_lat).order_by(Site.id)
    if county_code:
        query = query.where(Site.county_code == county_code)
    if site_ids is not None:
        query = query.where(Site.id.in_(list(site_ids)))
    if open_only:
        query = query.where(Site.status == SiteStatus.OPEN)
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=list(SITE_FRAME_COLUMNS))
    return frame.astype({"capacity_persons": "int64", "covered_area_m2": float, "water_l_per_day": float,
                         "lon": float, "lat": float})


def depots_frame(session: Session, depot_ids: Iterable[str] | None = None) -> pd.DataFrame:
    query = select(Depot.id, Depot.name, Depot.county_code, Depot.min_lon, Depot.min_lat).order_by(Depot.id)
    if depot_ids is not None:
        query = query.where(Depot.id.in_(list(depot_ids)))
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=list(DEPOT_FRAME_COLUMNS))
    return frame.astype({"lon": float, "lat": float})


def occupancy_series(session: Session, site_ids: Iterable[str] | None = None) -> pd.Series:
    """Persons at each site (``shelter == "site"``), by site_id, as the domain rules take it."""
    counts = site_occupancy(session, site_ids)
    return pd.Series(counts, dtype=float, name="occupants").rename_axis("site_id")


def sites_after_moves(session: Session, site_ids: Iterable[str | None]) -> list[Site]:
    """The sites among ``site_ids`` that exist, in id order, with this transaction's moves flushed first.

    Occupancy is counted by Core selects, which do not autoflush: without
    the flush a household just checked in or out would not count yet.
    """
    session.flush()
    return [row for row in (site(session, site_id) for site_id in sorted({s for s in site_ids if s}))
            if row is not None]


def all_sites(session: Session) -> list[Site]:
    """Every site, by county, township, name and id (the order of the site list)."""
    query = select(Site).order_by(Site.county_code, Site.township_code, Site.name, Site.id)
    return list(session.scalars(query))


def occupants(session: Session, site_id: str, *, checkin_action: str) -> list[dict[str, Any]]:
    """The households at a site, each with when it was last checked in (``None`` when no audit row says so).

    The moment is the newest ``checkin_action`` audit row of the household;
    a household placed some other way (an import, the demo) has none.
    """
    here = select(Household.id).where(Household.shelter == Shelter.SITE, Household.site_id == site_id)
    last = (select(AuditEntry.entity_id.label("household_id"), func.max(AuditEntry.at).label("at"))
            .where(AuditEntry.action == checkin_action, AuditEntry.entity == "household",
                   AuditEntry.entity_id.in_(here))
            .group_by(AuditEntry.entity_id).subquery())
    query = (select(Household.id, Household.head_name, Household.members, Household.village_code, last.c.at)
             .outerjoin(last, last.c.household_id == Household.id)
             .where(Household.shelter == Shelter.SITE, Household.site_id == site_id)
             .order_by(last.c.at.desc().nulls_last(), Household.head_name, Household.id))
    return [{"household_id": hid, "name": name, "members": int(members), "village_code": village,
             "checked_in_at": at}
            for hid, name, members, village, at in session.execute(query)]
