"""What a client-made ``client_id`` already bought: the answer a resend gets back."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ResendRecord(Base):
    """One row per write that carried a ``client_id``, committed with the write itself.

    ``fingerprint`` is a hash of the operation and its body: the same id with
    another body is a different request and is refused, not answered.
    """

    __tablename__ = "resend_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    operation: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)
