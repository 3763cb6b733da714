"""Stock use cases: receipts, transfers, distributions, adjustments; balances and the ledger.

Every quantity change is one ``ledger.move`` (never below zero, refusing
with ``insufficient_stock`` naming the item and what is available) inside
one ``ctx.transaction``. Each movement emits ``stock.changed`` (topic
``stock``, staff only, area = the holder's county) with the holder's new
balance, and is audited with who and why. A distribution also re-judges
the household's guarantees in the same transaction, so its verdict is never
stale.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

from relief.domain.audience import Audience
from relief.domain.vocabulary import HOLDER_KINDS, RECEIPT_SOURCES, HolderKind, MovementKind, Topic
from relief.errors import NotFound, ValidationFailed
from relief.services import aid_guard, fields
from relief.services.context import Context, Unit
from relief.services.guarantees import recheck_households
from relief.store import aid as aid_store
from relief.store import ledger
from relief.store import stock_queries as queries

if TYPE_CHECKING:
    from relief.store.tables import StockMovement

MAX_LEDGER_LINES = 2000


@dataclass(frozen=True)
class Holder:
    """A depot or site that holds stock."""

    kind: str
    id: str
    name: str
    county_code: str | None

    def key(self, item_code: str) -> tuple[str, str, str]:
        return self.kind, self.id, item_code


def find_holder(session, kind: str, holder_id: str, *, field: str) -> Holder:
    row = ledger.holder(session, HolderKind.SITE if kind == HolderKind.SITE else HolderKind.DEPOT, holder_id)
    if row is None:
        raise NotFound(f"no {kind} {holder_id!r}", field=field)
    return Holder(kind, row.id, row.name, row.county_code)


def _holder_ref(body: Mapping[str, Any], kind_key: str, id_key: str) -> tuple[str, str]:
    return fields.choice(body, kind_key, HOLDER_KINDS), fields.identifier(body, id_key)


def record_movement(unit: Unit, holder: Holder, item_code: str, delta: float, kind: str, *,
                    at: datetime | None = None, **extra: Any) -> StockMovement:
    """``ledger.move`` plus its ``stock.changed`` event; the caller audits."""
    movement = ledger.move(unit.session, holder_kind=holder.kind, holder_id=holder.id, item_code=item_code,
                           delta=delta, kind=kind, at=at or unit.now, actor_id=unit.actor.id, **extra)
    balance = ledger.balance(unit.session, holder.kind, holder.id, item_code)
    unit.emit("stock.changed", Topic.STOCK, {"holder_kind": holder.kind, "holder_id": holder.id, "item_code": item_code,
                                         "quantity": balance, "delta": delta, "movement_id": movement.id},
              area_code=holder.county_code, audience=Audience.STAFF)
    return movement


def _answer(unit: Unit, holder: Holder, movement: StockMovement) -> dict[str, Any]:
    return {"movement": queries.movement_row(movement),
            "balance": ledger.balance(unit.session, holder.kind, holder.id, movement.item_code)}


def receive(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Stock arriving at a depot or site (a donation, an allocation from above, a purchase)."""
    kind, holder_id = _holder_ref(body, "holder_kind", "holder_id")
    item_code = fields.identifier(body, "item_code")
    quantity = fields.number(body, "quantity", positive=True)
    source = fields.choice(body, "source", RECEIPT_SOURCES)
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        holder = find_holder(unit.session, kind, holder_id, field="holder_id")
        movement = record_movement(unit, holder, item_code, quantity, MovementKind.RECEIPT, source=source,
                                   reason=reason)
        unit.audit("stock.receipt", "stock_movement", movement.id, reason=reason,
                   detail={"holder": f"{kind}:{holder_id}", "item_code": item_code, "quantity": quantity,
                           "source": source})
        return _answer(unit, holder, movement)


