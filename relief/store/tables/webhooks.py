"""Subscriptions, webhook endpoints and their deliveries, fed from the event outbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import DELIVERY_MODES, DELIVERY_STATUSES

from .base import Base, utcnow


class WebhookEndpoint(Base):
    """Where deliveries are posted; the signing secret is kept encrypted (it is needed in clear to sign)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: An admin allowed this URL's host although it resolves to a private address.
    private_host_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Subscription(Base):
    """An owner (a user, a role, or none: an outside system seeing the public view) and its filter."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner_role: Mapped[str | None] = mapped_column(String(40))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Incident kinds (hazards) the subscription is limited to; null or empty: any.
    hazards: Mapped[list[str] | None] = mapped_column(JSON)
    min_level: Mapped[str | None] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16), info={"choices": DELIVERY_MODES})
    #: False once deleted: its deliveries stay in the endpoint's log, no new ones are made.
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxSend:
    """The columns an outbox send shares, a webhook delivery or a text message: the events folded into it
    (under ``fold_key``, from ``first_seq`` on), its attempts, and the lease a sender holds it under while
    sending (until ``lease_until``; a sender that dies lets the lease lapse)."""

    fold_key: Mapped[str | None] = mapped_column(String(120))
    first_seq: Mapped[int] = mapped_column(Integer)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    lease_holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(OutboxSend, Base):
    """One notification to one subscription: the events folded into it and its attempts.

    ``webhook_id`` is fixed when the row is made, so every retry and replay carries the same id. A worker
    holds the row while sending until ``lease_until``; a worker that dies lets the lease lapse.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_fold", "subscription_id", "fold_key"),
        Index("ix_webhook_deliveries_subscription_seq", "subscription_id", "first_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), info={"choices": DELIVERY_STATUSES})
    response_code: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column()


class WebhookDeliveryEvent(Base):
    """(event seq, subscription) once: what makes the fan-out idempotent, whichever delivery the event joined."""

    __tablename__ = "webhook_delivery_events"
    __table_args__ = (UniqueConstraint("subscription_id", "event_seq", name="uq_webhook_delivery_events_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    event_seq: Mapped[int] = mapped_column(Integer)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)


class WebhookAttempt(Base):
    """The per-endpoint delivery log: every attempt, its answer or error and how long it took."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    worker: Mapped[str | None] = mapped_column(String(120))
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    milliseconds: Mapped[int | None] = mapped_column(Integer)


class WebhookCursor(Base):
    """The last outbox ``seq`` fanned out; its row is locked by the fan-out so one process fans out at a time."""

    __tablename__ = "webhook_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
