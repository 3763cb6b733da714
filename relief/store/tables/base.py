"""Declarative base and the spatial mixin shared by every located table."""
from __future__ import annotations

from datetime import datetime, timezone

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Float, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, validates

from relief.store.types import Geometry, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), BaseGeometry: Geometry()}


def bbox_of(geom: BaseGeometry | None) -> dict[str, float | None]:
    """The bounding-box columns for a geometry (used by bulk inserts too)."""
    if geom is None or geom.is_empty:
        return {"min_lon": None, "min_lat": None, "max_lon": None, "max_lat": None}
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return {"min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat}


class SpatialMixin:
    """A WGS 84 geometry plus its bounding box.

    The bbox columns let SQLite answer ``bbox=`` queries with an index; on
    PostGIS the GiST index on ``geom`` does the same job and the columns are
    simply kept in step.
    """

    geometry_type = "GEOMETRY"

    @declared_attr
    def geom(cls) -> Mapped[BaseGeometry | None]:
        return mapped_column(Geometry(cls.geometry_type), nullable=True)

    min_lon: Mapped[float | None] = mapped_column(Float, index=True)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float, index=True)
    max_lat: Mapped[float | None] = mapped_column(Float)

    @validates("geom")
    def _keep_bbox(self, key, value):
        for name, bound in bbox_of(value).items():
            setattr(self, name, bound)
        return value
