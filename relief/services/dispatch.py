"""Dispatch plans: which depot sends what to which site, and the steps a convoy takes to get it there.

A plan is computed from the current state (``domain.cover.site_needs`` for
each open site's gaps over the horizon, depot balances as supply,
``domain.dispatch.plan_dispatch`` to close as much of the gaps as the stock
allows, nearest depots first) and kept as a ``DispatchPlan`` row with its
lines, its unmet remainder and ``as_of``.

It then goes the steps of ``domain.dispatch.STEPS``, each one transaction
that takes the plan's row lock first:

- **accept** (``dispatch.plan``): the plan is agreed; no stock moves yet.
- **dispatch** (``stock.move``: the depot's warehouse keeper, or a commander):
  every line leaves its depot (a ``transfer_out`` with a transfer id kept on
  the line). Stock may have moved since the plan was made: if any line can
  no longer be met, nothing is written and the answer is 409
  ``insufficient_stock`` naming the item, the depot and the line.
- **deliver** (``site.manage``: the site manager, at the site): what arrived
  enters each site (a ``transfer_in`` with the same transfer id); the body
  may give ``received`` per line (a short delivery is recorded, the rest of
  the line counted lost on the way), else what was sent arrived.
- **cancel** (``dispatch.plan``) while nothing has left.

Each step is audited and emits ``dispatch.changed`` (staff) after commit;
accepting also emits ``dispatch.accepted``, and each ledger line its
``stock.changed``. Answers carry depot, site and item names beside the
codes (``services/dispatch_json.py``).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from relief.domain import cover as cover_rules
from relief.domain import dispatch as dispatch_rules
from relief.domain.audience import Audience
from relief.domain.vocabulary import (
    DISPATCH_PLAN_STATUSES,
    DispatchAction,
    HolderKind,
    MovementKind,
    Topic,
)
from relief.errors import InsufficientStock, NotFound, ValidationFailed
from relief.jsonable import number
from relief.services import dispatch_json, fields
from relief.services.context import Context, Unit
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
DIGITS = dispatch_json.DIGITS
#: Most plans in one page of ``GET /api/dispatch/plans``.
MAX_PAGE = 200


# --- names beside codes --------------------------------------------------------

def names_for(session, plans: list[DispatchPlan]) -> dispatch_json.Names:
    """The names of the depots, sites, items and people ``plans`` mention."""
    holders, items, users = dispatch_json.codes_of(plans)
    return dispatch_json.Names(holders=queries.holder_names(session, holders),
                               items=queries.item_labels(session, items),
                               users=plan_store.user_names(session, users))


def plan_view(session, plan: DispatchPlan, *, movements: bool = False,
              role: str | None = None) -> dict[str, Any]:
    """The plan's answer with names; its ledger lines when ``movements``; the steps ``role`` may take."""
    return dispatch_json.plan_json(
        plan, names_for(session, [plan]),
        movements=queries.dispatch_movements(session, plan.id) if movements else None,
        actions=None if role is None else [str(a) for a in dispatch_rules.allowed_steps(plan.status, role)])


def _role(ctx: Context) -> str | None:
    """The role whose steps an answer lists: a signed-in person's, nobody's for the system."""
    return ctx.actor.role if ctx.actor.id is not None else None


# --- proposing ---------------------------------------------------------------------

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
        view = plan_view(unit.session, row, role=_role(ctx))
        shown = needs.loc[needs["quantity"] > 0] if len(needs) else needs
        gap_names = dispatch_json.Names(
            holders=queries.holder_names(unit.session, {(HolderKind.SITE, s) for s in shown["site_id"]}),
            items=queries.item_labels(unit.session, shown["item_code"]))
        view["gaps"] = [dispatch_json.gap_json(r, gap_names) for r in shown.itertuples(index=False)]
    view.update({"horizon_days": horizon, "profile": profile, "county_code": county_code})
    return view


def _known_area(session, county_code: str | None) -> None:
    """A plan for a county nobody knows would be kept as an empty plan; refuse it (404 naming the field)."""
    if county_code and not area_store.names(session, [county_code]):
        raise NotFound(f"no county {county_code!r}", field="county_code")


# --- reading -----------------------------------------------------------------------

