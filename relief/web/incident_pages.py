"""The incident page: timeline, figures, response level, what the signed-in role may do, statutory reports.

The page reads what ``GET /api/incidents/<id>`` answers (``services.incident_lookup.detail``) and
renders it on the server: names instead of codes, times in the configured zone, reasons and
labels through Babel. Its script (``static/js/incident.js``) writes through the JSON API
(``POST /api/incidents/<id>/transitions`` and ``…/reports``, each with a ``client_id``) and then
reloads the page's live sections from this same route, so one template draws every state.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain.indicators import AMOUNT_INDICATORS, LIMITS
from relief.domain.reports import NO_REPORTS_STATUSES
from relief.domain.vocabulary import REPORT_KINDS, ReportKind, Topic
from relief.errors import NotFound
from relief.services import incident_lookup
from relief.web.context import request_context
from relief.web.gate import actor_may, public
from relief.web.pages import map_strings
from relief.web.wording import in_language

bp = Blueprint("incident_pages", __name__)

#: Indicators shown in the figures table (the form asks for all of them).
TABLE_INDICATORS = ("affected", "dead", "missing", "relocated_centralised", "relocated_dispersed",
                    "collapsed_households", "severe_households", "economic_loss_10k_yuan")


def action_words() -> dict[str, str]:
    return {
        "start_verification": _("Start verification"), "verify": _("Verify"), "reject": _("Reject"),
        "mark_duplicate": _("Mark as duplicate"), "respond": _("Start the response"),
        "stabilise": _("Mark stabilised"), "close": _("Close the incident"),
    }


def report_kind_words() -> dict[str, str]:
    return {"initial": _("initial report (初报)"), "continued": _("continued report (续报)"),
            "verified": _("verified report (核报)")}


def unit_words() -> dict[str, str]:
    return {"people": _("people"), "rooms": _("rooms"), "households": _("households"), "ha": _("ha"),
            "10k_yuan": _("10,000 yuan")}


def indicator_groups() -> list[dict[str, Any]]:
    """The report form's fieldsets: ``{"legend", "fields": [(name, label, unit)]}``, every indicator once."""
    return [
        {"legend": _("People"), "fields": [
            ("affected", _("Affected population"), "people"), ("dead", _("Dead"), "people"),
            ("missing", _("Missing"), "people"), ("evacuated", _("Pre-emptively evacuated"), "people"),
            ("relocated_centralised", _("Relocated, centralised (at sites)"), "people"),
            ("relocated_dispersed", _("Relocated, dispersed"), "people"),
            ("emergency_aid", _("Needing emergency living aid"), "people"),
            ("transitional_aid", _("Needing transitional living aid"), "people"),
            ("drought_needing_aid", _("Needing aid because of drought"), "people")]},
        {"legend": _("Houses"), "fields": [
            ("collapsed_rooms", _("Collapsed"), "rooms"), ("collapsed_households", _("Collapsed"), "households"),
            ("severe_rooms", _("Severely damaged"), "rooms"),
            ("severe_households", _("Severely damaged"), "households"),
            ("general_rooms", _("Generally damaged"), "rooms"),
            ("general_households", _("Generally damaged"), "households")]},
        {"legend": _("Crops and losses"), "fields": [
            ("crops_affected_ha", _("Crops affected"), "ha"), ("crops_lost_ha", _("Crops totally lost"), "ha"),
            ("economic_loss_10k_yuan", _("Direct economic loss"), "10k_yuan")]},
    ]


def indicator_labels() -> dict[str, str]:
    """``{indicator: "label (unit)"}`` for tables and messages."""
    units = unit_words()
    return {name: f"{label} ({units[unit]})" for group in indicator_groups() for name, label, unit in group["fields"]}


def derived_words() -> dict[str, str]:
    """The response table's indicators (``domain.response.DERIVED``)."""
    return {
        "dead_missing": _("dead and missing"),
        "relocated_and_emergency_aid": _("relocated and needing emergency living aid"),
        "collapsed_severe_rooms": _("rooms collapsed or severely damaged"),
        "collapsed_severe_households": _("households whose house collapsed or was severely damaged"),
        "drought_needing_aid": _("people needing aid because of drought"),
    }


def level_reasons(reasons: list[Mapping[str, Any]]) -> list[str]:
    """Each reason the level was reached, as a sentence in the page's language."""
    words = derived_words()
    return [_("%(indicator)s: %(value)s, at or over %(threshold)s (level %(level)s)",
              indicator=words.get(r.get("indicator"), r.get("indicator")), value=_number(r.get("value")),
              threshold=_number(r.get("threshold")), level=r.get("level")) for r in reasons]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


