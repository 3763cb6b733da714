"""Dispatch plans as a convoy sees them: proposed, accepted, in transit, delivered (or cancelled).

``GET /dispatch`` lists the plans by status; ``GET /dispatch/<id>`` shows one plan's lines with depot,
site and item names and units, who took each step and when (in the configured zone, to the minute),
and the step buttons the signed-in role may take (``domain.dispatch.allowed_steps``, the same table the
API enforces). Both pages are rendered here from the services' answers; ``static/js/dispatch_pages.js``
only sends the steps (``POST /api/dispatch/plans/<id>/<action>`` with a ``client_id`` kept for the page,
so a retried click is answered once) and shows a refusal next to the field it names.
"""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _

from relief.domain import dispatch as dispatch_rules
from relief.domain.vocabulary import DISPATCH_PLAN_STATUSES, DispatchAction, DispatchPlanStatus
from relief.services import dispatch
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, requires
from relief.web.wording import unit_word

bp = Blueprint("dispatch_pages", __name__)

#: Plans shown per status on the overview, and per page of one status.
OVERVIEW_ROWS = 20
PAGE_ROWS = 50



browsers_log_in_first(bp)


def status_words() -> dict[str, str]:
    return {DispatchPlanStatus.PROPOSED: _("Proposed"), DispatchPlanStatus.ACCEPTED: _("Accepted"),
            DispatchPlanStatus.IN_TRANSIT: _("In transit"), DispatchPlanStatus.DELIVERED: _("Delivered"),
            DispatchPlanStatus.CANCELLED: _("Cancelled")}


def action_words() -> dict[str, str]:
    return {DispatchAction.ACCEPT: _("Accept the plan"), DispatchAction.DISPATCH: _("Send the convoy"),
            DispatchAction.DELIVER: _("Confirm delivery"), DispatchAction.CANCEL: _("Cancel the plan")}


def page_strings() -> dict[str, str]:
    """Words the script shows (it builds no text of its own)."""
    return {"sending": _("Sending…"), "failed": _("Could not do that"), "done": _("Done."),
            "offline": _("No connection: try again when the network is back."),
            "reason_needed": _("Give a reason to cancel the plan."), "proposing": _("Proposing a plan…"),
            "received_invalid": _("Enter a quantity from 0 up to what was sent."),
            "insufficient": _("Not enough stock at the depot for {item}: {available} available."),
            "moved_on": _("The plan has moved on since this page was opened: reload the page.")}


def _unit(line: dict) -> dict:
    return {**line, "unit_word": unit_word(line.get("unit"))}


@bp.get("/dispatch")
@requires("staff.read")
def plans_page():
    """Plans grouped by status (``?status=`` shows one status, paged by ``offset``)."""
    chosen = params.words("status", DISPATCH_PLAN_STATUSES)
    ctx = request_context()
    if chosen:
        offset = params.integer("offset", 0)
        answer = dispatch.list_plans(ctx, statuses=chosen, offset=offset, limit=PAGE_ROWS)
        groups = [{"status": s, "plans": [p for p in answer["plans"] if p["status"] == s]} for s in chosen]
        paging = {"offset": offset, "next_offset": answer["next_offset"],
                  "previous_offset": max(offset - PAGE_ROWS, 0) if offset else None, "status": ",".join(chosen)}
        counts = answer["counts"]
    else:
        groups, paging, counts = [], None, None
        for status in DISPATCH_PLAN_STATUSES:
            answer = dispatch.list_plans(ctx, statuses=[status], limit=OVERVIEW_ROWS)
            counts = answer["counts"]
            groups.append({"status": status, "plans": answer["plans"]})
    settings = {"strings": page_strings(), "proposeUrl": url_for("api_dispatch.propose_plan"),
                "planPage": url_for("dispatch_pages.plans_page") + "/"}
    return render_template("dispatch.html", groups=groups, counts=counts or {}, paging=paging,
                           status_words=status_words(), may_plan=actor_may("dispatch.plan"), settings=settings)


@bp.get("/dispatch/<int:plan_id>")
@requires("staff.read")
def plan_page(plan_id: int):
    plan = dispatch.get_plan(request_context(), plan_id)
    plan["lines"] = [_unit(line) for line in plan["lines"]]
    plan["unmet"] = [_unit(line) for line in plan["unmet"]]
    actions = plan.get("actions") or []
    steps = [(step, plan.get(f"{step}_at"), plan.get(f"{step}_by_name"))
             for step in ("created", "accepted", "dispatched", "delivered", "cancelled") if plan.get(f"{step}_at")]
    settings = {"strings": page_strings(),
                "urls": {str(a): url_for(f"api_dispatch.{a}_plan", plan_id=plan_id) for a in actions},
                "planId": plan_id}
    return render_template("dispatch_plan.html", plan=plan, actions=[str(a) for a in actions], steps=steps,
                           status_words=status_words(), action_words=action_words(), step_words=step_words(),
                           final=plan["status"] in dispatch_rules.FINAL_STATUSES, settings=settings)


def step_words() -> dict[str, str]:
    return {"created": _("Proposed"), "accepted": _("Accepted"), "dispatched": _("Sent"),
            "delivered": _("Delivered"), "cancelled": _("Cancelled")}
