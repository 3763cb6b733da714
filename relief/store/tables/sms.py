"""SMS subscriptions and their messages, fed from the event outbox beside the webhooks."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relief.domain.vocabulary import DELIVERY_MODES, SMS_KINDS, SMS_STATUSES

from .base import Base, utcnow
from .webhooks import OutboxSend


class SmsSubscription(Base):
    """A user's phone number and the filter of what is texted to it (the user's role sets what it may see)."""

    __tablename__ = "sms_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Incident kinds (hazards) the subscription is limited to; null or empty: any.
    hazards: Mapped[list[str] | None] = mapped_column(JSON)
    min_level: Mapped[str | None] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(16), info={"choices": DELIVERY_MODES})
    #: False once deleted: its messages stay, no new ones are made.
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsMessage(OutboxSend, Base):
    """One text to one number: the events folded into it, the day of the number's quota it counts on, and its
    fate at the gateway.

    ``message_id`` is fixed when the row is made and sent with every attempt, so a gateway may deduplicate a
    resend; ``gateway_id`` is the gateway's id for it, which its delivery receipts name. An overflow message
    (``kind`` overflow) has no subscription: it gathers one number's events beyond a day's quota.
    """

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_due", "status", "next_attempt_at"),
        Index("ix_sms_messages_quota", "phone", "quota_day"),
        Index("ix_sms_messages_fold", "subscription_id", "fold_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("sms_subscriptions.id"))
    phone: Mapped[str] = mapped_column(String(16))
    #: Whether the number's owner may see staff events (else the public view only).
    staff: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(16), info={"choices": SMS_KINDS})
    mode: Mapped[str] = mapped_column(String(16), info={"choices": DELIVERY_MODES})
    quota_day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), info={"choices": SMS_STATUSES})
    #: The text as first sent (every retry sends the same words).
    text: Mapped[str | None] = mapped_column(Text)
    gateway_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    receipt_at: Mapped[datetime | None] = mapped_column()


class SmsMessageEvent(Base):
    """(subscription, event seq) once: the fan-out makes each pair's message once, whichever message it joined."""

    __tablename__ = "sms_message_events"
    __table_args__ = (UniqueConstraint("subscription_id", "event_seq", name="uq_sms_message_events_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("sms_subscriptions.id"))
    event_seq: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[int] = mapped_column(ForeignKey("sms_messages.id"), index=True)
