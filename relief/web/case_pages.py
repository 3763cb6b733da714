"""Living assistance for staff: the case list, one case with its steps, the assistance dashboard.

- ``GET /cases?stage=&programme=&township=`` (``assistance.read``): cases filtered by stage, programme and
  township (chosen by name), each with household, village, programme, period, amount, stage in words and
  the end of its public notice. Clerks (``assistance.apply``) also get the eligibility sweep: a programme,
  optionally a township and a period start, filed as ``applied`` cases through ``POST /cases/propose``.
- ``POST /cases/propose`` (``assistance.apply``): ``{"programme", "township"?, "as_of"?, "client_id"?}`` →
  ``{"programme", "cases": n, "case_ids": [...]}``; resend-safe by ``client_id``.
- ``GET /cases/<id>`` (``assistance.read``): the case, its notice dates, history and objections, and the
  actions the signed-in role may take now (the case answer's ``allowed_actions``), each sent by
  ``static/js/case_pages.js`` to ``POST /api/cases/<id>/transitions`` with a ``client_id``; a refusal is
  worded in the page's language from its code and field, never the API's English.
- ``GET /assistance`` (``assistance.read``): cases by stage per township (table + SVG bars drawn by the
  script), money approved and paid per programme against its budget, the oldest waiting cases.

Anonymous browsers are sent to the login page and back; a role without ``assistance.read`` gets a page
saying so (403).
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Mapping

from flask import Blueprint, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain import assistance as domain
from relief.domain.vocabulary import CASE_ACTIONS, CASE_STAGES, AreaLevel, CaseAction, CaseStage, ObjectionOutcome
from relief.errors import Forbidden, NotFound, ValidationFailed
from relief.jsonable import jsonable
from relief.services import assistance as service
from relief.services import fields, live_map
from relief.services.incident_lookup import area_names
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, requires
from relief.web.resend import answer_once
from relief.web.times import zone
from relief.web.wording import in_language

bp = Blueprint("case_pages", __name__)

S, A = CaseStage, CaseAction
#: Most cases one list page shows (the API pages through the rest).
LIST_LIMIT = 500

browsers_log_in_first(bp)


@bp.errorhandler(Forbidden)
def _refused(error: Forbidden):
    if "text/html" not in request.headers.get("Accept", ""):
        return jsonify({"error": error.to_dict()}), error.status
    return render_template("cases.html", refused=True, words=words()), 403


# --- words ------------------------------------------------------------------------------------

def stage_labels() -> dict[str, str]:
    labels = {
        S.APPLIED: _("Applied"), S.VILLAGE_REVIEWED: _("Reviewed by the village"),
        S.ON_NOTICE: _("On public notice"), S.OBJECTION: _("Objection to be heard"),
        S.TOWNSHIP_CHECKED: _("Checked by the township"), S.APPROVED: _("Approved by the county"),
        S.PAID: _("Paid"), S.REJECTED: _("Rejected"),
    }
    return {s: labels.get(s, s) for s in CASE_STAGES}


def action_labels() -> dict[str, str]:
    """What a button (or a history line) taking the action says."""
    labels = {
        A.APPLY: _("Applied"), A.REVIEW: _("Record the village review"), A.PUBLISH: _("Put on public notice"),
        A.CHECK: _("Record the township check"), A.APPROVE: _("Approve"), A.PAY: _("Paid"),
        A.REJECT: _("Reject"), A.OBJECT: _("Objection raised"), A.UPHOLD: _("Uphold the objection (reject)"),
        A.DISMISS: _("Dismiss the objection"), A.PAYMENT_FAILED: _("Payment failed"),
    }
    return {a: labels.get(a, a) for a in CASE_ACTIONS}


def outcome_labels() -> dict[str, str]:
    return {ObjectionOutcome.UPHELD: _("upheld"), ObjectionOutcome.DISMISSED: _("dismissed")}


def words() -> dict[str, Any]:
    return {"stages": stage_labels(), "actions": action_labels(), "outcomes": outcome_labels()}


def case_strings() -> dict[str, str]:
    """Refusals worded from their code and field; ``{time}`` and ``{action}`` are filled in by the script."""
    return {
        "sending": _("Sending…"), "saved": _("Saved."),
        "reason_required": _("Give a reason."),
        "notice_not_ended": _("The public notice runs until %(time)s: the case can be checked only after that.",
                              time="{time}"),
        "objection_open": _("An objection is still open: dismiss or uphold it first."),
        "does_not_follow": _("The case cannot be taken through “%(action)s” from its stage now: reload the page.",
                             action="{action}"),
        "forbidden": _("Your role may not do this, or your session has ended: log in again."),
        "reused": _("This was already sent with other values: reload the page and try again."),
        "busy": _("The server is busy: try again in a moment."),
        "offline": _("No network: nothing was saved. Try again when online."),
        "refused": _("Refused: %(message)s", message="{message}"),
        "proposed": _("%(n)s cases proposed.", n="{n}"),
        "proposed_none": _("No household is eligible and not yet covered."),
        "programme_required": _("Choose a programme."),
        "bad_time": _("Give the period start as a date."),
    }


def dashboard_strings() -> dict[str, str]:
    return {"township": _("Township"), "cases": _("Cases"), "budget": _("Budget"), "approved": _("Approved"),
            "paid": _("Paid"), "yuan": _("yuan"), "unknown_area": _("outside known areas"),
            "stages_chart": _("Cases by stage, per township"),
            "money_chart": _("Money approved and paid against the budget, per programme (yuan)")}


def _label(names: Mapping[str, Any] | None, code: str | None, unknown: str = "") -> str:
    """An area's name in the page's language (else the other language's, else the code)."""
    return in_language(names, code) if code else unknown


def _programme_names(programmes: list[dict[str, Any]]) -> dict[str, str]:
    zh = str(get_locale()) == "zh"
    return {p["code"]: (p["name_zh"] if zh else p["name_en"]) or p["code"] for p in programmes}


def _namer(ctx, codes) -> Any:
    names = area_names(ctx, {c for c in codes if c})
    return lambda code, unknown="": _label(names.get(code), code, unknown)


# --- the list ---------------------------------------------------------------------------------

def _choice(name: str, allowed) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value if value in allowed else None


@bp.get("/cases")
@requires("assistance.read")
def case_list():
    ctx = request_context()
    programmes = service.list_programmes(ctx)["programmes"]
    programme_names = _programme_names(programmes)
    board = service.dashboard(ctx, oldest=0)
    townships = [t["township_code"] for t in board["by_township"] if t["township_code"]]
    stage = _choice("stage", CASE_STAGES)
    programme = _choice("programme", programme_names)
    township = _choice("township", townships)
    found = service.list_cases(ctx, stages=[stage] if stage else None, programme=programme, township_code=township,
                               offset=0, limit=LIST_LIMIT)
    may_propose = actor_may("assistance.apply")
    # The sweep may run in any township with households on the register (the filter: those with cases).
    registered = sorted(c for c in live_map.guarantee_summary(ctx, AreaLevel.TOWNSHIP)["areas"] if c) \
        if may_propose else []
    area = _namer(ctx, [*townships, *registered, *(c["village_code"] for c in found["cases"])])
    township_options = sorted(((code, area(code)) for code in townships), key=lambda p: p[1])
    propose_townships = sorted(((code, area(code)) for code in registered), key=lambda p: p[1])
    settings = {"strings": case_strings(), "urls": {"propose": "/cases/propose", "list": "/cases"}}
    return render_template(
        "cases.html", refused=False, cases=found["cases"], total=found["total"], words=words(),
        programmes=programme_names, township_options=township_options, propose_townships=propose_townships,
        area=area, chosen={"stage": stage, "programme": programme, "township": township},
        may_propose=may_propose, settings=settings)


def _period_start(value: Any) -> datetime | None:
    """A period start: ISO 8601 with its offset, or a bare date (``2026-12-01``) at midnight in the page's zone."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return datetime.combine(date.fromisoformat(value.strip()), time(0), tzinfo=zone())
        except ValueError:
            raise ValidationFailed("as_of must be a date (YYYY-MM-DD) or an ISO 8601 time", field="as_of") from None
    return fields.parse_time(value, "as_of")


@bp.post("/cases/propose")
@requires("assistance.apply")
def propose():
    body = params.json_body()

    def work(ctx) -> dict[str, Any]:
        code = fields.text(body, "programme", required=True, limit=40)
        township = fields.text(body, "township", limit=40) or None
        as_of = _period_start(body.get("as_of")) or ctx.now()
        filed = service.propose(ctx, code, as_of, township_code=township, apply=True)
        return {"programme": code, "cases": len(filed), "case_ids": jsonable(filed["case_id"].tolist())}

    return answer_once("assistance.propose", body, work, status=200)


# --- one case ---------------------------------------------------------------------------------

@bp.get("/cases/<string(maxlength=40):case_id>")
@requires("assistance.read")
def case_page(case_id: str):
    ctx = request_context()
    try:
        case = service.case_detail(ctx, case_id)
    except NotFound:
        return render_template("case.html", case=None, case_id=case_id, words=words()), 404
    programmes = _programme_names(service.list_programmes(ctx)["programmes"])
    area = _namer(ctx, [case["county_code"], case["township_code"], case["village_code"]])
    actions = list(case["allowed_actions"])
    settings = {"caseId": case_id, "urls": {"transitions": f"/api/cases/{case_id}/transitions"},
                "strings": case_strings(), "words": words(), "needsReason": sorted(domain.NEEDS_REASON),
                "noticeEndsAt": case["notice_ends_at"]}
    return render_template("case.html", case=case, case_id=case_id, words=words(), actions=actions,
                           needs_reason=domain.NEEDS_REASON, programme=programmes.get(case["programme"],
                                                                                       case["programme"]),
                           area=area, settings=settings, refusing=(A.REJECT, A.UPHOLD), check_action=A.CHECK)


# --- the dashboard ----------------------------------------------------------------------------

@bp.get("/assistance")
@requires("assistance.read")
def dashboard():
    ctx = request_context()
    board = service.dashboard(ctx)
    strings = dashboard_strings()
    programmes = _programme_names(board["programmes"])
    area = _namer(ctx, [*(t["township_code"] for t in board["by_township"]),
                        *(c["township_code"] for c in board["oldest_waiting"]),
                        *(c["village_code"] for c in board["oldest_waiting"])])
    rows = [{"code": t["township_code"], "name": area(t["township_code"], strings["unknown_area"]),
             "stages": t["stages"], "total": sum(t["stages"].values())} for t in board["by_township"]]
    rows.sort(key=lambda r: r["name"])
    money = [{"code": p["code"], "name": programmes[p["code"]], "budget": p["budget_yuan"],
              "approved": p["approved_yuan"], "paid": p["paid_yuan"], "left": p["budget_left_yuan"]}
             for p in board["programmes"]]
    settings = {"strings": strings, "stages": list(CASE_STAGES), "words": words(), "townships": rows,
                "money": money}
    return render_template("assistance_dashboard.html", rows=rows, funds=money, oldest=board["oldest_waiting"],
                           programmes=programmes, area=area, words=words(), stages=list(CASE_STAGES),
                           settings=settings, strings=strings)
