"""The aid chain for staff: the aid-flags queue and one household's aid, time-ordered.

- ``GET /aid-flags?flag=&township=&status=&offset=`` (``aid_flags.review``): duplicate and missed aid flags, oldest
  first, filtered by kind (``duplicate`` | ``missed``), township (chosen by name) and status (default: open).
  Each flag shows its household, village, purpose, sources and periods, and its evidence worded from the
  reason code and its figures (never the domain's English), with the review steps the flag may take now,
  which ``static/js/aid-flags.js`` sends as ``POST /api/aid-flags/<id>/transitions``
  (``{"to", "reason"?, "client_id"}``; a reason where the step needs one);
  a refusal is worded in the page's language from its code and field.
- ``GET /households/<id>/aid`` (``aid_flags.review``): the household's aid chain: every aid it received, whatever
  the source (depot or site hand-outs, assistance cases, reconstruction tranches, partner agencies), by
  date, with purpose, period, amount or quantity and source, and its open flags.

Both need ``aid_flags.review``, as the JSON API does: a flag or a chain names a household, so neither is on a
public page; another role gets a page saying so (403). An anonymous browser is sent to the login page and back.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _

from relief.domain import aid_chain as domain
from relief.domain.vocabulary import (
    AID_FLAG_KINDS,
    AID_FLAG_STATUSES,
    AidFlagKind,
    AidFlagStatus,
    PurposeClass,
)
from relief.errors import Forbidden, NotFound
from relief.services.incident_lookup import area_names
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, requires
from relief.web.times import local_time
from relief.web.wording import aid_list, aid_source_words, in_language

bp = Blueprint("aid_pages", __name__)

#: Flags one page of the queue shows.
PAGE = 50
K, F = AidFlagKind, AidFlagStatus
REVIEW = "aid_flags.review"

browsers_log_in_first(bp)


@bp.errorhandler(Forbidden)
def _refused(error: Forbidden):
    if "text/html" not in request.headers.get("Accept", ""):
        return jsonify({"error": error.to_dict()}), error.status
    return render_template("aid/refused.html"), 403


def _service():
    from relief.services import aid_chain

    return aid_chain


# --- words -------------------------------------------------------------------------------------

def purpose_labels() -> dict[str, str]:
    labels = {PurposeClass.FOOD: _("Food"), PurposeClass.WATER: _("Water"),
              PurposeClass.CLOTHING: _("Clothing and bedding"), PurposeClass.HOUSING: _("Shelter"),
              PurposeClass.MEDICAL: _("Medical care"), PurposeClass.LIVING_CASH: _("Living assistance (cash)"),
              PurposeClass.RECONSTRUCTION: _("Reconstruction subsidy")}
    return {str(k): v for k, v in labels.items()}


def kind_labels() -> dict[str, str]:
    return {K.DUPLICATE.value: _("Duplicate aid"), K.MISSED.value: _("Missed aid")}


def status_labels() -> dict[str, str]:
    labels = {F.OPEN: _("Open"), F.CONFIRMED: _("Confirmed"), F.NOT_DUPLICATE: _("Not a duplicate"),
              F.JUSTIFIED_TOP_UP: _("Justified top-up"), F.AID_GIVEN: _("Aid given"), F.DISMISSED: _("Dismissed")}
    return {s: labels.get(s, s) for s in AID_FLAG_STATUSES}


def step_labels() -> dict[str, dict[str, str]]:
    """What the button taking a flag of a kind to a status says."""
    return {
        K.DUPLICATE.value: {F.CONFIRMED.value: _("Confirm the duplicate"),
                            F.NOT_DUPLICATE.value: _("Not a duplicate"),
                            F.JUSTIFIED_TOP_UP.value: _("Justified top-up (reason)")},
        K.MISSED.value: {F.CONFIRMED.value: _("Confirm: aid is due"), F.AID_GIVEN.value: _("Aid given"),
                         F.DISMISSED.value: _("Dismiss (reason)")},
    }


def needs_reason() -> dict[str, list[str]]:
    """Per kind, the statuses a step needs a reason to reach (from the review table)."""
    out: dict[str, list[str]] = {k: [] for k in AID_FLAG_KINDS}
    for step in domain.STEPS:
        if step.needs_reason and step.target not in out[step.kind]:
            out[step.kind].append(str(step.target))
    return out


def basis_words(basis: Any) -> str:
    """Why a household was due aid: a failing guarantee, or a programme it is eligible for."""
    text = str(basis or "")
    kind, _sep, rest = text.partition(":")
    guarantees = {"food": _("food guarantee failing"), "water": _("water guarantee failing"),
                  "clothing": _("clothing guarantee failing"), "housing": _("shelter guarantee failing"),
                  "medical": _("medical guarantee failing")}
    if kind == "guarantee":
        return guarantees.get(rest, text)
    if kind == "programme":
        return _("eligible for programme %(code)s", code=rest)
    return guarantees.get(text, text)


def _yuan(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return "—"


def evidence_words(flag: Mapping[str, Any]) -> str:
    """The flag's evidence as a sentence, from its reason code and figures."""
    evidence = flag.get("evidence") or {}
    purpose = purpose_labels().get(flag.get("purpose"), flag.get("purpose") or "")
    sources = ", ".join(aid_source_words(s) for s in flag.get("sources") or ()) or "—"
    reason = flag.get("reason")
    if reason == domain.OVERLAPPING:
        return _("%(purpose)s given by %(sources)s over overlapping days (%(start)s to %(end)s): this aid "
                 "%(aid)s, earlier %(earlier)s.", purpose=purpose, sources=sources,
                 start=local_time(flag.get("period_start")), end=local_time(flag.get("period_end")),
                 aid=flag.get("aid_id") or "—", earlier=aid_list(flag.get("earlier_aid_ids")))
    if reason == domain.OVER_ENTITLEMENT:
        return _("%(purpose)s: %(received)s yuan received from %(sources)s against an entitlement of "
                 "%(entitlement)s yuan, %(excess)s yuan above it (%(aids)s).", purpose=purpose, sources=sources,
                 received=_yuan(evidence.get("received")), entitlement=_yuan(flag.get("entitlement")),
                 excess=_yuan(evidence.get("excess")),
                 aids=aid_list([*(flag.get("earlier_aid_ids") or ()),
                                *([flag["aid_id"]] if flag.get("aid_id") else [])]))
    if reason == domain.NO_AID:
        return _("%(purpose)s due since %(since)s (%(basis)s); no aid of any source by the deadline %(deadline)s.",
                 purpose=purpose, since=local_time(flag.get("since")), basis=basis_words(evidence.get("basis")),
                 deadline=local_time(flag.get("deadline")))
    if reason == domain.AID_LATE:
        return _("%(purpose)s due since %(since)s (%(basis)s); aid %(aid)s came only at %(given)s, after the "
                 "deadline %(deadline)s.", purpose=purpose, since=local_time(flag.get("since")),
                 basis=basis_words(evidence.get("basis")), aid=flag.get("aid_id") or evidence.get("aid_id") or "—",
                 given=local_time(evidence.get("given_at")), deadline=local_time(flag.get("deadline")))
    return str(reason or "")


