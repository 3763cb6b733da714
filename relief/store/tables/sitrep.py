"""Issued situation reports: each kept with the snapshot it was issued from."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Sitrep(Base):
    """One issued sitrep: its ``number`` (1, 2, …), the moment its figures describe (``as_of``, unique:
    issuing twice for one moment gives the same report), who issued it and when, and the whole snapshot
    (``figures``), so its PDF can be drawn again and the next report computes its changes against it."""

    __tablename__ = "sitreps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    as_of: Mapped[datetime] = mapped_column(unique=True, index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_by_name: Mapped[str | None] = mapped_column(String(80))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
