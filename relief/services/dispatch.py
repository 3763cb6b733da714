"""Dispatch plans: which depot sends what to which site, proposed from the gaps and accepted as transfers.

A plan is computed from the current state (``domain.cover.site_needs`` for
each open site's gaps over the horizon, depot balances as supply,
``domain.dispatch.plan_dispatch`` to close as much of the gaps as the stock
allows, nearest depots first) and kept as a ``DispatchPlan`` row with its
lines, its unmet remainder and ``as_of``.

Accepting a plan books every line as a transfer (a ledger pair with one
transfer_id and the plan's id) in ONE transaction. Stock may have moved
since the plan was made: if any line can no longer be met the whole
acceptance is refused with ``insufficient_stock`` and nothing is written.
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from relief.domain import cover as cover_rules
from relief.domain import dispatch as dispatch_rules
from relief.domain.audience import Audience
from relief.domain.vocabulary import DispatchPlanStatus, HolderKind, MovementKind, Topic
from relief.errors import NotFound, TransitionRefused, ValidationFailed
from relief.jsonable import number
from relief.services import fields
from relief.services.context import Context
from relief.services.stock import Holder, record_movement
from relief.store import areas as area_store
from relief.store import dispatch_plans as plan_store
from relief.store import sites as site_store
from relief.store import stock_queries as queries

if TYPE_CHECKING:
    from relief.store.tables import DispatchPlan

DEFAULT_HORIZON_DAYS = 3.0
MAX_HORIZON_DAYS = 90.0


#: Quantities are kept and shown to this many decimal places.
DIGITS = 6


def plan_view(plan: DispatchPlan, movements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    view = {"id": plan.id, "status": plan.status, "as_of": plan.as_of.isoformat(),
            "created_at": plan.created_at.isoformat() if plan.created_at else None, "created_by": plan.created_by,
            "accepted_by": plan.accepted_by,
            "accepted_at": plan.accepted_at.isoformat() if plan.accepted_at else None,
            "lines": plan.lines, "unmet": plan.unmet}
    if movements is not None:
        view["movements"] = movements
    return view


def _gaps(session, standards, *, county_code: str | None, horizon_days: float, profile: str):
    sites = site_store.sites_frame(session, county_code=county_code, open_only=True)
    ids = sites["site_id"].tolist()
    needs = cover_rules.site_needs(sites, site_store.occupancy_series(session, ids),
                                   queries.holdings_frame(session, HolderKind.SITE, ids), queries.items_frame(session),
                                   standards=standards, horizon_days=horizon_days, profile=profile)
    return sites, needs


def propose_plan(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Compute and keep a plan closing the open sites' gaps from depot stock (status ``proposed``)."""
    county_code = fields.text(body, "county_code", limit=24)
    horizon = fields.number(body, "horizon_days", required=False, positive=True) or DEFAULT_HORIZON_DAYS
    if horizon > MAX_HORIZON_DAYS:
        raise ValidationFailed(f"horizon_days must be at most {MAX_HORIZON_DAYS:g}", field="horizon_days")
    profile = fields.text(body, "profile", limit=24) or "normal"
    standards, as_of = ctx.standards, ctx.now()
    with ctx.reading() as session:  # computed outside the write lock; as_of says when
        _known_area(session, county_code)
        sites, needs = _gaps(session, standards, county_code=county_code, horizon_days=horizon, profile=profile)
        stock = queries.holdings_frame(session, HolderKind.DEPOT)
        depots = site_store.depots_frame(session, stock["depot_id"].unique().tolist())
    gaps = needs.loc[needs["quantity"] > 0, ["site_id", "item_code", "quantity"]] if len(needs) else \
        pd.DataFrame({"site_id": [], "item_code": [], "quantity": []})
    plan = dispatch_rules.plan_dispatch(gaps, stock, depots, sites)
    lines = [{"depot_id": r.depot_id, "site_id": r.site_id, "item_code": r.item_code,
              "quantity": number(r.quantity, DIGITS), "distance_km": round(float(r.distance_km), 3)}
             for r in plan.lines.itertuples(index=False)]
    unmet = [{"site_id": r.site_id, "item_code": r.item_code, "quantity": number(r.quantity, DIGITS)}
             for r in plan.remainder.itertuples(index=False)]
    with ctx.transaction() as unit:
        row = plan_store.add_plan(unit.session, created_at=unit.now, as_of=as_of, lines=lines, unmet=unmet,
                                  created_by=unit.actor.id)
        unit.audit("dispatch.plan", "dispatch_plan", row.id,
                   detail={"county_code": county_code, "horizon_days": horizon, "profile": profile,
                           "lines": len(lines), "unmet": len(unmet)})
        view = plan_view(row)
    view["gaps"] = [{"site_id": r.site_id, "guarantee": r.guarantee, "item_code": r.item_code, "unit": r.unit,
                     "need": number(r.need, DIGITS), "held": number(r.held, DIGITS), "gap": number(r.gap, DIGITS),
                     "quantity": number(r.quantity, DIGITS)}
                    for r in needs.itertuples(index=False) if r.quantity > 0]
    view.update({"horizon_days": horizon, "profile": profile, "county_code": county_code})
    return view