def get_plan(ctx: Context, plan_id: int) -> dict[str, Any]:
    """One plan with names, its ledger lines and the steps the asking person may take."""
    with ctx.reading() as session:
        plan = queries.dispatch_plan(session, plan_id)
        if plan is None:
            raise NotFound(f"no dispatch plan {plan_id}", field="plan_id")
        return plan_view(session, plan, movements=True, role=_role(ctx))


def list_plans(ctx: Context, *, statuses: list[str] | None = None, offset: int = 0,
               limit: int = 50) -> dict[str, Any]:
    """Plans newest first, optionally only in ``statuses``; ``counts`` per status over all plans."""
    if statuses is not None:
        bad = [s for s in statuses if s not in DISPATCH_PLAN_STATUSES]
        if bad:
            raise ValidationFailed(f"unknown status {bad[0]!r}; expected one of {', '.join(DISPATCH_PLAN_STATUSES)}",
                                   field="status")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be from 1 to {MAX_PAGE}", field="limit")
    role = _role(ctx)
    with ctx.reading() as session:
        page = plan_store.plans_page(session, statuses=statuses, offset=offset, limit=limit)
        names = names_for(session, page.rows)
        rows = [dispatch_json.plan_json(
            p, names, actions=None if role is None else [str(a) for a in dispatch_rules.allowed_steps(p.status, role)])
            for p in page.rows]
        counts = plan_store.status_counts(session)
    return dispatch_json.page_json(rows, total=page.total, offset=page.offset, limit=page.limit,
                                   next_offset=page.next_offset, counts={s: counts.get(s, 0)
                                                                         for s in DISPATCH_PLAN_STATUSES})


# --- the steps ------------------------------------------------------------------------

def _locked_plan(unit: Unit, plan_id: int, action: str) -> DispatchPlan:
    """The plan, row-locked, after the domain agreed that the actor may take ``action`` from its status."""
    plan = queries.dispatch_plan(unit.session, plan_id, for_update=True)
    if plan is None:
        raise NotFound(f"no dispatch plan {plan_id}", field="plan_id")
    dispatch_rules.take_step(plan.status, action, unit.actor.role)
    return plan


def _changed(unit: Unit, plan: DispatchPlan, action: str, **extra: Any) -> None:
    unit.emit("dispatch.changed", Topic.DISPATCH,
              {"plan_id": plan.id, "status": plan.status, "action": str(action), "at": unit.now.isoformat(), **extra},
              audience=Audience.STAFF)


