"""What the time-driven scheduler keeps: who leads it, and which deadlines it has announced."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class SchedulerLease(Base):
    """One row per scheduled job: the process acting for it until ``expires_at``.

    Every process running a scheduler tries to take or renew the lease each
    tick; only the holder acts, and another takes over once it expires.
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column()


class OverdueAnnouncement(Base):
    """A statutory report deadline announced as overdue: its unique ``key`` makes the announcement once only."""

    __tablename__ = "overdue_announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: Removed with its incident (``relief demo --reset``), so a rebuilt incident is announced afresh.
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    report_kind: Mapped[str] = mapped_column(String(16))
    township_code: Mapped[str | None] = mapped_column(String(24))
    due_at: Mapped[datetime] = mapped_column()
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
