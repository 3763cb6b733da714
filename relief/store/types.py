"""Column types that hide the differences between the two stores.

Geometry: one geometry column type for both stores.

On PostgreSQL it is a PostGIS ``geometry(<type>, 4326)`` column (with a GiST
index made by the migrations); on SQLite, which cannot load SpatiaLite here,
it is the geometry's WKB in a BLOB, and spatial work is done in shapely or
geopandas after a bounding-box pre-filter (see :class:`SpatialMixin` in
``tables.base``). The rest of the code only ever sees shapely geometries.
"""
from __future__ import annotations

from datetime import timezone

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.types import DateTime, LargeBinary, TypeDecorator, UserDefinedType

SRID = 4326


class _PostGISGeometry(UserDefinedType):
    """DDL-only PostGIS type: values travel as hex EWKB text both ways."""

    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = SRID):
        self.geometry_type = geometry_type
        self.srid = srid

    def get_col_spec(self, **kw) -> str:
        return f"geometry({self.geometry_type},{self.srid})"


class Geometry(TypeDecorator):
    """A shapely geometry in WGS 84, stored natively where the store can."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = SRID):
        super().__init__()
        self.geometry_type = geometry_type.upper()
        self.srid = srid

    def __repr__(self) -> str:
        return f"Geometry({self.geometry_type!r})"

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry(self.geometry_type, self.srid))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: BaseGeometry | None, dialect):
        if value is None:
            return None
        if dialect.name == "postgresql":
            return shapely.to_wkb(shapely.set_srid(value, self.srid), hex=True, include_srid=True)
        return shapely.to_wkb(value)

    def process_result_value(self, value, dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, memoryview):
            value = bytes(value)
        return shapely.from_wkb(value)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on both stores (SQLite keeps no offset).

    Values are stored in UTC and always come back aware, so comparisons with
    an ``as_of`` never mix naive and aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def __repr__(self) -> str:
        return "UTCDateTime()"

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
