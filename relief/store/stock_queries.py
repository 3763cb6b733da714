"""Reads around the stock ledger: balances as frames, ledger lines, donations, dispatch plans.

Never commits; every write of a quantity goes through ``ledger.move``. The
one exception to "reads only" is :func:`lock_balances`, which takes the
balance rows a transaction is about to move in one fixed order, so that two
transactions moving the same holders (a transfer one way, a dispatch the
other) queue instead of deadlocking on PostgreSQL.
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from relief.domain.vocabulary import HolderKind
from relief.jsonable import jsonable
from relief.store.rows import get
from relief.store.tables import Depot, DispatchPlan, Donation, Item, Site, StockBalance, StockMovement

ITEM_COLUMNS = ("item_code", "name", "unit", "guarantee", "kcal_per_unit", "litres_per_unit", "sets_per_unit",
                "pieces_per_unit")
MOVEMENT_COLUMNS = ("id", "at", "kind", "source", "holder_kind", "holder_id", "item_code", "quantity", "household_id",
                    "transfer_id", "dispatch_plan_id", "reason", "actor_id")

BalanceKey = tuple[str, str, str]  # holder_kind, holder_id, item_code


def item(session: Session, item_code: str) -> Item | None:
    return session.get(Item, item_code)


def items_frame(session: Session) -> pd.DataFrame:
    query = select(Item.code, Item.name, Item.unit, Item.guarantee, Item.kcal_per_unit, Item.litres_per_unit,
                   Item.sets_per_unit, Item.pieces_per_unit).order_by(Item.code)
    return pd.DataFrame.from_records(session.execute(query).all(), columns=list(ITEM_COLUMNS))


def lock_balances(session: Session, keys: Iterable[BalanceKey]) -> None:
    """Row-lock these balances in key order (PostgreSQL; SQLite's write lock covers it)."""
    ordered = sorted(set(keys))
    if not ordered or session.get_bind().dialect.name != "postgresql":
        return
    key = tuple_(StockBalance.holder_kind, StockBalance.holder_id, StockBalance.item_code)
    query = (select(StockBalance.holder_kind).where(key.in_(ordered))
             .order_by(StockBalance.holder_kind, StockBalance.holder_id, StockBalance.item_code).with_for_update())
    session.execute(query).all()


def holdings_frame(session: Session, holder_kind: str, holder_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Positive balances of one kind of holder: ``<kind>_id``, item_code, quantity."""
    query = (select(StockBalance.holder_id, StockBalance.item_code, StockBalance.quantity)
             .where(StockBalance.holder_kind == holder_kind, StockBalance.quantity > 0)
             .order_by(StockBalance.holder_id, StockBalance.item_code))
    if holder_ids is not None:
        query = query.where(StockBalance.holder_id.in_(list(holder_ids)))
    columns = [f"{holder_kind}_id", "item_code", "quantity"]
    frame = pd.DataFrame.from_records(session.execute(query).all(), columns=columns)
    return frame.astype({"quantity": float})


def movements(session: Session, *, holder_kind: str | None = None, holder_id: str | None = None,
              item_code: str | None = None, household_id: str | None = None, before_id: int | None = None,
              limit: int = 200) -> list[dict[str, Any]]:
    """Ledger lines, newest first; ``before_id`` pages further back."""
    query = select(StockMovement).order_by(StockMovement.id.desc()).limit(limit)
    for column, value in ((StockMovement.holder_kind, holder_kind), (StockMovement.holder_id, holder_id),
                          (StockMovement.item_code, item_code), (StockMovement.household_id, household_id)):
        if value:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(StockMovement.id < before_id)
    return [movement_row(m) for m in session.scalars(query)]


def movement_row(movement: StockMovement) -> dict[str, Any]:
    return {c: jsonable(getattr(movement, c)) for c in MOVEMENT_COLUMNS}


# --- donations -----------------------------------------------------------------

DONATION_COLUMNS = ("id", "received_at", "donor_name", "donor_contact", "consent_public", "kind", "amount_yuan",
                    "item_code", "quantity", "destination_kind", "destination_id", "movement_id")


def donation_row(donation: Donation) -> dict[str, Any]:
    return {c: jsonable(getattr(donation, c)) for c in DONATION_COLUMNS}


def donations(session: Session, *, offset: int = 0, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
    """Donations newest first (with personal details: mask before showing them publicly), and the count."""
    total = session.scalar(select(func.count()).select_from(Donation)) or 0
    query = select(Donation).order_by(Donation.received_at.desc(), Donation.id.desc()).offset(offset).limit(limit)
    return [donation_row(d) for d in session.scalars(query)], int(total)


def donation_totals(session: Session) -> list[dict[str, Any]]:
    """Cash and in-kind quantities per destination and item (cash has item_code None)."""
    query = (select(Donation.destination_kind, Donation.destination_id, Donation.kind, Donation.item_code,
                    func.coalesce(func.sum(Donation.amount_yuan), 0.0), func.coalesce(func.sum(Donation.quantity), 0.0),
                    func.count())
             .group_by(Donation.destination_kind, Donation.destination_id, Donation.kind, Donation.item_code)
             .order_by(Donation.destination_kind, Donation.destination_id, Donation.kind, Donation.item_code))
    return [{"destination_kind": dk, "destination_id": did, "kind": kind, "item_code": code,
             "amount_yuan": float(cash), "quantity": float(quantity), "donations": int(n)}
            for dk, did, kind, code, cash, quantity, n in session.execute(query)]


def holder_names(session: Session, keys: Iterable[tuple[str | None, str | None]]) -> dict[tuple[str, str], str]:
    """``{(holder_kind, holder_id): name}`` for depots and sites."""
    wanted = {k for k in keys if k[0] and k[1]}
    out: dict[tuple[str, str], str] = {}
    for kind, model in ((HolderKind.DEPOT, Depot), (HolderKind.SITE, Site)):
        ids = sorted(i for k, i in wanted if k == kind)
        if ids:
            rows = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            out.update(((kind, i), name) for i, name in rows)
    return out


def item_labels(session: Session, codes: Iterable[str | None]) -> dict[str, dict[str, str]]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    rows = session.execute(select(Item.code, Item.name, Item.unit).where(Item.code.in_(wanted)))
    return {code: {"name": name, "unit": unit} for code, name, unit in rows}


# --- dispatch plans -----------------------------------------------------------

def dispatch_plan(session: Session, plan_id: int, *, for_update: bool = False) -> DispatchPlan | None:
    return get(session, DispatchPlan, plan_id, for_update=for_update)


def dispatch_movements(session: Session, plan_id: int) -> list[dict[str, Any]]:
    query = select(StockMovement).where(StockMovement.dispatch_plan_id == plan_id).order_by(StockMovement.id)
    return [movement_row(m) for m in session.scalars(query)]

