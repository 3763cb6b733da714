"""Relocation sites, depots and health facilities."""
from __future__ import annotations

from sqlalchemy import Boolean, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import SITE_KINDS, SITE_STATUSES, SiteStatus

from .base import Base, SpatialMixin


class Site(SpatialMixin, Base):
    __tablename__ = "sites"
    geometry_type = "POINT"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(24), info={"choices": SITE_KINDS})
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    township_code: Mapped[str | None] = mapped_column(String(24), index=True)
    capacity_persons: Mapped[int] = mapped_column(Integer)
    covered_area_m2: Mapped[float] = mapped_column(Float)
    water_l_per_day: Mapped[float] = mapped_column(Float, default=0)
    provides_meals: Mapped[bool] = mapped_column(Boolean, default=False)
    medical_post: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default=SiteStatus.OPEN.value, info={"choices": SITE_STATUSES})


class Depot(SpatialMixin, Base):
    __tablename__ = "depots"
    geometry_type = "POINT"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(24), default="county")
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)


class Facility(SpatialMixin, Base):
    __tablename__ = "facilities"
    geometry_type = "POINT"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(24))
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    operating: Mapped[bool] = mapped_column(Boolean, default=True)
