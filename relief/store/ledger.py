"""The stock ledger's one write primitive.

Every movement inserts a ledger line and adjusts the holder's balance in the
same transaction. A withdrawal is a single conditional ``UPDATE … WHERE
quantity + delta >= 0``: the database decides atomically, so two concurrent
withdrawals can never both take the last units, on SQLite (writers hold the
write lock) or on PostgreSQL (the row lock serialises them). The CHECK
constraint on ``stock_balances`` is the backstop.

Both the withdrawal and the deposit return the new quantity (``RETURNING``);
it is kept on the session, so :func:`balance` right after a move in the same
transaction needs no query: the move's row lock (PostgreSQL) or the write
lock (SQLite) keeps that quantity true until commit. The statements a move
runs are built once (module constants): they take every value as a bound
parameter, and building them per call cost more than running them. They run
on the session's connection (Core, not the ORM's execution path), and the
ledger line is a plain ``INSERT … RETURNING id``: the movement returned is a
record of that line, not an object the session tracks.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relief.domain.vocabulary import HolderKind
from relief.errors import InsufficientStock, NotFound
from relief.store.tables import Depot, Item, Site, StockBalance, StockMovement

_B = StockBalance.__table__.c
_KEY = and_(_B.holder_kind == bindparam("b_holder_kind"), _B.holder_id == bindparam("b_holder_id"),
            _B.item_code == bindparam("b_item_code"))  # b_: insert and update reserve the columns' own names
_BALANCE = select(_B.quantity).where(_KEY)
_ITEM = select(Item.__table__.c.code).where(Item.__table__.c.code == bindparam("b_item_code"))
_WITHDRAW = (update(StockBalance.__table__).where(_KEY, _B.quantity + bindparam("b_delta") >= 0)
             .values(quantity=_B.quantity + bindparam("b_delta")).returning(_B.quantity))
_DEPOSITS = {}
for _dialect, _insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert)):
    _statement = _insert(StockBalance.__table__).values(
        holder_kind=bindparam("b_holder_kind"), holder_id=bindparam("b_holder_id"),
        item_code=bindparam("b_item_code"), quantity=bindparam("b_delta"))
    _DEPOSITS[_dialect] = _statement.on_conflict_do_update(
        index_elements=["holder_kind", "holder_id", "item_code"],
        set_={"quantity": _B.quantity + _statement.excluded.quantity}).returning(_B.quantity)
_INSERT_MOVEMENT = insert(StockMovement.__table__).returning(StockMovement.__table__.c.id)
_HOLDERS = {kind: select(table.c.id, table.c.name, table.c.county_code).where(table.c.id == bindparam("holder_id"))
            for kind, table in ((HolderKind.SITE, Site.__table__), (HolderKind.DEPOT, Depot.__table__))}
_AFTER_MOVES = "ledger.balances"  # session.info: (transaction, {(holder_kind, holder_id, item_code): quantity})


def _moved(session: Session) -> dict[tuple[str, str, str], float]:
    """Quantities the moves of the session's current transaction left (forgotten with that transaction)."""
    transaction = session.get_transaction()
    kept = session.info.get(_AFTER_MOVES)
    if kept is None or kept[0] is not transaction:
        kept = session.info[_AFTER_MOVES] = (transaction, {})
    return kept[1]


def balance(session: Session, holder_kind: str, holder_id: str, item_code: str) -> float:
    key = (holder_kind, holder_id, item_code)
    moved = _moved(session)
    if key in moved:
        return moved[key]
    value = session.connection().execute(_BALANCE, _key_params(*key)).scalar()
    return float(value or 0.0)


def holder(session: Session, holder_kind: str, holder_id: str) -> Row | None:
    """A depot's or site's ``id``, ``name`` and ``county_code`` (what a movement needs of its holder), or None."""
    return session.connection().execute(_HOLDERS[holder_kind], {"holder_id": holder_id}).first()


def _key_params(holder_kind: str, holder_id: str, item_code: str) -> dict[str, str]:
    return {"b_holder_kind": holder_kind, "b_holder_id": holder_id, "b_item_code": item_code}


def move(session: Session, *, holder_kind: str, holder_id: str, item_code: str, delta: float, kind: str, at: datetime,
         actor_id: int | None, source: str | None = None, reason: str | None = None, household_id: str | None = None,
         transfer_id: str | None = None, dispatch_plan_id: int | None = None) -> StockMovement:
    """Record one signed movement; raises InsufficientStock rather than go below zero."""
    session.flush()  # what the session holds goes first, as an ORM query's autoflush would
    connection = session.connection()
    params = {**_key_params(holder_kind, holder_id, item_code), "b_delta": delta}
    if connection.execute(_ITEM, params).first() is None:
        raise NotFound(f"no item {item_code!r} in the catalogue", field="item_code")
    if delta >= 0:
        after = connection.execute(_DEPOSITS[connection.dialect.name], params).scalar_one()
    else:
        after = connection.execute(_WITHDRAW, params).scalar()
        if after is None:
            available = balance(session, holder_kind, holder_id, item_code)
            raise InsufficientStock(
                f"not enough {item_code} at {holder_kind} {holder_id}: {-delta:g} requested, {available:g} available",
                field="quantity", detail={"item_code": item_code, "holder_kind": holder_kind, "holder_id": holder_id,
                                          "requested": -delta, "available": available})
    _moved(session)[(holder_kind, holder_id, item_code)] = float(after)
    line = {"at": at, "kind": kind, "source": source, "holder_kind": holder_kind, "holder_id": holder_id,
            "item_code": item_code, "quantity": delta, "household_id": household_id, "transfer_id": transfer_id,
            "dispatch_plan_id": dispatch_plan_id, "reason": reason, "actor_id": actor_id}
    movement_id = connection.execute(_INSERT_MOVEMENT, line).scalar_one()
    return StockMovement(id=movement_id, **line)


def balances(session: Session, *, holder_kind: str | None = None, holder_id: str | None = None) -> list[dict[str, Any]]:
    query = select(StockBalance).order_by(StockBalance.holder_kind, StockBalance.holder_id, StockBalance.item_code)
    if holder_kind:
        query = query.where(StockBalance.holder_kind == holder_kind)
    if holder_id:
        query = query.where(StockBalance.holder_id == holder_id)
    return [{"holder_kind": b.holder_kind, "holder_id": b.holder_id, "item_code": b.item_code, "quantity": b.quantity}
            for b in session.scalars(query)]


def ledger_sums(session: Session) -> dict[tuple[str, str, str], float]:
    """Balances recomputed from the ledger alone (to check the running balances)."""
    query = select(StockMovement.holder_kind, StockMovement.holder_id, StockMovement.item_code,
                   func.sum(StockMovement.quantity)).group_by(StockMovement.holder_kind, StockMovement.holder_id,
                                                              StockMovement.item_code)
    return {(k, h, i): float(q) for k, h, i, q in session.execute(query)}
