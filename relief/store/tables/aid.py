"""The aid chain: partner agencies' aid lists (matched, nothing identifying in clear), flags and their review.

A partner's row keeps the salted hash of the ID number it arrived with, never a name, a clear ID number or a
phone. A flag carries its natural ``key`` so a later sweep finds and updates it instead of adding another.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import AID_FLAG_KINDS, AID_FLAG_STATUSES, MATCH_VERDICTS, PURPOSE_CLASSES

from .base import Base, utcnow


class PartnerAidImport(Base):
    """One partner agency's file, imported whole: who brought it and how its rows matched."""

    __tablename__ = "partner_aid_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    review: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)


class PartnerAid(Base):
    """One aid a partner agency gave: the hash of the ID number, what, when, and the household it matched."""

    __tablename__ = "partner_aid"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("partner_aid_imports.id"), index=True)
    agency: Mapped[str] = mapped_column(String(120), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    village_code: Mapped[str | None] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(String(24), info={"choices": PURPOSE_CLASSES})
    item: Mapped[str | None] = mapped_column(String(80))
    quantity: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float | None] = mapped_column(Float)
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), index=True)
    match_score: Mapped[float | None] = mapped_column(Float)
    match_verdict: Mapped[str] = mapped_column(String(12), info={"choices": MATCH_VERDICTS})
    match_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AidFlag(Base):
    """A duplicate or a missed aid found by the sweep (or let through at giving with a reason), under review.

    ``key`` is natural: ``duplicate:{reason}:{aid_id}`` or
    ``missed:{household_id}:{purpose}:{basis}:{since:%Y%m%dT%H%M%SZ}``.
    """

    __tablename__ = "aid_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(12), info={"choices": AID_FLAG_KINDS})
    reason: Mapped[str] = mapped_column(String(32))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(24), info={"choices": PURPOSE_CLASSES})
    status: Mapped[str] = mapped_column(String(20), index=True, info={"choices": AID_FLAG_STATUSES})
    aid_id: Mapped[str | None] = mapped_column(String(80))
    earlier_aid_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    period_start: Mapped[datetime | None] = mapped_column()
    period_end: Mapped[datetime | None] = mapped_column()
    amount: Mapped[float | None] = mapped_column(Float)
    entitlement: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    since: Mapped[datetime] = mapped_column()
    #: Missed aid: by when aid must be given; the scheduler announces the flag once past it.
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    overdue_announced_at: Mapped[datetime | None] = mapped_column()
    township_code: Mapped[str | None] = mapped_column(String(24), index=True)
    village_code: Mapped[str | None] = mapped_column(String(24), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    #: The aid a giving-time override let through (its ``aid_id``), when the flag records an override.
    override_of: Mapped[str | None] = mapped_column(String(80))


class AidFlagStep(Base):
    """One step of a flag's review (the first, ``from_status`` None, is its opening)."""

    __tablename__ = "aid_flag_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("aid_flags.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), info={"choices": AID_FLAG_STATUSES})
    to_status: Mapped[str] = mapped_column(String(20), info={"choices": AID_FLAG_STATUSES})
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
