"""Row helpers every store module uses: add with an id, fetch (optionally locked), insert with ON CONFLICT."""
from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def add(session: Session, row: Row) -> Row:
    """Add and flush, so the row has its database id before the transaction ends."""
    session.add(row)
    session.flush()
    return row


@functools.lru_cache(maxsize=64)
def _by_key(model: type, for_update: bool):
    """Built once per model: building the statement (and its cache key) per call cost more than running it."""
    column = next(iter(model.__table__.primary_key.columns))
    query = select(model).where(column == bindparam("key"))
    return query.with_for_update() if for_update else query


def get(session: Session, model: type[Row], key: Any, *, for_update: bool = False) -> Row | None:
    """One row by primary key; ``for_update`` locks it on PostgreSQL (SQLite's write lock covers it)."""
    return session.scalar(_by_key(model, for_update), {"key": key})


@functools.lru_cache(maxsize=64)
def _key_of(model: type):
    column = next(iter(model.__table__.primary_key.columns))
    return select(column).where(column == bindparam("key"))


def exists(session: Session, model: type, key: Any) -> bool:
    """Whether a row with this primary key exists: one indexed Core read, nothing loaded (the session's pending
    rows are not seen: it does not flush)."""
    return session.connection().execute(_key_of(model), {"key": key}).first() is not None


def conflict_insert(session: Session):
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), the one with ``on_conflict_do_nothing/_update``."""
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
