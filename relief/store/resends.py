"""The answers client-made ids already bought (``resend_records``); nothing here commits."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relief.store.tables import ResendRecord

_TABLE = ResendRecord.__table__
_INSERTS = {dialect: insert(_TABLE).on_conflict_do_nothing(index_elements=[_TABLE.c.client_id]).returning(_TABLE.c.id)
            for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}


_FIND = select(_TABLE.c.operation, _TABLE.c.fingerprint, _TABLE.c.answer).where(
    _TABLE.c.client_id == bindparam("client_id"))


def find(session: Session, client_id: str) -> Row | None:
    """The kept ``operation``, ``fingerprint`` and ``answer`` of a client id (a plain row: every write asks this)."""
    return session.connection().execute(_FIND, {"client_id": client_id}).first()


def record(session: Session, *, client_id: str, operation: str, fingerprint: str, answer: dict[str, Any],
           at: datetime) -> bool:
    """Keep the answer; False when another transaction holds the id already (PostgreSQL waits for it first)."""
    statement = _INSERTS[session.get_bind().dialect.name]
    values = {"client_id": client_id, "operation": operation, "fingerprint": fingerprint, "answer": answer, "at": at}
    return session.connection().execute(statement, values).scalar() is not None