def _known_area(session, county_code: str | None) -> None:
    """A plan for a county nobody knows would be kept as an empty plan; refuse it (404 naming the field)."""
    if county_code and not area_store.names(session, [county_code]):
        raise NotFound(f"no county {county_code!r}", field="county_code")


def get_plan(ctx: Context, plan_id: int) -> dict[str, Any]:
    with ctx.reading() as session:
        plan = queries.dispatch_plan(session, plan_id)
        if plan is None:
            raise NotFound(f"no dispatch plan {plan_id}", field="plan_id")
        return plan_view(plan, queries.dispatch_movements(session, plan_id))


def accept_plan(ctx: Context, plan_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Book every line as a transfer, all in one transaction, and mark the plan accepted."""
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        session = unit.session
        plan = queries.dispatch_plan(session, plan_id, for_update=True)
        if plan is None:
            raise NotFound(f"no dispatch plan {plan_id}", field="plan_id")
        if plan.status != DispatchPlanStatus.PROPOSED:
            raise TransitionRefused(f"dispatch plan {plan_id} is {plan.status}, not proposed", field="plan_id",
                                    detail={"status": plan.status})
        holders = _holders(session, plan.lines)
        queries.lock_balances(session, [(k, i, line["item_code"]) for line in plan.lines for k, i in
                                         ((HolderKind.DEPOT, line["depot_id"]), (HolderKind.SITE, line["site_id"]))])
        transfers = []
        for line in plan.lines:
            transfer_id = uuid.uuid4().hex
            for holder, delta, kind in (
                    (holders[HolderKind.DEPOT, line["depot_id"]], -line["quantity"], MovementKind.TRANSFER_OUT),
                    (holders[HolderKind.SITE, line["site_id"]], line["quantity"], MovementKind.TRANSFER_IN)):
                record_movement(unit, holder, line["item_code"], delta, kind, transfer_id=transfer_id,
                                dispatch_plan_id=plan.id, reason=reason or f"dispatch plan {plan.id}")
            transfers.append({**line, "transfer_id": transfer_id})
        plan_store.mark_accepted(session, plan, accepted_by=unit.actor.id, at=unit.now)
        unit.audit("dispatch.accept", "dispatch_plan", plan.id, reason=reason,
                   detail={"transfers": len(transfers), "as_of": plan.as_of.isoformat()})
        unit.emit("dispatch.accepted", Topic.DISPATCH, {"plan_id": plan.id, "transfers": transfers,
                                                       "accepted_at": unit.now.isoformat()}, audience=Audience.STAFF)
        return plan_view(plan, queries.dispatch_movements(session, plan.id))


def _holders(session, lines: list[dict[str, Any]]) -> dict[tuple[str, str], Holder]:
    """The depots and sites a plan names (a holder removed since makes the plan unacceptable)."""
    depot_ids = sorted({line["depot_id"] for line in lines})
    site_ids = sorted({line["site_id"] for line in lines})
    depots = site_store.depots_frame(session, depot_ids).set_index("depot_id")
    sites = site_store.sites_frame(session, site_ids=site_ids).set_index("site_id")
    out = {}
    for kind, ids, table in ((HolderKind.DEPOT, depot_ids, depots), (HolderKind.SITE, site_ids, sites)):
        for holder_id in ids:
            if holder_id not in table.index:
                raise NotFound(f"the plan names {kind} {holder_id!r}, which no longer exists", field="plan_id")
            row = table.loc[holder_id]
            out[kind, holder_id] = Holder(kind, holder_id, row["name"], row["county_code"])
    return out
