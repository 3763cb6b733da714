"""Incidents, their lifecycle history, field reports with photos, statutory reports."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.indicators import AMOUNT_INDICATORS, COUNT_INDICATORS
from relief.domain.vocabulary import INCIDENT_KINDS, INCIDENT_STATUSES, REPORT_KINDS, IncidentStatus

from .base import Base, SpatialMixin, utcnow


class Incident(SpatialMixin, Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True, info={"choices": INCIDENT_KINDS})
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default=IncidentStatus.REPORTED.value,
                                        info={"choices": INCIDENT_STATUSES})
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    township_code: Mapped[str | None] = mapped_column(String(24), index=True)
    evacuate: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    response_level: Mapped[str | None] = mapped_column(String(4))
    response_reason: Mapped[list[Any] | None] = mapped_column(JSON)
    possible_duplicates: Mapped[list[Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    stabilised_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class IncidentTransition(Base):
    __tablename__ = "incident_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(16), info={"choices": INCIDENT_STATUSES})
    to_status: Mapped[str] = mapped_column(String(16), info={"choices": INCIDENT_STATUSES})
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)


class FieldReport(SpatialMixin, Base):
    """What a field team saw, sent from a phone; ``client_id`` makes resends harmless."""

    __tablename__ = "field_reports"
    geometry_type = "POINT"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    observed_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Photo(Base):
    """A checked image; the public copy has no location metadata, the record keeps it."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field_report_id: Mapped[int | None] = mapped_column(ForeignKey("field_reports.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
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


# The statutory indicators are defined once, in the domain; the columns below must match them.
INDICATOR_COLUMNS = COUNT_INDICATORS
AREA_INDICATOR_COLUMNS = AMOUNT_INDICATORS


class StatutoryReport(Base):
    """初报/续报/核报 figures for one incident and township."""

    __tablename__ = "statutory_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    township_code: Mapped[str] = mapped_column(String(24), index=True)
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    kind: Mapped[str] = mapped_column(String(12), info={"choices": REPORT_KINDS})
    figures_to: Mapped[datetime] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    affected: Mapped[int] = mapped_column(Integer, default=0)
    dead: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    evacuated: Mapped[int] = mapped_column(Integer, default=0)
    relocated_centralised: Mapped[int] = mapped_column(Integer, default=0)
    relocated_dispersed: Mapped[int] = mapped_column(Integer, default=0)
    emergency_aid: Mapped[int] = mapped_column(Integer, default=0)
    transitional_aid: Mapped[int] = mapped_column(Integer, default=0)
    collapsed_rooms: Mapped[int] = mapped_column(Integer, default=0)
    collapsed_households: Mapped[int] = mapped_column(Integer, default=0)
    severe_rooms: Mapped[int] = mapped_column(Integer, default=0)
    severe_households: Mapped[int] = mapped_column(Integer, default=0)
    general_rooms: Mapped[int] = mapped_column(Integer, default=0)
    general_households: Mapped[int] = mapped_column(Integer, default=0)
    drought_needing_aid: Mapped[int] = mapped_column(Integer, default=0)
    crops_affected_ha: Mapped[float] = mapped_column(Float, default=0)
    crops_lost_ha: Mapped[float] = mapped_column(Float, default=0)
    economic_loss_10k_yuan: Mapped[float] = mapped_column(Float, default=0)
