"""Reads and the one write behind the situation report. Plain values in, rows or plain dicts out; never commits.

Everything here is an aggregate or a short list (counties, townships, sites, items), so a sitrep costs a
handful of grouped scans however many households the prefecture holds.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import GUARANTEE_STATUSES, GUARANTEES, AreaLevel, Shelter, SiteStatus
from relief.domain.vocabulary import GuaranteeStatus as Verdict
from relief.store.tables import Area, GuaranteeStatus, Household, Incident, Site, Sitrep, StatutoryReport

# --- what the snapshot reads ----------------------------------------------------------------------

def first_data_at(session: Session) -> datetime | None:
    """The earliest moment relief holds anything to report: the first incident's occurrence or report."""
    firsts = [session.scalar(select(func.min(Incident.occurred_at))),
              session.scalar(select(func.min(StatutoryReport.submitted_at)))]
    found = [moment for moment in firsts if moment is not None]
    return min(found) if found else None


def incident_points(session: Session, as_of: datetime, statuses: Iterable[str]) -> list[dict[str, Any]]:
    """Incidents occurred by ``as_of`` in ``statuses``: id, kind, status, response level and a point
    (the centre of their box), ordered by id."""
    query = (select(Incident.id, Incident.kind, Incident.status, Incident.response_level, Incident.county_code,
                    Incident.min_lon, Incident.min_lat, Incident.max_lon, Incident.max_lat)
             .where(Incident.occurred_at <= as_of, Incident.status.in_(list(statuses)),
                    Incident.min_lon.is_not(None))
             .order_by(Incident.id))
    return [{"id": int(i), "kind": kind, "status": status, "level": level, "county_code": county,
             "lon": (x0 + x1) / 2.0, "lat": (y0 + y1) / 2.0}
            for i, kind, status, level, county, x0, y0, x1, y1 in session.execute(query)]


def county_outlines(session: Session) -> list[tuple[str, str, str, Any]]:
    """``(code, name_zh, name_en, geom)`` of every county, by code."""
    query = (select(Area.code, Area.name_zh, Area.name_en, Area.geom).where(Area.level == AreaLevel.COUNTY)
             .order_by(Area.code))
    return [tuple(row) for row in session.execute(query)]


def relocated_now(session: Session) -> dict[str, dict[str, int]]:
    """Persons and households away from home now, per county and shelter (``site``: centralised,
    ``dispersed``)."""
    query = (select(Household.county_code, Household.shelter, func.coalesce(func.sum(Household.members), 0),
                    func.count())
             .where(Household.shelter.in_([Shelter.SITE.value, Shelter.DISPERSED.value]))
             .group_by(Household.county_code, Household.shelter).order_by(Household.county_code, Household.shelter))
    out: dict[str, dict[str, int]] = {}
    for county, shelter, persons, households in session.execute(query):
        entry = out.setdefault(county or "", {})
        entry[f"{shelter}_persons"] = int(persons)
        entry[f"{shelter}_households"] = int(households)
    return out


def sites_occupancy(session: Session) -> list[dict[str, Any]]:
    """Every open site: id, name, county, capacity and persons there now, by id."""
    persons = (select(Household.site_id.label("site_id"), func.sum(Household.members).label("persons"))
               .where(Household.shelter == Shelter.SITE, Household.site_id.is_not(None))
               .group_by(Household.site_id).subquery())
    query = (select(Site.id, Site.name, Site.county_code, Site.capacity_persons, func.coalesce(persons.c.persons, 0))
             .outerjoin(persons, persons.c.site_id == Site.id)
             .where(Site.status == SiteStatus.OPEN).order_by(Site.id))
    return [{"site_id": sid, "name": name, "county_code": county, "capacity": int(capacity), "persons": int(n)}
            for sid, name, county, capacity, n in session.execute(query)]


def unmet_by_township(session: Session) -> tuple[list[dict[str, Any]], int]:
    """Kept verdicts of the register's households counted per township (the parent of the household's village):
    ``[{"code", "households", <guarantee>: households unmet}]`` by code, and the households with a verdict in all.

    The figures ``guarantee_lists.counts(…, "township")`` gives over the stored verdicts, counted by the
    database instead of a frame of every household.
    """
    columns = [getattr(GuaranteeStatus, g) for g in GUARANTEES]

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    # per village first (a thousand groups), then villages to townships: one area look-up per village, not
    # one per household
    villages = (select(Household.village_code.label("village"), func.count().label("households"),
                       counted(columns[0].in_(list(GUARANTEE_STATUSES))).label("judged"),
                       *[counted(c == Verdict.UNMET.value).label(g) for g, c in zip(GUARANTEES, columns)])
                .select_from(GuaranteeStatus).join(Household, Household.id == GuaranteeStatus.household_id)
                .group_by(Household.village_code).subquery())
    township = Area.parent_code
    query = (select(township, func.sum(villages.c.households), func.sum(villages.c.judged),
                    *[func.sum(villages.c[g]) for g in GUARANTEES])
             .select_from(villages).outerjoin(Area, Area.code == villages.c.village)
             .group_by(township).order_by(township))
    rows, total = [], 0
    for code, households, judged, *unmet in session.execute(query):
        total += int(households)
        if code is not None:
            rows.append({"code": code, "households": int(judged), **{g: int(n) for g, n in zip(GUARANTEES, unmet)}})
    return rows, total


# --- issued reports -------------------------------------------------------------------------------

def by_as_of(session: Session, as_of: datetime) -> Sitrep | None:
    return session.scalar(select(Sitrep).where(Sitrep.as_of == as_of))


def by_number(session: Session, number: int) -> Sitrep | None:
    return session.scalar(select(Sitrep).where(Sitrep.number == number))


def latest_before(session: Session, as_of: datetime) -> Sitrep | None:
    """The latest sitrep issued for a moment strictly before ``as_of``: what the next one is compared with."""
    return session.scalar(select(Sitrep).where(Sitrep.as_of < as_of).order_by(Sitrep.as_of.desc()).limit(1))


def next_number(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Sitrep.number), 0))) or 0) + 1


def issued(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """Issued sitreps, newest first: number, as_of, issued_at, issued_by_name (never the figures)."""
    query = (select(Sitrep.number, Sitrep.as_of, Sitrep.issued_at, Sitrep.issued_by_name)
             .order_by(Sitrep.number.desc()).limit(limit))
    return [{"number": int(n), "as_of": as_of, "issued_at": at, "issued_by": who}
            for n, as_of, at, who in session.execute(query)]


def add(session: Session, *, as_of: datetime, issued_at: datetime, issued_by: int | None,
        issued_by_name: str | None, figures: dict[str, Any]) -> Sitrep:
    """Insert the next numbered sitrep (the caller holds the write lock: one writer on SQLite; on
    PostgreSQL the unique number and ``as_of`` refuse a concurrent twin) and return it."""
    row = Sitrep(number=next_number(session), as_of=as_of, issued_at=issued_at, issued_by=issued_by,
                 issued_by_name=issued_by_name, figures=figures)
    session.add(row)
    session.flush()
    return row
