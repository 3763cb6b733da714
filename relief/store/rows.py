"""Row helpers every store module uses: add with an id, fetch (optionally locked)."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def add(session: Session, row: Row) -> Row:
    """Add and flush, so the row has its database id before the transaction ends."""
    session.add(row)
    session.flush()
    return row


def get(session: Session, model: type[Row], key: Any, *, for_update: bool = False) -> Row | None:
    """One row by primary key; ``for_update`` locks it on PostgreSQL (SQLite's write lock covers it)."""
    column = next(iter(model.__table__.primary_key.columns))
    query = select(model).where(column == key)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)
