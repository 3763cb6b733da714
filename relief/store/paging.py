"""Located tables filtered by bounding box and paged: rows and how many match, never a shape for an answer.

On PostGIS the bbox test is ``ST_Intersects`` against an envelope (served by
the GiST index). On SQLite the bbox columns pre-filter in SQL; for points
that is already exact, for polygons shapely confirms the intersection.
The answers' GeoJSON is built from these rows in ``services/geojson.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.geometry import box
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    """One page of rows, ``offset`` rows in, and how many match in all."""
    rows: list[Any]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None after the last one."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def bbox_clause(model, session: Session, bbox: tuple[float, float, float, float]):
    min_lon, min_lat, max_lon, max_lat = bbox
    if session.get_bind().dialect.name == "postgresql":
        envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
        return func.ST_Intersects(model.__table__.c.geom, envelope)
    return and_(model.min_lon <= max_lon, model.max_lon >= min_lon, model.min_lat <= max_lat, model.max_lat >= min_lat)


def page_of(session: Session, model, *, bbox=None, where=(), order_by=None, offset: int = 0,
            limit: int = 1000) -> Page:
    """One page of a located table's rows matching ``bbox`` exactly on both stores (primary key order by default)."""
    query = select(model).where(*where)
    if bbox is not None:
        query = query.where(bbox_clause(model, session, bbox))
    query = query.order_by(*([order_by] if order_by is not None else model.__table__.primary_key.columns))
    on_postgis = session.get_bind().dialect.name == "postgresql"
    exact_in_python = bbox is not None and not on_postgis and model.geometry_type != "POINT"
    if exact_in_python:
        window = box(*bbox)
        rows = [r for r in session.scalars(query) if r.geom is not None and r.geom.intersects(window)]
        total, rows = len(rows), rows[offset: offset + limit]
    else:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = list(session.scalars(query.offset(offset).limit(limit)))
    return Page(rows, total, offset, limit)
