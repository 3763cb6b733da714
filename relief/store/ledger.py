"""The stock ledger's one write primitive.

Every movement inserts a ledger line and adjusts the holder's balance in the
same transaction. A withdrawal is a single conditional ``UPDATE … WHERE
quantity + delta >= 0``: the database decides atomically, so two concurrent
withdrawals can never both take the last units, on SQLite (writers hold the
write lock) or on PostgreSQL (the row lock serialises them). The CHECK
constraint on ``stock_balances`` is the backstop.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from relief.errors import InsufficientStock, NotFound
from relief.store.tables import Item, StockBalance, StockMovement


def _balance_key(holder_kind: str, holder_id: str, item_code: str):
    return and_(StockBalance.holder_kind == holder_kind, StockBalance.holder_id == holder_id, StockBalance.item_code == item_code)


def balance(session: Session, holder_kind: str, holder_id: str, item_code: str) -> float:
    value = session.scalar(select(StockBalance.quantity).where(_balance_key(holder_kind, holder_id, item_code)))
    return float(value or 0.0)


def move(session: Session, *, holder_kind: str, holder_id: str, item_code: str, delta: float, kind: str, at: datetime,
         actor_id: int | None, source: str | None = None, reason: str | None = None, household_id: str | None = None,
         transfer_id: str | None = None, dispatch_plan_id: int | None = None) -> StockMovement:
    """Record one signed movement; raises InsufficientStock rather than go below zero."""
    if session.get(Item, item_code) is None:
        raise NotFound(f"no item {item_code!r} in the catalogue", field="item_code")
    if delta >= 0:
        _add(session, holder_kind, holder_id, item_code, delta)
    else:
        result = session.execute(
            update(StockBalance)
            .where(_balance_key(holder_kind, holder_id, item_code), StockBalance.quantity + delta >= 0)
            .values(quantity=StockBalance.quantity + delta)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            available = balance(session, holder_kind, holder_id, item_code)
            raise InsufficientStock(
                f"not enough {item_code} at {holder_kind} {holder_id}: {-delta:g} requested, {available:g} available",
                field="quantity", detail={"item_code": item_code, "holder_kind": holder_kind, "holder_id": holder_id,
                                          "requested": -delta, "available": available})
    movement = StockMovement(at=at, kind=kind, source=source, holder_kind=holder_kind, holder_id=holder_id,
                             item_code=item_code, quantity=delta, household_id=household_id, transfer_id=transfer_id,
                             dispatch_plan_id=dispatch_plan_id, reason=reason, actor_id=actor_id)
    session.add(movement)
    session.flush()
    return movement


def _add(session: Session, holder_kind: str, holder_id: str, item_code: str, delta: float) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(StockBalance).values(holder_kind=holder_kind, holder_id=holder_id, item_code=item_code, quantity=delta)
    statement = statement.on_conflict_do_update(
        index_elements=["holder_kind", "holder_id", "item_code"],
        set_={"quantity": StockBalance.quantity + statement.excluded.quantity},
    )
    session.execute(statement)


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
