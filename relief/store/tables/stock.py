"""The item catalogue, the stock ledger and what is derived from it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import (
    DISPATCH_PLAN_STATUSES,
    DONATION_KINDS,
    HOLDER_KINDS,
    ITEM_GUARANTEES,
    MOVEMENT_KINDS,
    RECEIPT_SOURCES,
    DispatchPlanStatus,
)

from .base import Base, utcnow


class Item(Base):
    __tablename__ = "items"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(24))
    guarantee: Mapped[str] = mapped_column(String(12), info={"choices": ITEM_GUARANTEES})
    kcal_per_unit: Mapped[float] = mapped_column(Float, default=0)
    litres_per_unit: Mapped[float] = mapped_column(Float, default=0)
    sets_per_unit: Mapped[float] = mapped_column(Float, default=0)
    pieces_per_unit: Mapped[float] = mapped_column(Float, default=0)


class StockMovement(Base):
    """One line of the ledger; ``quantity`` is signed (negative leaves the holder)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16), info={"choices": MOVEMENT_KINDS})
    source: Mapped[str | None] = mapped_column(String(16), info={"choices": RECEIPT_SOURCES})
    holder_kind: Mapped[str] = mapped_column(String(8), info={"choices": HOLDER_KINDS})
    holder_id: Mapped[str] = mapped_column(String(40), index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"))
    transfer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    dispatch_plan_id: Mapped[int | None] = mapped_column(ForeignKey("dispatch_plans.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class StockBalance(Base):
    """Running balance per holder and item, kept in the ledger's transaction.

    It is a cache of ``sum(stock_movements.quantity)`` that the database
    itself refuses to take below zero, so concurrent withdrawals cannot
    overdraw it on either store.
    """

    __tablename__ = "stock_balances"
    __table_args__ = (CheckConstraint("quantity >= 0", name="not_negative"),)

    holder_kind: Mapped[str] = mapped_column(String(8), primary_key=True, info={"choices": HOLDER_KINDS})
    holder_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float, default=0)


class Distribution(Base):
    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("items.code"))
    quantity: Mapped[float] = mapped_column(Float)
    distributed_at: Mapped[datetime] = mapped_column(index=True)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Donation(Base):
    __tablename__ = "donations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    donor_name: Mapped[str] = mapped_column(String(160))
    donor_contact: Mapped[str | None] = mapped_column(String(160))
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(8), info={"choices": DONATION_KINDS})
    amount_yuan: Mapped[float | None] = mapped_column(Float)
    item_code: Mapped[str | None] = mapped_column(ForeignKey("items.code"))
    quantity: Mapped[float | None] = mapped_column(Float)
    destination_kind: Mapped[str | None] = mapped_column(String(8), info={"choices": HOLDER_KINDS})
    destination_id: Mapped[str | None] = mapped_column(String(40))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id"))


class DispatchPlan(Base):
    """A plan and the steps it went (``domain.dispatch.STEPS``): who took each and when.

    ``lines`` are what the plan sends (depot, site, item, quantity); ``received`` is filled at delivery,
    one quantity per line (what the site confirmed; less than sent is a short delivery).
    """

    __tablename__ = "dispatch_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=DispatchPlanStatus.PROPOSED.value, index=True,
                                        info={"choices": DISPATCH_PLAN_STATUSES})
    as_of: Mapped[datetime] = mapped_column()
    lines: Mapped[list[Any]] = mapped_column(JSON)
    unmet: Mapped[list[Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column()
    dispatched_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column()
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[datetime | None] = mapped_column()
    received: Mapped[list[Any] | None] = mapped_column(JSON)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column()
