"""Counts behind the map's key-figure strip. Counts and sums only: never a name, an id or a position.

Each query is one aggregate over its table, so the strip costs a handful of
indexed scans however large the prefecture. Never commits.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import GUARANTEES, RELOCATED_SHELTERS, Shelter, SiteStatus
from relief.domain.vocabulary import GuaranteeStatus as Verdict
from relief.store.tables import GuaranteeStatus, Household, Incident, Site


def incidents_by_level(session: Session, statuses: Iterable[str]) -> dict[str | None, int]:
    """Incidents in ``statuses`` per response level (None: no level yet)."""
    query = (select(Incident.response_level, func.count()).where(Incident.status.in_(list(statuses)))
             .group_by(Incident.response_level))
    return {level: int(n) for level, n in session.execute(query)}


def people_relocated(session: Session) -> tuple[int, int]:
    """Persons and households away from home (at a site or dispersed)."""
    query = select(func.coalesce(func.sum(Household.members), 0), func.count()).where(
        Household.shelter.in_(RELOCATED_SHELTERS))
    persons, households = session.execute(query).one()
    return int(persons), int(households)


def households_unmet(session: Session) -> dict[str, int]:
    """Households whose kept verdict is ``unmet``, per guarantee, and under ``any`` those unmet in at least one."""
    columns = [getattr(GuaranteeStatus, g) for g in GUARANTEES]

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(select(*[counted(c == Verdict.UNMET) for c in columns],
                                 counted(or_(*[c == Verdict.UNMET for c in columns])))).one()
    out = {g: int(row[i]) for i, g in enumerate(GUARANTEES)}
    out["any"] = int(row[len(GUARANTEES)])
    return out


def open_sites_occupancy(session: Session) -> list[tuple[str, int, int]]:
    """``(site_id, capacity_persons, persons there)`` for every open site."""
    persons = (select(Household.site_id.label("site_id"), func.sum(Household.members).label("persons"))
               .where(Household.shelter == Shelter.SITE, Household.site_id.is_not(None))
               .group_by(Household.site_id).subquery())
    query = (select(Site.id, Site.capacity_persons, func.coalesce(persons.c.persons, 0))
             .outerjoin(persons, persons.c.site_id == Site.id)
             .where(Site.status == SiteStatus.OPEN).order_by(Site.id))
    return [(site_id, int(capacity), int(n)) for site_id, capacity, n in session.execute(query)]
