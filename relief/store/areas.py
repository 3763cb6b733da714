"""Which administrative areas hold a place: the county and township of an incident.

The bbox columns pre-filter in SQL on both stores (few areas survive it);
shapely then decides containment exactly. A polygon is placed by a point
guaranteed to lie inside it, so a hazard zone crossing a county line still
gets one county.
"""
from __future__ import annotations

from typing import Iterable

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from relief.store.tables import Area


def codes_at(session: Session, geom: BaseGeometry | None, levels: Iterable[str] = ("county", "township")) -> dict[str, str]:
    """``{level: code}`` of the areas containing ``geom`` (empty when there are no areas there)."""
    if geom is None or geom.is_empty:
        return {}
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    x, y = point.x, point.y
    query = (select(Area.code, Area.level, Area.geom)
             .where(Area.level.in_(list(levels)), Area.min_lon <= x, Area.max_lon >= x, Area.min_lat <= y, Area.max_lat >= y)
             .order_by(Area.code))
    found: dict[str, str] = {}
    for code, level, shape in session.execute(query):
        if level not in found and shape is not None and shape.covers(point):
            found[level] = code
    return found


def parent_code(session: Session, code: str) -> str | None:
    """The parent of an area (a township's county), or None when the area is unknown."""
    return session.scalar(select(Area.parent_code).where(Area.code == code))


def names(session: Session, codes: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{code: {"zh", "en"}}`` for labelling lists by area."""
    wanted = [c for c in set(codes) if c]
    if not wanted:
        return {}
    rows = session.execute(select(Area.code, Area.name_zh, Area.name_en).where(Area.code.in_(wanted)))
    return {code: {"zh": zh, "en": en} for code, zh, en in rows}
