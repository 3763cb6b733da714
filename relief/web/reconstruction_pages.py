"""Reconstruction pages for officers: progress by township, stalled houses, the house page, field inspections.

- ``GET /reconstruction`` (any staff): township and county rates (started, completed, moved in) and
  subsidy (planned, due, paid) as tables and bar charts (``static/js/reconstruction_pages.js`` draws
  them in SVG), the townships that lag (lowest completion rate first) and, for staff who see houses
  (``reconstruction.read``), the stalled houses. A viewer sees rates, never a name. The script
  refreshes everything on the socket's ``reconstruction`` events.
- ``GET /houses/<id>`` (``reconstruction.read``): the household, damage, stage and days in it, the
  stalled and correction-required flags, history, inspections with photos, payments, the tranche
  plan, and the steps the signed-in role may take now (the stage table's, through the API; a refusal
  is worded here from its code and field, never the API's English).
- ``GET /inspections/new?house=<id>`` (``reconstruction.inspect``): the inspection form for a phone
  with a bad network. Inspections wait in IndexedDB with a client-made id and are sent once the
  network is back (``static/js/inspection.js``); the page and its assets are kept by the service
  worker ``/inspection-sw.js``, whose scope is ``/inspections/``.

Anonymous browsers are sent to the login page and back.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, current_app, jsonify, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain import reconstruction as rc
from relief.domain.vocabulary import HOUSE_STAGES, INSPECTION_RESULTS, REBUILD_MODES, HouseStage, InspectionResult
from relief.domain.vocabulary import RebuildMode as Mode
from relief.errors import Forbidden, NotFound
from relief.services import reconstruction as service
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, public, requires
from relief.web.household_pages import damage_labels
from relief.web.wording import in_language

bp = Blueprint("reconstruction_pages", __name__)

#: Most stalled houses listed on the dashboard (the API pages through the rest).
STALLED_LIMIT = 200
#: Where the inspection worker's scope begins (the page lives under it).
INSPECTION_SCOPE = "/inspections/"
S = HouseStage



browsers_log_in_first(bp)


@bp.errorhandler(Forbidden)
def _refused(error: Forbidden):
    if "text/html" not in request.headers.get("Accept", ""):
        return jsonify({"error": error.to_dict()}), error.status
    return render_template("reconstruction_refused.html"), 403


# --- words ------------------------------------------------------------------------------------

def stage_labels() -> dict[str, str]:
    labels = {
        S.ASSESSED: _("Assessed"), S.ELIGIBLE: _("Eligible"), S.EXCLUDED: _("Excluded"),
        S.AGREEMENT_SIGNED: _("Agreement signed"), S.STARTED: _("Building started"),
        S.FOUNDATION: _("Foundation done"), S.MAIN_STRUCTURE: _("Main structure done"), S.ROOFED: _("Roofed"),
        S.COMPLETED: _("Completed"), S.REPAIR_STARTED: _("Repair started"),
        S.REPAIR_COMPLETED: _("Repair completed"), S.MOVED_IN: _("Moved in"),
    }
    return {s: labels.get(s, s) for s in HOUSE_STAGES}


def step_labels() -> dict[str, str]:
    """What a button that puts a house in a stage says."""
    labels = {S.ELIGIBLE: _("Mark eligible"), S.EXCLUDED: _("Exclude"), S.ASSESSED: _("Re-open (re-survey)"),
              S.AGREEMENT_SIGNED: _("Record the agreement")}
    stages = stage_labels()
    return {s: labels.get(s) or _("Record: %(stage)s", stage=stages[s]) for s in HOUSE_STAGES}


def mode_labels() -> dict[str, str]:
    labels = {Mode.IN_PLACE: _("rebuild on the same site (原址重建)"),
              Mode.PLANNED_SELF_BUILD: _("planned area, built by the owner (统规自建)"),
              Mode.PLANNED_BUILT: _("planned area, built by the government (统规统建)"),
              Mode.PURCHASE: _("purchased flat"), Mode.REPAIR: _("repair")}
    return {m: labels.get(m, m) for m in REBUILD_MODES}


def result_labels() -> dict[str, str]:
    labels = {InspectionResult.PASS: _("passed"), InspectionResult.FAIL: _("failed: correction required")}
    return {r: labels.get(r, r) for r in INSPECTION_RESULTS}


def common_words() -> dict[str, Any]:
    return {"stages": stage_labels(), "modes": mode_labels(), "results": result_labels(), "damage": damage_labels()}


def dashboard_strings() -> dict[str, str]:
    return {
        "township": _("Township"), "county": _("County"), "houses": _("Houses"), "enrolled": _("Enrolled"),
        "started": _("Started"), "completed": _("Completed"), "moved_in": _("Moved in"), "stalled": _("Stalled"),
        "correction_required": _("Correction required"), "planned": _("Planned"), "due": _("Due"),
        "paid": _("Paid"), "unknown_area": _("outside known areas"), "failed": _("Could not load"),
        "no_stalled": _("No house is stalled."), "no_houses": _("No house in the reconstruction ledger yet."),
        "house": _("House"), "household": _("Household"), "stage": _("Stage"),
        "days_in_stage": _("Days in stage"), "as_of": _("As of"), "updated": _("Updated live"),
        "days": _("%(n)s days", n="{n}"), "yuan": _("yuan"), "none_lag": _("No township lags behind."),
        "lag_line": _("%(name)s: %(rate)s completed (all: %(all)s)", name="{name}", rate="{rate}", all="{all}"),
        "rates_chart": _("Share of enrolled houses started, completed and moved in, by township"),
        "money_chart": _("Subsidy planned, due and paid, by county (yuan)"),
    }


def house_strings() -> dict[str, str]:
    """Refusals worded from their code and field; ``{stage}``, ``{milestone}`` are filled in by the script."""
    return {
        "sending": _("Sending…"), "saved": _("Saved."),
        "needs_inspection": _("%(stage)s needs a passing inspection first.", stage="{stage}"),
        "does_not_follow": _("The house cannot go to %(stage)s from its stage now: reload the page.",
                             stage="{stage}"),
        "reason_required": _("Give a reason."), "mode_required": _("Choose a rebuild mode."),
        "tranche_needs_inspection": _("Not paid: this tranche is released only after a passing inspection of "
                                      "%(milestone)s.", milestone="{milestone}"),
        "tranche_not_due": _("Not paid: this tranche is due when the house reaches %(milestone)s.",
                             milestone="{milestone}"),
        "tranche_paid": _("This tranche was paid already: reload the page."),
        "amount": _("The amount is more than this tranche."),
        "forbidden": _("Your role may not do this, or your session has ended: log in again."),
        "reused": _("This was already sent with other values: reload the page and try again."),
        "busy": _("The server is busy: try again in a moment."),
        "offline": _("No network: nothing was saved. Try again when online."),
        "refused": _("Refused: %(message)s", message="{message}"),
        "changed": _("This house changed on the server."), "reload": _("Reload"),
    }


def inspection_strings() -> dict[str, str]:
    return {
        "queued": _("waiting to be sent"), "sending": _("sending"), "sent": _("sent"), "failed": _("refused"),
        "retry": _("Retry"), "remove": _("Remove"), "photos": _("photos"),
        "offline": _("Offline: inspections wait on this phone and are sent when the network returns."),
        "online": _("Online"), "network_wait": _("waiting for the network"),
        "server_busy": _("server unavailable; will retry"),
        "locating": _("Finding your position…"),
        "located": _("Position from GPS: %(lat)s, %(lon)s (±%(m)s m)", lat="{lat}", lon="{lon}", m="{m}"),
        "no_position": _("No position: the inspection is sent without one."),
        "gps_failed": _("GPS failed: %(why)s", why="{why}"),
        "need_result": _("Choose passed or failed."), "need_milestone": _("Choose the milestone inspected."),
        "waiting_count": _("%(n)s waiting on this phone", n="{n}"), "all_sent": _("Nothing waiting on this phone."),
        "house": _("House"),
        "refused_milestone": _("The house is not at this milestone: check its stage on the house page."),
        "refused_photo": _("A photo is not an image the server can read."),
        "refused_house": _("No house has this id."),
        "refused_login": _("Log in again to send."),
        "refused_role": _("Your role may not file inspections."),
        "refused_reused": _("This inspection was already sent with other values."),
        "refused_other": _("Refused: %(message)s", message="{message}"),
    }


def area_label(names: Mapping[str, Any] | None, code: str | None) -> str:
    """An area's name in the page's language (else the other language's, else the code)."""
    return in_language(names, code) if code else ""


# --- the dashboard ----------------------------------------------------------------------------

def _lagging(townships: list[dict[str, Any]], overall: float | None) -> list[dict[str, Any]]:
    """Townships with enrolled houses, lowest completion rate first, those below the overall rate."""
    rated = [r for r in townships if r.get("completed_rate") is not None]
    rated.sort(key=lambda r: (r["completed_rate"], r["started_rate"] or 0, r.get("code") or ""))
    if overall is None:
        return []
    return [r for r in rated if r["completed_rate"] < overall]


@bp.get("/reconstruction")
@requires("staff.read")
def dashboard():
    ctx = request_context()
    townships = service.summary(ctx, "township")
    counties = service.summary(ctx, "county")
    sees_houses = actor_may("reconstruction.read")
    stalled = service.list_houses(ctx, stalled=True, limit=STALLED_LIMIT)["features"] if sees_houses else None
    names = {r["code"]: r["name"] for r in (*townships["rows"], *counties["rows"]) if r["code"]}
    lagging = _lagging(townships["rows"], townships["totals"].get("completed_rate"))
    settings = {
        "urls": {"summary": "/api/reconstruction/summary", "stalled": f"/api/houses?stalled=1&limit={STALLED_LIMIT}",
                 "house": "/houses/"},
        "seesHouses": sees_houses, "locale": str(get_locale()), "strings": dashboard_strings(),
        "words": common_words(), "township": townships, "county": counties,
        "stalled": stalled, "topics": ["reconstruction"],
    }
    return render_template("reconstruction.html", townships=townships, counties=counties, stalled=stalled,
                           lagging=lagging, names=names, area_label=area_label, settings=settings,
                           words=settings["words"], strings=settings["strings"])


# --- one house --------------------------------------------------------------------------------

@bp.get("/houses/<string(maxlength=40):house_id>")
@requires("reconstruction.read")
def house_page(house_id: str):
    ctx = request_context()
    try:
        detail = service.house_detail(ctx, house_id)
    except NotFound:
        return render_template("house.html", detail=None, house_id=house_id), 404
    props = detail["house"]["properties"]
    figures = service.figures(ctx)
    steps = list(detail["allowed_stages"])
    modes = list(rc.modes_for(props["damage"], figures)) if S.AGREEMENT_SIGNED in steps else []
    may_pay = actor_may("reconstruction.pay")
    may_inspect = actor_may("reconstruction.inspect")
    areas = detail["areas"]
    settings = {
        "houseId": house_id, "county": props.get("county_code"),
        "urls": {"transitions": f"/api/houses/{house_id}/transitions", "payments": f"/api/houses/{house_id}/payments"},
        "strings": house_strings(), "words": common_words(), "inspected": sorted(figures.inspected),
        "needsReason": sorted(rc.NEEDS_REASON), "topics": ["reconstruction"],
    }
    return render_template(
        "house.html", detail=detail, house_id=house_id, p=props, steps=steps, modes=modes, may_pay=may_pay,
        may_inspect=may_inspect, words=settings["words"], step_words=step_labels(), settings=settings,
        area=lambda code: area_label(areas.get(code), code), needs_reason=rc.NEEDS_REASON,
        inspected=figures.inspected, mode_step=S.AGREEMENT_SIGNED, excluded=S.EXCLUDED)


# --- inspections from the field ---------------------------------------------------------------

@bp.get("/inspections/new")
@requires("reconstruction.inspect")
def inspection_form():
    ctx = request_context()
    house_id = (request.args.get("house") or "").strip()[:40]
    detail, missing = None, False
    if house_id:
        try:
            detail = service.house_detail(ctx, house_id)
        except NotFound:
            missing = True
    figures = service.figures(ctx)
    milestones = [s for s in HOUSE_STAGES if s in figures.inspected]
    props = detail["house"]["properties"] if detail else {}
    upcoming = props.get("next_milestone")
    settings = {"houseId": house_id if detail else None, "strings": inspection_strings(),
                "words": common_words(), "scope": INSPECTION_SCOPE, "worker": "/inspection-sw.js"}
    return render_template("inspection.html", house_id=house_id, detail=detail, missing=missing, p=props,
                           milestones=milestones, upcoming=upcoming if upcoming in figures.inspected else None,
                           words=settings["words"], settings=settings,
                           area=lambda code: area_label((detail or {}).get("areas", {}).get(code), code))


@bp.get("/inspection-sw.js")
@public
def inspection_service_worker():
    response = send_from_directory(current_app.static_folder, "js/inspection-sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Service-Worker-Allowed"] = INSPECTION_SCOPE
    response.headers["Cache-Control"] = "no-cache"
    return response
