"""Reconstruction: damaged houses, their stage history, inspections (with photos) and subsidy payments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import (
    HOUSE_STAGES,
    INSPECTION_RESULTS,
    REBUILD_MODES,
    RECONSTRUCTION_DAMAGE,
    HouseStage,
)

from .base import Base, SpatialMixin, utcnow


class House(SpatialMixin, Base):
    """One dwelling of the damage ledger (one grant per dwelling), placed in its areas by its position."""

    __tablename__ = "houses"
    geometry_type = "POINT"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    township_code: Mapped[str | None] = mapped_column(String(24), index=True)
    village_code: Mapped[str | None] = mapped_column(String(24), index=True)
    damage: Mapped[str] = mapped_column(String(12), info={"choices": RECONSTRUCTION_DAMAGE})
    assessed_at: Mapped[datetime] = mapped_column()
    assessed_by: Mapped[str | None] = mapped_column(String(80))
    stage: Mapped[str] = mapped_column(String(20), index=True, default=HouseStage.ASSESSED.value,
                                       info={"choices": HOUSE_STAGES})
    stage_since: Mapped[datetime] = mapped_column()
    #: When the house counts as stalled in its stage (None: it never does); the stalled job reads it.
    stalls_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The stall already announced for the current stage (reset by every transition).
    stall_announced_at: Mapped[datetime | None] = mapped_column()
    rebuild_mode: Mapped[str | None] = mapped_column(String(24), info={"choices": REBUILD_MODES})
    exclusion_reason: Mapped[str | None] = mapped_column(Text)
    correction_required: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseTransition(Base):
    __tablename__ = "house_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[str] = mapped_column(ForeignKey("houses.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20), info={"choices": HOUSE_STAGES})
    to_stage: Mapped[str] = mapped_column(String(20), info={"choices": HOUSE_STAGES})
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))


class Inspection(Base):
    """An engineer's look at one milestone of one house; ``client_id`` makes a phone's resend harmless."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    house_id: Mapped[str] = mapped_column(ForeignKey("houses.id"), index=True)
    milestone: Mapped[str] = mapped_column(String(20), info={"choices": HOUSE_STAGES})
    result: Mapped[str] = mapped_column(String(8), info={"choices": INSPECTION_RESULTS})
    inspected_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    inspector: Mapped[str | None] = mapped_column(String(80))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class InspectionPhoto(Base):
    """A checked image of an inspection; files live in the photo store of field reports (``services/photos``)."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    public_path: Mapped[str] = mapped_column(String(200))
    thumb_path: Mapped[str] = mapped_column(String(200))
    original_path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HousePayment(Base):
    """One subsidy tranche paid for one house: unique per (house, tranche), so two racing payments make one row."""

    __tablename__ = "house_payments"
    __table_args__ = (UniqueConstraint("house_id", "tranche", name="uq_house_payments_house_id_tranche"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[str] = mapped_column(ForeignKey("houses.id"), index=True)
    tranche: Mapped[str] = mapped_column(String(24))
    amount: Mapped[float] = mapped_column(Float)
    paid_at: Mapped[datetime] = mapped_column()
    #: The passing inspection that released the tranche (None for a milestone that is not inspected).
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
