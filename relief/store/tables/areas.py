"""Administrative areas: prefecture → county → township → village."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import AREA_LEVELS

from .base import Base, SpatialMixin


class Area(SpatialMixin, Base):
    __tablename__ = "areas"
    geometry_type = "MULTIPOLYGON"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16), index=True, info={"choices": AREA_LEVELS})
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    datum_note: Mapped[str | None] = mapped_column(String(200))
