"""Donations in cash and in kind, and their public disclosure.

An in-kind donation is a receipt on the stock ledger (``source`` donation)
at its destination, linked to the donation by ``movement_id``, written in
the same transaction. Cash may name a destination (a depot or site it is
meant for) or none (the general fund).

Publicly, every donation is listed with what, how much, where and when, but
the donor's name is masked unless they consented, and their contact is never
shown (``relief.domain.disclosure``). The ``donation.recorded`` live event
carries that same public view, never the personal details; the audit trail
keeps no personal details either (it is append-only, so nothing there could
ever be erased).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping

from relief.domain.audience import Audience
from relief.domain.disclosure import public_donation
from relief.domain.vocabulary import DONATION_KINDS, HOLDER_KINDS, DonationKind, MovementKind, ReceiptSource, Topic
from relief.errors import ValidationFailed
from relief.services import fields
from relief.services.context import Context
from relief.services.stock import find_holder, record_movement
from relief.store import donations as donation_store
from relief.store import stock_queries as queries

MAX_NAME = 160
_PRIVATE = ("movement_id",)


def _refuse_present(body: Mapping[str, Any], names: tuple[str, ...], kind: str) -> None:
    for name in names:
        if body.get(name) not in (None, ""):
            raise ValidationFailed(f"{name} does not apply to a {kind} donation", field=name)


def _destination(body: Mapping[str, Any], *, required: bool) -> tuple[str, str] | None:
    kind = fields.choice(body, "destination_kind", HOLDER_KINDS, required=required)
    holder_id = fields.identifier(body, "destination_id", required=required or kind is not None)
    if holder_id and not kind:
        raise ValidationFailed("destination_kind is required with destination_id", field="destination_kind")
    return (kind, holder_id) if kind else None


def record_donation(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record a donation; returns the full record (staff) and its public view."""
    donor_name = fields.text(body, "donor_name", required=True, limit=MAX_NAME)
    donor_contact = fields.text(body, "donor_contact", limit=MAX_NAME)
    consent = fields.boolean(body, "consent_public", default=False)
    kind = fields.choice(body, "kind", DONATION_KINDS)
    amount = item_code = quantity = None
    if kind == DonationKind.CASH:
        _refuse_present(body, ("item_code", "quantity"), kind)
        amount = fields.number(body, "amount_yuan", positive=True)
        destination = _destination(body, required=False)
    else:
        _refuse_present(body, ("amount_yuan",), "in-kind")
        item_code = fields.identifier(body, "item_code")
        quantity = fields.number(body, "quantity", positive=True)
        destination = _destination(body, required=True)
    with ctx.transaction() as unit:
        received_at = fields.moment(body, "received_at", now=unit.now)
        holder = find_holder(unit.session, *destination, field="destination_id") if destination else None
        movement = None
        if kind == DonationKind.IN_KIND:
            movement = record_movement(unit, holder, item_code, quantity, MovementKind.RECEIPT,
                                       source=ReceiptSource.DONATION, reason="donation in kind")
        donation = donation_store.add_donation(
            unit.session, received_at=received_at, donor_name=donor_name, donor_contact=donor_contact,
            consent_public=consent, kind=kind, amount_yuan=amount, item_code=item_code, quantity=quantity,
            destination_kind=holder.kind if holder else None, destination_id=holder.id if holder else None,
            movement_id=movement.id if movement else None)
        row = queries.donation_row(donation)
        public = _public_views(unit.session, [row])[0]
        unit.audit("donation.record", "donation", donation.id,
                   detail={"kind": kind, "amount_yuan": amount, "item_code": item_code, "quantity": quantity,
                           "destination": f"{holder.kind}:{holder.id}" if holder else None,
                           "consent_public": consent, "movement_id": row["movement_id"]})
        unit.emit("donation.recorded", Topic.STOCK, public, area_code=holder.county_code if holder else None,
                  audience=Audience.PUBLIC)  # the masked record, as GET /api/public/donations shows it
        return {"donation": row, "public": public}


def _public_views(session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = queries.holder_names(session, [(r["destination_kind"], r["destination_id"]) for r in rows])
    labels = queries.item_labels(session, [r["item_code"] for r in rows])
    views = []
    for row in rows:
        view = {k: v for k, v in public_donation(row).items() if k not in _PRIVATE}
        view["destination_name"] = names.get((row["destination_kind"], row["destination_id"]))
        label = labels.get(row["item_code"] or "", {})
        view["item_name"], view["unit"] = label.get("name"), label.get("unit")
        views.append(view)
    return views


def _totals(session) -> dict[str, Any]:
    """Cash and goods per destination (None: the general fund)."""
    rows = queries.donation_totals(session)
    names = queries.holder_names(session, [(r["destination_kind"], r["destination_id"]) for r in rows])
    labels = queries.item_labels(session, [r["item_code"] for r in rows])
    by_destination: dict[tuple, dict[str, Any]] = {}
    items: dict[tuple, list] = defaultdict(list)
    for r in rows:
        key = (r["destination_kind"], r["destination_id"])
        entry = by_destination.setdefault(key, {
            "destination_kind": key[0], "destination_id": key[1], "destination_name": names.get(key),
            "cash_yuan": 0.0, "donations": 0})
        entry["donations"] += r["donations"]
        if r["kind"] == DonationKind.CASH:
            entry["cash_yuan"] += r["amount_yuan"]
        else:
            label = labels.get(r["item_code"], {})
            items[key].append({"item_code": r["item_code"], "item_name": label.get("name"), "unit": label.get("unit"),
                               "quantity": r["quantity"]})
    ordered = sorted(by_destination, key=lambda k: (k[0] is None, k[0] or "", k[1] or ""))
    return {"cash_yuan": sum(e["cash_yuan"] for e in by_destination.values()),
            "donations": sum(e["donations"] for e in by_destination.values()),
            "by_destination": [{**by_destination[k], "items": items[k]} for k in ordered]}


def public_listing(ctx: Context, *, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    """The public disclosure: donations newest first (masked) and totals by destination."""
    with ctx.reading() as session:
        rows, total = queries.donations(session, offset=offset, limit=limit)
        donations = _public_views(session, rows)
        totals = _totals(session)
    next_offset = offset + limit if offset + limit < total else None
    return {"donations": donations, "totals": totals,
            "page": {"offset": offset, "limit": limit, "total": total, "next_offset": next_offset}}
