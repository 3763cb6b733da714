"""Households for relocation: lookups, row locks, frames, and the hazard zones they may lie in.

Never commits. Positions come from the bounding-box columns (for a point,
``min_lon``/``min_lat`` are its longitude/latitude), so a prefecture's
households load without decoding a geometry per row. Selections are
narrowed in SQL (not yet relocated; unsafe house or inside a zone's bounding
box); the domain then decides exactly.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from relief.domain.geo import WGS84_CRS
from relief.domain.vocabulary import OPEN_STATUSES, RELOCATED_SHELTERS, UNSAFE_DAMAGE, Shelter
from relief.store.tables import Household, Incident

FRAME_COLUMNS = ("household_id", "members", "village_code", "county_code", "house_damage", "shelter", "site_id",
                 "lon", "lat")
IN_CHUNK = 5000

Bounds = tuple[float, float, float, float]


def household(session: Session, household_id: str) -> Household | None:
    return session.get(Household, household_id)


def lock_households(session: Session, household_ids: Iterable[str]) -> dict[str, Household]:
    """The households, row-locked in id order on PostgreSQL (after any sites: one lock order everywhere)."""
    ids = sorted(set(household_ids))
    found: dict[str, Household] = {}
    for start in range(0, len(ids), IN_CHUNK):
        query = (select(Household).where(Household.id.in_(ids[start:start + IN_CHUNK])).order_by(Household.id)
                 .with_for_update())
        found.update((h.id, h) for h in session.scalars(query))
    return found


def _frame(session: Session, *conditions) -> pd.DataFrame:
    query = (select(Household.id, Household.members, Household.village_code, Household.county_code,
                    Household.house_damage, Household.shelter, Household.site_id, Household.min_lon, Household.min_lat)
             .where(*conditions).order_by(Household.id))
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=list(FRAME_COLUMNS))
    return frame.astype({"members": "int64", "lon": float, "lat": float})


def _within_any(bounds: Sequence[Bounds]):
    if not bounds:
        return false()
    return or_(*(and_(Household.min_lon >= x0, Household.min_lon <= x1, Household.min_lat >= y0,
                      Household.min_lat <= y1) for x0, y0, x1, y1 in bounds))


def _county(county_code: str | None) -> list:
    return [Household.county_code == county_code] if county_code else []


def leaving_candidates(session: Session, zone_bounds: Sequence[Bounds], *,
                       county_code: str | None = None) -> pd.DataFrame:
    """Households not yet relocated whose house is unsafe or that lie within a zone's bounding box."""
    unsafe = Household.house_damage.in_(UNSAFE_DAMAGE)
    return _frame(session, Household.shelter.not_in(RELOCATED_SHELTERS), or_(unsafe, _within_any(zone_bounds)),
                  *_county(county_code))


def at_home_within(session: Session, zone_bounds: Sequence[Bounds], *,
                   county_code: str | None = None) -> pd.DataFrame:
    """Households not yet relocated within any of the zones' bounding boxes."""
    return _frame(session, Household.shelter.not_in(RELOCATED_SHELTERS), _within_any(zone_bounds),
                  *_county(county_code))


def hazard_polygons(session: Session, statuses: Iterable[str] = OPEN_STATUSES) -> gpd.GeoDataFrame:
    """Polygons of incidents in ``statuses`` (open ones by default): status, evacuate, county_code, in WGS 84."""
    query = (select(Incident.id, Incident.county_code, Incident.status, Incident.evacuate, Incident.geom)
             .where(Incident.status.in_(sorted(statuses)), Incident.geom.is_not(None)).order_by(Incident.id))
    rows = [r for r in session.execute(query).all() if r.geom.geom_type in ("Polygon", "MultiPolygon")]
    frame = pd.DataFrame({"incident_id": [r.id for r in rows], "county_code": [r.county_code for r in rows],
                          "status": [r.status for r in rows], "evacuate": [bool(r.evacuate) for r in rows]})
    return gpd.GeoDataFrame(frame, geometry=[r.geom for r in rows], crs=WGS84_CRS)


def ids_at_site(session: Session, site_id: str) -> list[str]:
    return ids_at_sites(session, [site_id])


def ids_at_sites(session: Session, site_ids) -> list[str]:
    """Households checked in at any of these sites (a site's occupants share its space and water)."""
    wanted = [s for s in site_ids if s]
    if not wanted:
        return []
    query = (select(Household.id).where(Household.shelter == Shelter.SITE, Household.site_id.in_(wanted))
             .order_by(Household.id))
    return list(session.scalars(query))
