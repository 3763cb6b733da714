"""GeoJSON shapes (RFC 7946) of located rows: the one place a Feature or FeatureCollection is built.

The store hands over rows and pages (``store/paging.py``); here they become
what the map reads. Geometry is rounded to 1e-6° (≈ 0.1 m), lon/lat order,
polygons wound as RFC 7946 asks; properties are the row's columns as JSON
(:mod:`relief.jsonable` rules), without the geometry and its bbox columns.
"""
from __future__ import annotations

from typing import Any, Iterable

import shapely

from relief.domain.geo import rfc7946_mapping
from relief.jsonable import jsonable
from relief.store.paging import Page

#: Columns a located row carries as its geometry, never as properties.
SPATIAL_COLUMNS = frozenset({"geom", "min_lon", "min_lat", "max_lon", "max_lat"})
#: Coordinates are rounded to this grid (degrees).
PRECISION = 1e-6


def geometry(geom: Any, *, grid: float = PRECISION) -> dict[str, Any] | None:
    """A shapely geometry as a GeoJSON geometry on ``grid``; None for none."""
    return rfc7946_mapping(shapely.set_precision(geom, grid)) if geom is not None else None


def feature(ident: Any, geom: dict[str, Any] | None, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": ident, "geometry": geom, "properties": props}


def properties(row: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A row's columns as JSON values (moments UTC ISO 8601), without geometry and ``exclude``."""
    skip = SPATIAL_COLUMNS | set(exclude)
    return {c.key: jsonable(getattr(row, c.key)) for c in row.__table__.columns if c.key not in skip}


def row_feature(row: Any, props: dict[str, Any], *, id_attr: str = "id") -> dict[str, Any]:
    """A located row as a Feature with ``props``, its id taken from ``id_attr``."""
    return feature(getattr(row, id_attr), geometry(row.geom), props)


def collection(features: Iterable[dict[str, Any]], page: Page | None = None) -> dict[str, Any]:
    """A FeatureCollection; with ``page``, also a ``page`` member (offset, limit, total, next_offset)."""
    out: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if page is not None:
        out["page"] = {"offset": page.offset, "limit": page.limit, "total": page.total,
                       "next_offset": page.next_offset}
    return out
