"""Households, their medical visits and their last computed guarantees."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import (
    ASSISTANCE_CATEGORIES,
    DISPERSED_KINDS,
    GUARANTEE_STATUSES,
    HOUSE_DAMAGE,
    SHELTERS,
    HouseDamage,
    Shelter,
)

from .base import Base, SpatialMixin, utcnow


class Household(SpatialMixin, Base):
    __tablename__ = "households"
    geometry_type = "POINT"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    head_name: Mapped[str] = mapped_column(String(80))
    id_number: Mapped[str | None] = mapped_column(String(24), index=True)
    phone: Mapped[str | None] = mapped_column(String(24))
    members: Mapped[int] = mapped_column(Integer)
    infants: Mapped[int] = mapped_column(Integer, default=0)
    children: Mapped[int] = mapped_column(Integer, default=0)
    elderly: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    chronic: Mapped[int] = mapped_column(Integer, default=0)
    pregnant: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    village_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), index=True)
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    house_damage: Mapped[str] = mapped_column(String(12), default=HouseDamage.NONE.value,
                                              info={"choices": HOUSE_DAMAGE})
    #: The household's social-assistance programme (低保, 五保, 特困 …); None: not recorded.
    assistance_category: Mapped[str | None] = mapped_column(String(24), info={"choices": ASSISTANCE_CATEGORIES})
    #: A clerk's notes on the household (what the register does not say).
    notes: Mapped[str | None] = mapped_column(Text)
    needs_living_aid: Mapped[bool] = mapped_column(Boolean, default=False)
    evacuated: Mapped[bool] = mapped_column(Boolean, default=False)
    shelter: Mapped[str] = mapped_column(String(12), default=Shelter.HOME.value, info={"choices": SHELTERS})
    site_id: Mapped[str | None] = mapped_column(ForeignKey("sites.id"), index=True)
    dispersed_kind: Mapped[str | None] = mapped_column(String(16), info={"choices": DISPERSED_KINDS})
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MedicalVisit(Base):
    __tablename__ = "medical_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column()
    facility_id: Mapped[str | None] = mapped_column(ForeignKey("facilities.id"))
    note: Mapped[str | None] = mapped_column(Text)


class GuaranteeStatus(Base):
    """The last verdict per household, kept so changes can be detected and pushed."""

    __tablename__ = "guarantee_status"

    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), primary_key=True)
    village_code: Mapped[str | None] = mapped_column(String(24), index=True)
    food: Mapped[str] = mapped_column(String(16), info={"choices": GUARANTEE_STATUSES})
    clothing: Mapped[str] = mapped_column(String(16), info={"choices": GUARANTEE_STATUSES})
    water: Mapped[str] = mapped_column(String(16), info={"choices": GUARANTEE_STATUSES})
    housing: Mapped[str] = mapped_column(String(16), info={"choices": GUARANTEE_STATUSES})
    medical: Mapped[str] = mapped_column(String(16), info={"choices": GUARANTEE_STATUSES})
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON)
    shortfalls: Mapped[dict[str, Any]] = mapped_column(JSON)
    as_of: Mapped[datetime] = mapped_column()
    standards_version: Mapped[str] = mapped_column(String(40))
    #: When the verdict next changes with time alone (food or water running short or out, a visit
    #: leaving its window); None when it waits for new input. The scheduler re-judges rows whose moment came.
    next_change_at: Mapped[datetime | None] = mapped_column(index=True)