def field_messages() -> dict[str, str]:
    """Messages shown next to a field the server refused, in the page's language (by the field it names)."""
    labels = indicator_labels()
    out = {f"indicators.{name}": (_("Enter a number, 0 or more.") if name in AMOUNT_INDICATORS
                                  else _("Enter a whole number, 0 or more."))
           for name in labels}
    for blamed, parts, bound in LIMITS:
        out[f"indicators.{blamed}:limit"] = _("%(parts)s may not exceed %(bound)s.",
                                              parts=" + ".join(labels[p] for p in parts), bound=labels[bound])
    out.update({
        "reason": _("Give a reason."), "duplicate_of": _("Give the number of the original incident."),
        "kind": _("This report does not fit the series: one initial report first, continued reports after it, "
                  "one verified report last."),
        "township_code": _("Choose a township of this incident's county."),
        "figures_to": _("Give the time the figures run to."),
        "action": _("This action is not possible any more; the page shows what is."),
        "incident": _("This incident takes no reports."),
    })
    return out


def page_strings() -> dict[str, str]:
    return {
        "sending": _("Sending…"), "done": _("Done."), "filed": _("Report filed."),
        "network": _("No network: nothing was changed. Try again."),
        "failed": _("Refused: %(why)s", why="{why}"), "updated": _("Updated."),
        "refresh_failed": _("Could not reload the incident; reload the page."),
        "need_township": _("Choose a township."), "series_closed": _("This township's series is closed."),
    }


def _timeline(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """History, field reports and statutory reports, newest first."""
    entries = [{"type": "transition", "at": t["at"], "item": t} for t in detail["transitions"]]
    entries += [{"type": "field", "at": r["observed_at"] or r["received_at"], "item": r}
                for r in detail["field_reports"]]
    entries += [{"type": "statutory", "at": r["submitted_at"], "item": r} for r in detail["statutory_reports"]]
    return sorted(entries, key=lambda e: (e["at"] or "", e["item"]["id"]), reverse=True)


def next_kinds(detail: Mapping[str, Any]) -> dict[str, str | None]:
    """The report kind each township sends next (None once its verified report is in)."""
    filed: dict[str, set[str]] = {}
    for report in detail["statutory_reports"]:
        filed.setdefault(report["township_code"], set()).add(report["kind"])
    out: dict[str, str | None] = {}
    for township in detail["townships"]:
        kinds = filed.get(township["code"], set())
        out[township["code"]] = None if ReportKind.VERIFIED in kinds else \
            ReportKind.CONTINUED if kinds else ReportKind.INITIAL
    return out


def page_language() -> str:
    return "zh" if str(get_locale()) == "zh" else "en"


def area_namer(names: Mapping[str, Mapping[str, str]]) -> Callable[[str | None], str]:
    """``area(code)``: the area's name in the page's language (the other language's, else the code, when missing)."""
    def area(code: str | None) -> str:
        return in_language(names.get(code or ""), code or "")

    return area


@bp.get("/incidents/<int:incident_id>")
@public
def incident_page(incident_id: int):
    try:
        detail = incident_lookup.detail(request_context(), incident_id)
    except NotFound:
        return render_template("incident.html", detail=None, incident_id=incident_id), 404
    lang = page_language()
    area = area_namer(detail["area_names"])
    props = detail["incident"]["properties"]
    status = props["status"]
    may_report = (actor_may("report.statutory") and actor_may("incident.report")
                  and status not in NO_REPORTS_STATUSES and bool(detail["townships"]))
    settings = {
        "id": incident_id, "county": props.get("county_code"), "township": props.get("township_code"),
        "topics": [Topic.INCIDENTS, Topic.REPORTS], "geometry": detail["incident"]["geometry"],
        "tileUrl": current_app.config.get("TILE_URL"), "tileAttribution": current_app.config.get("TILE_ATTRIBUTION"),
        "lang": lang,
        "limits": [{"field": blamed, "parts": list(parts), "bound": bound} for blamed, parts, bound in LIMITS],
    }
    return render_template(
        "incident.html", detail=detail, incident_id=incident_id, props=props, area=area, words=map_strings(),
        actions=action_words(), report_kinds=report_kind_words(), report_kind_order=REPORT_KINDS,
        groups=indicator_groups(), units=unit_words(), labels=indicator_labels(), table_indicators=TABLE_INDICATORS,
        amounts=AMOUNT_INDICATORS, reasons=level_reasons(detail["response_reason"]), timeline=_timeline(detail),
        next_kinds=next_kinds(detail), may_report=may_report, settings=settings,
        strings={**page_strings(), "fields": field_messages()})
