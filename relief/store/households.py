"""Households for relocation: lookups, row locks, frames, and the hazard zones they may lie in.

Never commits. Positions come from the bounding-box columns (for a point,
``min_lon``/``min_lat`` are its longitude/latitude), so a prefecture's
households load without decoding a geometry per row. Selections are
narrowed in SQL (not yet relocated; unsafe house or inside a zone's bounding
box); the domain then decides exactly.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from relief.domain.geo import WGS84_CRS
from relief.domain.vocabulary import OPEN_STATUSES, RELOCATED_SHELTERS, UNSAFE_DAMAGE, AreaLevel, Shelter
from relief.store.paging import Page
from relief.store.tables import (
    Area,
    Distribution,
    Facility,
    Household,
    Incident,
    Item,
    MedicalVisit,
    Site,
    StockMovement,
)

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


# --- finding and editing one household (the household pages) ---------------------------

SEARCH_COLUMNS = ("id", "head_name", "id_number", "members", "village_code", "county_code", "house_damage",
                  "assistance_category", "shelter", "site_id", "site_name")
#: The tail of a resident ID number: four or more characters, digits with perhaps the check character X last.
_ID_TAIL = re.compile(r"^[0-9]{3,17}[0-9X]$")


def _villages_named(term: str):
    """Codes of villages whose code is ``term`` or whose Chinese or English name contains it."""
    lowered = term.lower()
    return (select(Area.code)
            .where(Area.level == AreaLevel.VILLAGE,
                   or_(Area.code == term, Area.name_zh.contains(term, autoescape=True),
                       func.lower(Area.name_en).contains(lowered, autoescape=True))))


def _matching(term: str):
    """A household whose head's name contains ``term``, whose ID number is it (or ends with its 4+ digits),
    whose id is it (or starts with it), or whose village is it (by code or name)."""
    upper = term.upper()
    clauses = [Household.head_name.contains(term, autoescape=True), Household.id == term,
               Household.id.startswith(term, autoescape=True), Household.id_number.in_({upper, term}),
               Household.village_code.in_(_villages_named(term))]
    if _ID_TAIL.match(upper):
        clauses.append(Household.id_number.endswith(upper, autoescape=True))
        if upper.endswith("X"):
            clauses.append(Household.id_number.endswith(term[:-1] + "x", autoescape=True))
    return or_(*clauses)


def search(session: Session, *, q: str | None = None, village: str | None = None, offset: int = 0,
           limit: int = 50) -> Page:
    """Households matching ``q`` (see :func:`_matching`) within ``village`` (code or name), by id.

    Rows are dicts of :data:`SEARCH_COLUMNS` (``site_name`` from the site they are at).
    """
    where = []
    if q:
        where.append(_matching(q))
    if village:
        where.append(Household.village_code.in_(_villages_named(village)))
    total = session.scalar(select(func.count()).select_from(Household).where(*where)) or 0
    query = (select(Household.id, Household.head_name, Household.id_number, Household.members,
                    Household.village_code, Household.county_code, Household.house_damage,
                    Household.assistance_category, Household.shelter, Household.site_id, Site.name)
             .outerjoin(Site, Site.id == Household.site_id).where(*where).order_by(Household.id)
             .offset(offset).limit(limit))
    rows = [dict(zip(SEARCH_COLUMNS, row)) for row in session.execute(query)]
    return Page(rows, int(total), offset, limit)


def received(session: Session, household_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """What was handed out to the household, newest first: ``id, item_code, item_name, unit, quantity,
    distributed_at, holder_kind, holder_id`` (where it came from, when the ledger recorded it)."""
    query = (select(Distribution.id, Distribution.item_code, Item.name, Item.unit, Distribution.quantity,
                    Distribution.distributed_at, StockMovement.holder_kind, StockMovement.holder_id)
             .join(Item, Item.code == Distribution.item_code)
             .outerjoin(StockMovement, StockMovement.id == Distribution.movement_id)
             .where(Distribution.household_id == household_id)
             .order_by(Distribution.distributed_at.desc(), Distribution.id.desc()).limit(limit))
    columns = ("id", "item_code", "item_name", "unit", "quantity", "distributed_at", "holder_kind", "holder_id")
    return [dict(zip(columns, row)) for row in session.execute(query)]


def visits(session: Session, household_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Medical visits to the household, newest first: ``id, visited_at, facility_id, facility_name, note``."""
    query = (select(MedicalVisit.id, MedicalVisit.visited_at, MedicalVisit.facility_id, Facility.name,
                    MedicalVisit.note)
             .outerjoin(Facility, Facility.id == MedicalVisit.facility_id)
             .where(MedicalVisit.household_id == household_id)
             .order_by(MedicalVisit.visited_at.desc(), MedicalVisit.id.desc()).limit(limit))
    columns = ("id", "visited_at", "facility_id", "facility_name", "note")
    return [dict(zip(columns, row)) for row in session.execute(query)]


def update_household(session: Session, household: Household, values: Mapping[str, Any], *,
                     now: datetime) -> Household:
    """Set these columns of the (locked) household and flush, so Core reads in the transaction see them."""
    for key, value in values.items():
        setattr(household, key, value)
    household.updated_at = now
    session.flush()
    return household


def household_exists(session: Session, household_id: str) -> bool:
    """Whether the household is registered: one indexed Core read, no row loaded (a check every hand-out makes)."""
    from relief.store.rows import exists

    return exists(session, Household, household_id)


def lock_household(session: Session, household_id: str) -> Household | None:
    """One household, row-locked on PostgreSQL like :func:`lock_households`, by a statement built once."""
    from relief.store.rows import get

    return get(session, Household, household_id, for_update=True)
