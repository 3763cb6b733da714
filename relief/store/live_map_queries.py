"""Read queries behind the live map that the generic layer endpoints can't serve fast.

Households are too many to send as features, so they come out either as
compact points for a bounding box (``household_points``) or as verdict counts
per village/township (``guarantee_combinations``). Neither returns a name, an
ID number or a phone: only ids, positions and verdicts. A household's worst
verdict is worked out in SQL from the ``guarantee_status`` row the guarantees
service keeps; a household without a row is ``unknown``.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from relief.domain.vocabulary import GUARANTEES, UNKNOWN, AreaLevel
from relief.domain.vocabulary import GuaranteeStatus as Verdict
from relief.store.events import latest_seq
from relief.store.layer_queries import incident_filters
from relief.store.paging import bbox_clause
from relief.store.tables import Area, GuaranteeStatus, Household, Incident


def _worst():
    """The worst of a household's verdicts, as ``VERDICTS_WORST_FIRST`` orders them (``unknown`` without a row)."""
    columns = [getattr(GuaranteeStatus, name) for name in GUARANTEES]

    def any_is(value: str):
        return or_(*[c == value for c in columns])

    return case((GuaranteeStatus.household_id.is_(None), UNKNOWN),
                *((any_is(v.value), v.value) for v in (Verdict.UNMET, Verdict.AT_RISK, Verdict.MET)),
                else_=Verdict.NOT_APPLICABLE.value)


def snapshot_seq(session: Session) -> int:
    """Pin the read to one snapshot and return the last event seq it includes.

    Call first in a fresh read session. A client applies ``guarantee.counts``
    deltas on top of counts read here only for events after this seq, so the
    counts and the seq must come from the same snapshot: SQLite's read
    transaction already is one; PostgreSQL needs REPEATABLE READ for it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    return latest_seq(session)


def household_points(session: Session, bbox: tuple[float, float, float, float], *, offset: int = 0,
                     limit: int = 20_000) -> tuple[list[list[Any]], int]:
    """``[[lon, lat, id, worst], …]`` inside ``bbox`` ordered by id, and how many there are in all.

    Households are points, so their bbox columns are their position: no geometry is decoded.
    """
    where = [bbox_clause(Household, session, bbox), Household.min_lon.is_not(None)]
    total = session.scalar(select(func.count()).select_from(Household).where(*where)) or 0
    query = (select(Household.min_lon, Household.min_lat, Household.id, _worst())
             .outerjoin(GuaranteeStatus, GuaranteeStatus.household_id == Household.id)
             .where(*where).order_by(Household.id).offset(offset).limit(limit))
    points = [[round(lon, 5), round(lat, 5), hid, worst] for lon, lat, hid, worst in session.execute(query)]
    return points, int(total)


def guarantee_combinations(session: Session, level: str) -> list[tuple]:
    """Households counted per area and verdict combination.

    Rows are ``(area_code, food, clothing, water, housing, medical, households)``
    with ``None`` verdicts for households never judged; ``level`` is
    ``village`` (the household's village) or ``township`` (that village's parent).
    One grouped scan serves both the worst-verdict and the per-guarantee counts.
    """
    verdicts = [getattr(GuaranteeStatus, name) for name in GUARANTEES]
    if level == AreaLevel.VILLAGE:
        area = Household.village_code
        query = select(area, *verdicts, func.count()).select_from(Household)
    else:
        village = aliased(Area)
        area = village.parent_code
        query = (select(area, *verdicts, func.count()).select_from(Household)
                 .join(village, village.code == Household.village_code))
    query = (query.outerjoin(GuaranteeStatus, GuaranteeStatus.household_id == Household.id)
             .where(area.is_not(None)).group_by(area, *verdicts))
    return [tuple(row) for row in session.execute(query)]


def village_parents(session: Session) -> dict[str, str]:
    """Village code → township code, so a client can move a village's change up a level."""
    query = select(Area.code, Area.parent_code).where(Area.level == AreaLevel.VILLAGE, Area.parent_code.is_not(None))
    return dict(session.execute(query).all())


def area_shapes(session: Session, level: str) -> list[tuple]:
    """``(code, name_zh, name_en, level, parent_code, geom)`` for every area of ``level``."""
    query = (select(Area.code, Area.name_zh, Area.name_en, Area.level, Area.parent_code, Area.geom)
             .where(Area.level == level).order_by(Area.code))
    return [tuple(row) for row in session.execute(query)]


def search_areas(session: Session, q: str, *, limit: int = 10) -> list[dict[str, Any]]:
    """Areas whose Chinese or English name contains ``q`` (English case-insensitive; ``%``/``_`` literal),
    larger first."""
    rank = case({level.value: i for i, level in enumerate(AreaLevel)}, value=Area.level, else_=len(AreaLevel))
    query = (select(Area.code, Area.name_zh, Area.name_en, Area.level, Area.parent_code,
                    Area.min_lon, Area.min_lat, Area.max_lon, Area.max_lat)
             .where(or_(Area.name_zh.contains(q, autoescape=True),
                        func.lower(Area.name_en).contains(q.lower(), autoescape=True)))
             .order_by(rank, Area.code).limit(limit))
    return [{"code": code, "name_zh": zh, "name_en": en, "level": lvl, "parent_code": parent,
             "bbox": [x0, y0, x1, y1]} for code, zh, en, lvl, parent, x0, y0, x1, y1 in session.execute(query)]


MARKER_COLUMNS = ("id", "kind", "status", "title", "occurred_at", "updated_at", "response_level", "county_code",
                  "township_code", "evacuate")


def incident_markers(session: Session, *, bbox=None, kinds=None, statuses=None, since=None, until=None,
                     offset: int = 0, limit: int = 20_000) -> tuple[list[dict[str, Any]], int]:
    """Incidents as plain dicts with only the marker columns, and how many match in all.

    Points come with ``lon``/``lat`` read from their bbox columns; only hazard
    areas (anything not a point) have their geometry decoded, as ``geom``.
    The filters are those of ``GET /api/incidents``.
    """
    where = incident_filters(kinds=kinds, statuses=statuses, since=since, until=until)
    if bbox is not None:
        where.append(bbox_clause(Incident, session, bbox))
    total = session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0
    is_point = and_(Incident.min_lon == Incident.max_lon, Incident.min_lat == Incident.max_lat)
    columns = [getattr(Incident, c) for c in MARKER_COLUMNS]
    query = (select(*columns, Incident.min_lon, Incident.min_lat, is_point.label("is_point"))
             .where(*where, Incident.min_lon.is_not(None)).order_by(Incident.id).offset(offset).limit(limit))
    rows = [dict(r._mapping) for r in session.execute(query)]
    areas = [r["id"] for r in rows if not r["is_point"]]
    if areas:
        shapes = dict(session.execute(select(Incident.id, Incident.geom).where(Incident.id.in_(areas))).all())
        for row in rows:
            if not row["is_point"]:
                row["geom"] = shapes.get(row["id"])
    return rows, int(total)

