"""Living assistance: programmes (by standards version), cases and their history, objections, bank accounts,
payout batches and their lines."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import (
    CASE_ACTIONS,
    CASE_STAGES,
    OBJECTION_OUTCOMES,
    PAYOUT_STATUSES,
    PURPOSE_CLASSES,
    CaseStage,
    PayoutStatus,
)

from .base import Base, utcnow


class AssistanceProgramme(Base):
    """One version of a programme: the rule a case was decided under stays with the case."""

    __tablename__ = "assistance_programmes"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_assistance_programmes_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    #: The standards version (or an imported programmes file's version) it was published under.
    version: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(24), info={"choices": PURPOSE_CLASSES})
    #: ``{"eligible", "amount", "period_days", "budget_yuan"}`` (``domain.assistance.Programme.rule``).
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssistanceCase(Base):
    """One household, one programme version, one period, on its way from application to payout."""

    __tablename__ = "assistance_cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("assistance_programmes.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40), index=True)
    county_code: Mapped[str | None] = mapped_column(String(24), index=True)
    township_code: Mapped[str | None] = mapped_column(String(24), index=True)
    village_code: Mapped[str | None] = mapped_column(String(24), index=True)
    period_start: Mapped[datetime] = mapped_column()
    period_end: Mapped[datetime] = mapped_column()
    members: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    id_number: Mapped[str | None] = mapped_column(String(24))
    stage: Mapped[str] = mapped_column(String(20), index=True, default=CaseStage.APPLIED.value,
                                       info={"choices": CASE_STAGES})
    stage_since: Mapped[datetime] = mapped_column()
    notice_starts_at: Mapped[datetime | None] = mapped_column()
    notice_ends_at: Mapped[datetime | None] = mapped_column()
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    payment_failure: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTransition(Base):
    __tablename__ = "assistance_case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("assistance_cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), info={"choices": CASE_ACTIONS})
    from_stage: Mapped[str | None] = mapped_column(String(20), info={"choices": CASE_STAGES})
    to_stage: Mapped[str] = mapped_column(String(20), info={"choices": CASE_STAGES})
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)


class Objection(Base):
    """An objection raised against a case during its public notice (no login); ``outcome`` None while open."""

    __tablename__ = "assistance_objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("assistance_cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(80))
    raised_at: Mapped[datetime] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(12), info={"choices": OBJECTION_OUTCOMES})
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(Text)


class BankAccount(Base):
    """The household's one-card (一卡通) account that payouts go to."""

    __tablename__ = "assistance_accounts"

    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), primary_key=True)
    bank: Mapped[str] = mapped_column(String(80))
    account_no: Mapped[str] = mapped_column(String(24))
    holder_name: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayoutBatch(Base):
    __tablename__ = "assistance_payout_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lines: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)


class PayoutLine(Base):
    """One payment to one account for one case; a case is paid by at most one line (partial unique index)."""

    __tablename__ = "assistance_payout_lines"
    __table_args__ = (
        Index("uq_assistance_payout_lines_paid_case", "case_id", unique=True,
              sqlite_where=text("status = 'paid'"), postgresql_where=text("status = 'paid'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("assistance_payout_batches.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("assistance_cases.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    bank: Mapped[str] = mapped_column(String(80))
    account_no: Mapped[str] = mapped_column(String(24))
    holder_name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default=PayoutStatus.PENDING.value, index=True,
                                        info={"choices": PAYOUT_STATUSES})
    bank_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column()
