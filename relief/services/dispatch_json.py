"""The shape of a dispatch plan in answers: codes with their names beside them.

Every line names its depot, site and item (``depot_name``, ``site_name``,
``item_name``, ``unit``) beside the codes, and each step says who took it
and when (``<step>_by`` the user id, ``<step>_by_name`` their name,
``<step>_at`` UTC ISO 8601). A delivered plan's lines carry ``received``
(what the site confirmed) and ``short`` (sent minus received). Moments and
figures go through :mod:`relief.jsonable`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from relief.domain.vocabulary import HolderKind
from relief.jsonable import moment, number

if TYPE_CHECKING:
    from relief.store.tables import DispatchPlan

#: Quantities are kept and shown to this many decimal places.
DIGITS = 6
#: The steps whose who and when a plan records, in order.
STEP_COLUMNS = ("created", "accepted", "dispatched", "delivered", "cancelled")


@dataclass(frozen=True)
class Names:
    """What the codes a plan holds are called: ``holders[(kind, id)]``, ``items[code]`` → name and unit,
    ``users[id]``."""

    holders: dict[tuple[str, str], str] = field(default_factory=dict)
    items: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)


def codes_of(plans: Iterable[DispatchPlan]) -> tuple[set[tuple[str, str]], set[str], set[int]]:
    """The holders, items and users a few plans name (what :class:`Names` must cover)."""
    holders, items, users = set(), set(), set()
    for plan in plans:
        for line in list(plan.lines or []) + list(plan.unmet or []):
            if line.get("depot_id"):
                holders.add((HolderKind.DEPOT, line["depot_id"]))
            if line.get("site_id"):
                holders.add((HolderKind.SITE, line["site_id"]))
            items.add(line["item_code"])
        users.update(getattr(plan, f"{step}_by") for step in STEP_COLUMNS)
    users.discard(None)
    return holders, items, users


def _item(names: Names, code: str) -> dict[str, Any]:
    known = names.items.get(code) or {}
    return {"item_name": known.get("name", code), "unit": known.get("unit")}


def line_json(line: dict[str, Any], names: Names, received: float | None = None) -> dict[str, Any]:
    out = dict(line)
    if "depot_id" in line:
        out["depot_name"] = names.holders.get((HolderKind.DEPOT, line["depot_id"]), line["depot_id"])
    if "site_id" in line:
        out["site_name"] = names.holders.get((HolderKind.SITE, line["site_id"]), line["site_id"])
    out.update(_item(names, line["item_code"]))
    out["quantity"] = number(line.get("quantity"), DIGITS)
    if received is not None:
        out["received"] = number(received, DIGITS)
        out["short"] = number(max(float(line["quantity"]) - float(received), 0.0), DIGITS)
    return out


def plan_json(plan: DispatchPlan, names: Names, *, movements: list[dict[str, Any]] | None = None,
              actions: list[str] | None = None) -> dict[str, Any]:
    """One plan with names beside codes; ``movements`` (its ledger lines) and ``actions`` (the steps the
    asking person may take now) when given."""
    received = list(plan.received or [])
    view: dict[str, Any] = {"id": plan.id, "status": plan.status, "as_of": moment(plan.as_of)}
    for step in STEP_COLUMNS:
        who = getattr(plan, f"{step}_by")
        view[f"{step}_at"] = moment(getattr(plan, f"{step}_at"))
        view[f"{step}_by"] = who
        view[f"{step}_by_name"] = names.users.get(who) if who is not None else None
    view["lines"] = [line_json(line, names, received[i] if i < len(received) else None)
                     for i, line in enumerate(plan.lines or [])]
    view["unmet"] = [line_json(line, names) for line in plan.unmet or []]
    view["depots"] = sorted({line["depot_name"] for line in view["lines"]})
    view["sites"] = sorted({line["site_name"] for line in view["lines"]})
    if movements is not None:
        view["movements"] = [_movement(m, names) for m in movements]
    if actions is not None:
        view["actions"] = actions
    return view


def _movement(row: dict[str, Any], names: Names) -> dict[str, Any]:
    out = dict(row)
    out["holder_name"] = names.holders.get((row["holder_kind"], row["holder_id"]), row["holder_id"])
    out.update(_item(names, row["item_code"]))
    return out


def gap_json(row: Any, names: Names) -> dict[str, Any]:
    """One site gap a proposal was computed from (``cover.site_needs`` rows)."""
    return {"site_id": row.site_id, "site_name": names.holders.get((HolderKind.SITE, row.site_id), row.site_id),
            "guarantee": row.guarantee, "item_code": row.item_code,
            "item_name": _item(names, row.item_code)["item_name"], "unit": row.unit,
            "need": number(row.need, DIGITS), "held": number(row.held, DIGITS),
            "gap": number(row.gap, DIGITS), "quantity": number(row.quantity, DIGITS)}


def page_json(rows: list[dict[str, Any]], *, total: int, offset: int, limit: int, next_offset: int | None,
              counts: dict[str, int]) -> dict[str, Any]:
    return {"plans": rows, "total": total, "offset": offset, "limit": limit, "next_offset": next_offset,
            "counts": counts}