def transfer(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Move stock between holders: two ledger lines sharing a transfer_id, both or neither."""
    from_kind, from_id = _holder_ref(body, "from_kind", "from_id")
    to_kind, to_id = _holder_ref(body, "to_kind", "to_id")
    if (from_kind, from_id) == (to_kind, to_id):
        raise ValidationFailed("a transfer needs two different holders", field="to_id")
    item_code = fields.identifier(body, "item_code")
    quantity = fields.number(body, "quantity", positive=True)
    reason = fields.text(body, "reason")
    transfer_id = uuid.uuid4().hex
    with ctx.transaction() as unit:
        source = find_holder(unit.session, from_kind, from_id, field="from_id")
        target = find_holder(unit.session, to_kind, to_id, field="to_id")
        queries.lock_balances(unit.session, [source.key(item_code), target.key(item_code)])
        pair = {"transfer_id": transfer_id, "reason": reason}
        out = record_movement(unit, source, item_code, -quantity, MovementKind.TRANSFER_OUT, **pair)
        into = record_movement(unit, target, item_code, quantity, MovementKind.TRANSFER_IN, **pair)
        unit.audit("stock.transfer", "transfer", transfer_id, reason=reason,
                   detail={"from": f"{from_kind}:{from_id}", "to": f"{to_kind}:{to_id}", "item_code": item_code,
                           "quantity": quantity, "movements": [out.id, into.id]})
        return {"transfer_id": transfer_id,
                "movements": [queries.movement_row(out), queries.movement_row(into)],
                "balances": {"from": ledger.balance(unit.session, from_kind, from_id, item_code),
                             "to": ledger.balance(unit.session, to_kind, to_id, item_code)}}


def distribute(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Hand items to a household: a ledger line with the household and a Distribution row.

    Checked against the household's aid chain in the same transaction (:mod:`relief.services.aid_guard`, the
    household locked first, so two givings to it queue and the second sees the first): food from another
    holder still covering the household is refused with 409 ``duplicate_aid`` naming the earlier aid, unless
    the body carries an ``override_reason`` (≤ 500 characters; then audited and recorded as a justified top-up).
    """
    household_id = fields.identifier(body, "household_id")
    kind, holder_id = _holder_ref(body, "holder_kind", "holder_id")
    item_code = fields.identifier(body, "item_code")
    quantity = fields.number(body, "quantity", positive=True)
    override = aid_guard.override_reason(body)
    with ctx.transaction() as unit:
        distributed_at = fields.moment(body, "distributed_at", now=unit.now)
        household = aid_guard.lock(unit, household_id)  # first: see aid_guard.lock
        if household is None:
            raise NotFound(f"no household {household_id!r}", field="household_id")
        holder = find_holder(unit.session, kind, holder_id, field="holder_id")
        movement = record_movement(unit, holder, item_code, -quantity, MovementKind.DISTRIBUTION, at=distributed_at,
                                   household_id=household_id)
        item = queries.item(unit.session, item_code)  # known: the movement checked the catalogue
        cleared = aid_guard.check(unit, ctx.standards, aid_guard.distribution(
            ctx.standards, household_id=household_id, members=household.members, holder=f"{kind}:{holder_id}",
            item_code=item_code, guarantee=item.guarantee, kcal_per_unit=item.kcal_per_unit,
            litres_per_unit=item.litres_per_unit, quantity=quantity, at=distributed_at), override=override, locked=True)
        row = aid_store.add_distribution(unit.session, household_id=household_id, item_code=item_code,
                                         quantity=quantity, distributed_at=distributed_at, movement_id=movement.id,
                                         actor_id=unit.actor.id)
        unit.audit("stock.distribution", "distribution", row.id,
                   detail={"household_id": household_id, "holder": f"{kind}:{holder_id}", "item_code": item_code,
                           "quantity": quantity, "movement_id": movement.id})
        cleared.record(unit, f"distribution:{row.id}")
        recheck_households(unit, [household_id], standards=ctx.standards)
        answer = _answer(unit, holder, movement)
        answer["distribution"] = {"id": row.id, "household_id": household_id, "item_code": item_code,
                                  "quantity": quantity, "distributed_at": distributed_at.isoformat(),
                                  "movement_id": movement.id}
        if cleared.overridden:
            answer["aid_override"] = cleared.view()
        return answer


def adjust(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Correct a balance (loss, spoilage, a stock count): signed quantity, reason required."""
    kind, holder_id = _holder_ref(body, "holder_kind", "holder_id")
    item_code = fields.identifier(body, "item_code")
    quantity = fields.number(body, "quantity", nonzero=True)
    reason = fields.text(body, "reason", required=True)
    with ctx.transaction() as unit:
        holder = find_holder(unit.session, kind, holder_id, field="holder_id")
        movement = record_movement(unit, holder, item_code, quantity, MovementKind.ADJUSTMENT, reason=reason)
        unit.audit("stock.adjustment", "stock_movement", movement.id, reason=reason,
                   detail={"holder": f"{kind}:{holder_id}", "item_code": item_code, "quantity": quantity})
        return _answer(unit, holder, movement)


# --- reads ---------------------------------------------------------------------

def _holder_kind(value: str | None) -> str | None:
    if value and value not in HOLDER_KINDS:
        raise ValidationFailed(f"holder_kind must be one of {', '.join(HOLDER_KINDS)}", field="holder_kind")
    return value or None


def balances(ctx: Context, *, holder_kind: str | None = None, holder_id: str | None = None) -> dict[str, Any]:
    holder_kind = _holder_kind(holder_kind)
    with ctx.reading() as session:
        rows = ledger.balances(session, holder_kind=holder_kind, holder_id=holder_id or None)
        names = queries.holder_names(session, [(r["holder_kind"], r["holder_id"]) for r in rows])
        labels = queries.item_labels(session, [r["item_code"] for r in rows])
    for row in rows:
        row["holder_name"] = names.get((row["holder_kind"], row["holder_id"]))
        row.update({f"item_{k}": v for k, v in labels.get(row["item_code"], {}).items()})
    return {"balances": rows}


def ledger_lines(ctx: Context, *, holder_kind: str | None = None, holder_id: str | None = None,
                 item_code: str | None = None, household_id: str | None = None, before_id: int | None = None,
                 limit: int = 200) -> dict[str, Any]:
    """Ledger lines newest first; pass ``next_before_id`` back as ``before_id`` for older ones."""
    holder_kind = _holder_kind(holder_kind)
    limit = min(max(int(limit), 1), MAX_LEDGER_LINES)
    with ctx.reading() as session:
        lines = queries.movements(session, holder_kind=holder_kind, holder_id=holder_id or None,
                                  item_code=item_code or None, household_id=household_id or None,
                                  before_id=before_id, limit=limit)
    return {"lines": lines, "next_before_id": lines[-1]["id"] if len(lines) == limit else None}
