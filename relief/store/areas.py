"""Which administrative areas hold a place: the county and township of an incident.

Every report asks this, so the county and township outlines are kept in
memory as prepared shapely geometries (a hundred or so for a prefecture)
instead of being read and parsed per report. The copy is checked against a
cheap fingerprint of the table (row count, highest code) on every call and
reloaded when it differs, so areas added or removed by an import are seen at
once, and at least every :data:`CACHE_SECONDS` for outlines redrawn in place. The copy belongs to
the :class:`~relief.store.db.Store` the session came from (``Store.memo``), so
two stores in one process never share one. A polygon is placed by a
point guaranteed to lie inside it, so a hazard zone crossing a county line
still gets one county.
"""
from __future__ import annotations

import threading
import time
from typing import Iterable

from shapely import prepare
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from relief.store.tables import Area

CACHE_SECONDS = 60.0
_MEMO_KEY = "areas.outlines"


class _Outlines:
    """One store's outlines by levels: ``{levels: (loaded at, fingerprint, shapes)}``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_levels: dict[tuple, tuple[float, tuple, list]] = {}


def _kept(session: Session) -> _Outlines:
    """The outlines kept on the session's store; a session made outside a Store keeps nothing."""
    memo = session.info.get("memo")
    if memo is None:
        return _Outlines()
    kept = memo.get(_MEMO_KEY)
    return kept if kept is not None else memo.setdefault(_MEMO_KEY, _Outlines())


def _fingerprint(session: Session, levels: tuple[str, ...]) -> tuple:
    """Changes whenever areas of ``levels`` are added or removed (re-outlined ones: within CACHE_SECONDS).

    Run on every report, so it goes straight to the DB-API cursor of this
    transaction: SQLite answers in ~20 µs, building the statement through
    SQLAlchemy would cost ten times that. ``levels`` are our own constants
    (checked below), never user input; only indexed or leading columns are
    read, so no geometry is touched.
    """
    if not all(level.isalpha() for level in levels):
        raise ValueError(f"bad area levels {levels!r}")
    listed = ", ".join(f"'{level}'" for level in levels)
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(f"SELECT count(*), max(code) FROM areas WHERE level IN ({listed})")
        return tuple(cursor.fetchone())
    finally:
        cursor.close()


def _outlines(session: Session, levels: tuple[str, ...]) -> list[tuple[str, str, tuple, BaseGeometry]]:
    """``(code, level, bounds, prepared geometry)`` for every area of ``levels``, from the cache when current."""
    kept = _kept(session)
    fingerprint = _fingerprint(session, levels)
    with kept.lock:
        hit = kept.by_levels.get(levels)
    if hit and hit[1] == fingerprint and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[2]
    shapes = []
    for code, level, geom in session.execute(select(Area.code, Area.level, Area.geom)
                                             .where(Area.level.in_(levels)).order_by(Area.code)):
        if geom is not None and not geom.is_empty:
            prepare(geom)
            shapes.append((code, level, geom.bounds, geom))
    with kept.lock:
        kept.by_levels[levels] = (time.monotonic(), fingerprint, shapes)
    return shapes


def codes_at(session: Session, geom: BaseGeometry | None,
             levels: Iterable[str] = ("county", "township")) -> dict[str, str]:
    """``{level: code}`` of the areas containing ``geom`` (empty when there are no areas there)."""
    if geom is None or geom.is_empty:
        return {}
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    x, y = point.x, point.y
    found: dict[str, str] = {}
    for code, level, (min_x, min_y, max_x, max_y), shape in _outlines(session, tuple(levels)):
        if level not in found and min_x <= x <= max_x and min_y <= y <= max_y and shape.covers(point):
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


def parents(session: Session) -> dict[str, str]:
    """Area code → parent code (village → township → county), for counting by level."""
    return dict(session.execute(select(Area.code, Area.parent_code).where(Area.parent_code.is_not(None))).all())


def children(session: Session, parent_code: str) -> list[dict[str, str]]:
    """``[{"code", "name_zh", "name_en"}]`` of the areas right under ``parent_code`` (a county's townships), by code."""
    rows = session.execute(select(Area.code, Area.name_zh, Area.name_en).where(Area.parent_code == parent_code)
                           .order_by(Area.code))
    return [{"code": code, "name_zh": zh, "name_en": en} for code, zh, en in rows]
