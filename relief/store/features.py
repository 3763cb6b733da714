"""Rows as GeoJSON features, filtered by bounding box and paged.

On PostGIS the bbox test is ``ST_Intersects`` against an envelope (served by
the GiST index). On SQLite the bbox columns pre-filter in SQL; for points
that is already exact, for polygons shapely confirms the intersection.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable

import shapely
from shapely.geometry import box
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from relief.domain.geo import rfc7946_mapping

SPATIAL_COLUMNS = {"geom", "min_lon", "min_lat", "max_lon", "max_lat"}


@dataclass(frozen=True)
class Page:
    features: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    def collection(self) -> dict[str, Any]:
        next_offset = self.offset + self.limit if self.offset + self.limit < self.total else None
        return {
            "type": "FeatureCollection",
            "features": self.features,
            "page": {"offset": self.offset, "limit": self.limit, "total": self.total, "next_offset": next_offset},
        }


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def properties(row: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    skip = SPATIAL_COLUMNS | set(exclude)
    return {c.key: plain(getattr(row, c.key)) for c in row.__table__.columns if c.key not in skip}


def feature(row: Any, props: dict[str, Any], *, id_attr: str) -> dict[str, Any]:
    geom = row.geom
    return {
        "type": "Feature",
        "id": getattr(row, id_attr),
        "geometry": rfc7946_mapping(shapely.set_precision(geom, 1e-6)) if geom is not None else None,
        "properties": props,
    }


def bbox_clause(model, session: Session, bbox: tuple[float, float, float, float]):
    min_lon, min_lat, max_lon, max_lat = bbox
    if session.get_bind().dialect.name == "postgresql":
        envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
        return func.ST_Intersects(model.__table__.c.geom, envelope)
    return and_(model.min_lon <= max_lon, model.max_lon >= min_lon, model.min_lat <= max_lat, model.max_lat >= min_lat)


def page_of(session: Session, model, *, bbox=None, where=(), order_by=None, offset: int = 0, limit: int = 1000,
            id_attr: str = "id", props: Callable[[Any], dict[str, Any]] | None = None) -> Page:
    """One page of a located table as features, matching ``bbox`` exactly on both stores."""
    query = select(model).where(*where)
    if bbox is not None:
        query = query.where(bbox_clause(model, session, bbox))
    query = query.order_by(order_by if order_by is not None else getattr(model, id_attr))
    make_props = props or properties
    exact_in_python = bbox is not None and session.get_bind().dialect.name != "postgresql" and model.geometry_type != "POINT"
    if exact_in_python:
        window = box(*bbox)
        rows = [r for r in session.scalars(query) if r.geom is not None and r.geom.intersects(window)]
        total, rows = len(rows), rows[offset: offset + limit]
    else:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        rows = list(session.scalars(query.offset(offset).limit(limit)))
    return Page([feature(r, make_props(r), id_attr=id_attr) for r in rows], total, offset, limit)