def accept_plan(ctx: Context, plan_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Agree the plan (no stock moves until it is dispatched)."""
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        plan = _locked_plan(unit, plan_id, DispatchAction.ACCEPT)
        plan_store.mark_accepted(unit.session, plan, accepted_by=unit.actor.id, at=unit.now)
        unit.audit("dispatch.accept", "dispatch_plan", plan.id, reason=reason,
                   detail={"lines": len(plan.lines), "as_of": plan.as_of.isoformat()})
        unit.emit("dispatch.accepted", Topic.DISPATCH, {"plan_id": plan.id, "lines": len(plan.lines),
                                                       "accepted_at": unit.now.isoformat()}, audience=Audience.STAFF)
        _changed(unit, plan, DispatchAction.ACCEPT)
        return plan_view(unit.session, plan, movements=True, role=_role(ctx))


def dispatch_plan(ctx: Context, plan_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Send the convoy: every line leaves its depot, all or nothing."""
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        session = unit.session
        plan = _locked_plan(unit, plan_id, DispatchAction.DISPATCH)
        holders = _holders(session, plan.lines)
        queries.lock_balances(session, [(HolderKind.DEPOT, line["depot_id"], line["item_code"])
                                        for line in plan.lines])
        names = names_for(session, [plan])
        transfer_ids = []
        for number_, line in enumerate(plan.lines):
            transfer_id = uuid.uuid4().hex
            depot = holders[HolderKind.DEPOT, line["depot_id"]]
            try:
                record_movement(unit, depot, line["item_code"], -line["quantity"], MovementKind.TRANSFER_OUT,
                                transfer_id=transfer_id, dispatch_plan_id=plan.id,
                                reason=reason or f"dispatch plan {plan.id}")
            except InsufficientStock as short:
                raise _short_at_dispatch(short, number_, line, depot, names) from None
            transfer_ids.append(transfer_id)
        plan_store.mark_dispatched(session, plan, dispatched_by=unit.actor.id, at=unit.now, transfer_ids=transfer_ids)
        unit.audit("dispatch.dispatch", "dispatch_plan", plan.id, reason=reason,
                   detail={"lines": len(plan.lines), "transfers": transfer_ids})
        _changed(unit, plan, DispatchAction.DISPATCH)
        return plan_view(session, plan, movements=True, role=_role(ctx))


def _short_at_dispatch(short: InsufficientStock, number_: int, line: dict[str, Any], depot: Holder,
                       names: dispatch_json.Names) -> InsufficientStock:
    """The ledger's refusal, naming the item and depot by name and the plan line it came from."""
    item_name = (names.items.get(line["item_code"]) or {}).get("name", line["item_code"])
    available = short.detail.get("available")
    return InsufficientStock(
        f"not enough {item_name} ({line['item_code']}) at {depot.name}: {line['quantity']:g} to send, "
        f"{available:g} available", field=f"lines[{number_}].quantity",
        detail={**short.detail, "item_name": item_name, "holder_name": depot.name, "line": number_})


def _received(body: Mapping[str, Any], lines: list[dict[str, Any]]) -> list[float]:
    """``received``: one number (or null for "all that was sent") per line, in the plan's line order."""
    given = body.get("received")
    if given is None:
        return dispatch_rules.received_quantities([line["quantity"] for line in lines], {})
    if not isinstance(given, list):
        raise ValidationFailed("received must be a list with one quantity (or null) per line", field="received")
    if len(given) > len(lines):
        raise ValidationFailed(f"received has {len(given)} entries; the plan has {len(lines)} lines",
                               field="received")
    quantities = {}
    for i, value in enumerate(given):
        quantity = fields.number({"quantity": value}, "quantity", required=False, minimum=0, field=f"received[{i}]")
        if quantity is not None:
            quantities[i] = quantity
    return dispatch_rules.received_quantities([line["quantity"] for line in lines], quantities)


def deliver_plan(ctx: Context, plan_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Confirm at the site what arrived: it enters the sites' stock; a short line is recorded as such."""
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        session = unit.session
        plan = _locked_plan(unit, plan_id, DispatchAction.DELIVER)
        received = _received(body, plan.lines)
        holders = _holders(session, plan.lines)
        queries.lock_balances(session, [(HolderKind.SITE, line["site_id"], line["item_code"]) for line in plan.lines])
        short = []
        for number_, (line, quantity) in enumerate(zip(plan.lines, received)):
            if quantity > 0:
                record_movement(unit, holders[HolderKind.SITE, line["site_id"]], line["item_code"], quantity,
                                MovementKind.TRANSFER_IN, transfer_id=line.get("transfer_id"),
                                dispatch_plan_id=plan.id, reason=reason or f"dispatch plan {plan.id} delivered")
            if quantity < line["quantity"]:
                short.append({"line": number_, "item_code": line["item_code"], "site_id": line["site_id"],
                              "sent": line["quantity"], "received": quantity})
        plan_store.mark_delivered(session, plan, delivered_by=unit.actor.id, at=unit.now, received=received)
        unit.audit("dispatch.deliver", "dispatch_plan", plan.id, reason=reason,
                   detail={"lines": len(plan.lines), "received": received, "short": short})
        _changed(unit, plan, DispatchAction.DELIVER, short_lines=len(short))
        return plan_view(session, plan, movements=True, role=_role(ctx))


def cancel_plan(ctx: Context, plan_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """Call the plan off before anything has left (a reason is required)."""
    reason = fields.text(body, "reason", required=True)
    with ctx.transaction() as unit:
        plan = _locked_plan(unit, plan_id, DispatchAction.CANCEL)
        plan_store.mark_cancelled(unit.session, plan, cancelled_by=unit.actor.id, at=unit.now)
        unit.audit("dispatch.cancel", "dispatch_plan", plan.id, reason=reason, detail={"lines": len(plan.lines)})
        _changed(unit, plan, DispatchAction.CANCEL)
        return plan_view(unit.session, plan, movements=True, role=_role(ctx))


def _holders(session, lines: list[dict[str, Any]]) -> dict[tuple[str, str], Holder]:
    """The depots and sites a plan names (a holder removed since makes the step impossible)."""
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