def script_strings() -> dict[str, str]:
    """Refusals worded from their code and field; ``{status}`` is filled in by the script."""
    return {
        "sending": _("Sending…"), "saved": _("Saved."), "reason_required": _("Give a reason for this step."),
        "does_not_follow": _("The flag is no longer where this step starts (now: %(status)s): reload the page.",
                             status="{status}"),
        "forbidden": _("Your role may not review aid flags, or your session has ended: log in again."),
        "reused": _("This was already sent with other values: reload the page and try again."),
        "busy": _("The server is busy: try again in a moment."),
        "offline": _("No network: nothing was saved. Try again when online."),
        "not_found": _("This flag no longer exists: reload the page."),
        "refused": _("Refused: %(message)s", message="{message}"),
    }


def _namer(ctx, codes: Iterable[str | None]):
    names = area_names(ctx, {c for c in codes if c})
    return lambda code, unknown="": in_language(names.get(code), code) if code else unknown


def _value(flag: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if flag.get(key) is not None:
            return flag[key]
    return None


def flag_view(flag: Mapping[str, Any], may_review: bool) -> dict[str, Any]:
    """What the page shows of one flag: its words, and the steps the reader may take."""
    kind, status = flag.get("kind") or flag.get("flag"), flag.get("status")
    targets = list(domain.allowed_targets(kind, status)) if may_review else []
    flag_id = _value(flag, "id", "flag_id")
    return {**flag, "id": flag_id, "kind": kind, "evidence_text": evidence_words({**flag, "kind": kind}),
            "kind_label": kind_labels().get(kind, kind), "status_label": status_labels().get(status, status),
            "purpose_label": purpose_labels().get(flag.get("purpose"), flag.get("purpose")),
            "source_labels": [aid_source_words(s) for s in flag.get("sources") or ()],
            "steps": [{"status": t, "label": step_labels().get(kind, {}).get(t, t),
                       "needs_reason": t in needs_reason().get(kind, [])} for t in targets]}


# --- the queue ---------------------------------------------------------------------------------

def _choice(name: str, allowed: Iterable[str], default: str | None = None) -> str | None:
    value = (request.args.get(name) or "").strip()
    if value == "all":
        return None
    return value if value in set(allowed) else default


@bp.get("/aid-flags")
@requires(REVIEW)
def flag_queue():
    ctx = request_context()
    service = _service()
    board = service.counts(ctx)
    townships = sorted({t["township_code"] for t in board.get("by_township", ()) if t.get("township_code")})
    kind = _choice("flag", AID_FLAG_KINDS)
    status = _choice("status", AID_FLAG_STATUSES, default=None if request.args.get("status") == "all"
                     else F.OPEN.value)
    township = _choice("township", townships)
    offset = params.integer("offset", 0)
    found = service.list_flags(ctx, flag=kind, township=township, status=status, offset=offset, limit=PAGE)
    rows = list(found["items"])
    may_review = actor_may(REVIEW)
    flags = [flag_view(f, may_review) for f in rows]
    area = _namer(ctx, [*townships, *(f.get("village_code") for f in flags), *(f.get("township_code") for f in flags)])
    township_options = sorted(((code, area(code)) for code in townships), key=lambda pair: pair[1])
    chosen = {"flag": kind, "township": township, "status": status or "all"}
    total = int(found.get("total", len(rows)))
    pages = {"next": offset + PAGE if offset + PAGE < total else None,
             "previous": max(offset - PAGE, 0) if offset else None}
    settings = {"strings": script_strings(), "statusWords": status_labels(),
                "urls": {"transitions": "/api/aid-flags/{id}/transitions"}}
    return render_template("aid/flags.html", flags=flags, total=total, offset=offset, pages=pages, chosen=chosen,
                           kinds=kind_labels(), statuses=status_labels(), township_options=township_options,
                           area=area, may_review=may_review, settings=settings)


# --- one household's aid ---------------------------------------------------------------------

@bp.get("/households/<string(maxlength=40):household_id>/aid")
@requires(REVIEW)
def household_aid(household_id: str):
    ctx = request_context()
    try:
        chain = _service().household_aid(ctx, household_id)
    except NotFound:
        return render_template("aid/household.html", chain=None, household_id=household_id), 404
    links = list(chain["links"])
    purposes = purpose_labels()
    kinds = {"distribution": _("Hand-out"), "assistance": _("Assistance"), "reconstruction": _("Reconstruction"),
             "donation": _("Donation"), "partner": _("Partner agency")}
    rows = [{**link, "purpose_label": purposes.get(link.get("purpose"), link.get("purpose")),
             "source_label": aid_source_words(link.get("source")),
             "kind_label": kinds.get(link.get("source_kind"), link.get("source_kind") or "")} for link in links]
    flags = [flag_view(f, False) for f in chain["flags"] if not domain.is_resolved(f["flag"], f["status"])]
    return render_template("aid/household.html", chain=chain, household_id=household_id, links=rows, flags=flags)


# --- the map layer's settings ---------------------------------------------------------------------

@bp.app_context_processor
def aid_map_globals() -> dict:
    return {"aid_map_settings": aid_map_settings}


def aid_map_settings() -> dict[str, Any]:
    """The "aid flags by village" map layer: staff only (flags are never on the public map), its words."""
    return {"staff": actor_may("staff.read"),
            "words": {"layer": _("Aid flags by village"), "duplicate": _("Duplicate aid"), "missed": _("Missed aid"),
                      "hint": _("Open duplicate and missed aid flags per village")}}
