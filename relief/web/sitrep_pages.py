"""The daily situation report: the page, its PDF and its JSON figures.

- ``GET /api/sitrep?as_of=T`` (staff): the snapshot at ``T`` (default now) with its figures and the
  changes since the previous issued sitrep; ``format=edxl`` answers the key figures as EDXL-SitRep 1.0.
- ``POST /api/sitrep/issue`` (``dispatch.plan``: commanders): ``{"client_id", "as_of"?}`` issues the sitrep
  at ``as_of`` (default now, to the second); resend-safe, and the same ``as_of`` again is the same report.
- ``GET /sitrep`` (staff): the current snapshot, earlier issued sitreps and, for commanders, the button
  that issues today's report; ``GET /sitrep/<number>.pdf``: an issued sitrep drawn from its kept figures.

The report document (``templates/sitrep.html``) is self-contained (inline CSS, SVG map and charts, no
request leaves it) and is drawn only from the snapshot, so one snapshot gives the same bytes every time.
Words are chosen here (Babel); the domain gives highlight codes and parameters. The PDF is WeasyPrint's,
run through ``ctx.offload`` so it never holds up the serving loop.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from maps import styles
from relief.domain import sitrep as rules
from relief.domain.vocabulary import GUARANTEES
from relief.services import sitrep as service
from relief.services import sitrep_json
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import actor_may, public, requires
from relief.web.resend import answer_once
from relief.web.wording import in_language

bp = Blueprint("sitrep_pages", __name__)


# --- words ----------------------------------------------------------------------------------------

def figure_words() -> dict[str, str]:
    return {
        "affected": _("Affected population"), "dead": _("Dead"), "missing": _("Missing"),
        "relocated_centralised": _("Relocated, centralised (cumulative)"),
        "relocated_dispersed": _("Relocated, dispersed (cumulative)"),
        "relocated_centralised_now": _("Relocated, centralised (now)"),
        "relocated_dispersed_now": _("Relocated, dispersed (now)"),
        "collapsed_households": _("Houses collapsed (households)"), "collapsed_rooms": _("Houses collapsed (rooms)"),
        "severe_households": _("Houses severely damaged (households)"),
        "severe_rooms": _("Houses severely damaged (rooms)"),
        "general_households": _("Houses generally damaged (households)"),
        "general_rooms": _("Houses generally damaged (rooms)"),
        "economic_loss_10k_yuan": _("Direct economic loss (10,000 yuan)"),
        "food": _("Food"), "clothing": _("Clothing"), "water": _("Water"), "housing": _("Housing"),
        "medical": _("Medical care"),
    }


def words() -> dict[str, str]:
    return {
        "title": _("Situation report"), "number": _("No."), "period": _("Period covered"), "as_of": _("As of"),
        "previous": _("Previous report"), "none": _("none"), "next_due": _("Next report due"),
        "standards": _("Standards version"), "highlights": _("Highlights"), "key_figures": _("Key figures"),
        "figure": _("Figure"), "value": _("Value"), "change": _("Change since previous report"),
        "source": _("Source"), "map": _("Map"), "map_legend": _("Incidents by response level"),
        "no_level": _("no level"), "chart_affected": _("Affected population by county"),
        "by_county": _("Figures by county"), "by_township": _("Figures by township"),
        "county": _("County"), "township": _("Township"), "townships": _("Townships"),
        "others": _("Others"), "total": _("Total"), "sites": _("Relocation sites and occupancy"),
        "sites_open": _("Open sites"), "capacity": _("Capacity"), "persons": _("Persons there"),
        "full": _("Full"), "site": _("Site"), "occupancy": _("Occupancy"), "fullest": _("Fullest sites"),
        "stock": _("Stock and days of cover"), "item": _("Item"), "quantity": _("Quantity"),
        "min_days": _("Fewest days of cover"), "sites_short": _("Sites running out within the horizon"),
        "horizon": _("Horizon (hours)"), "guarantees": _("Five guarantees: households unmet"),
        "households": _("Households"), "any": _("Any guarantee"),
        "reconstruction": _("Reconstruction"), "houses": _("Houses"), "enrolled": _("Enrolled"),
        "started_rate": _("Started"), "completed_rate": _("Completed"), "moved_in_rate": _("Moved in"),
        "overdue": _("Overdue statutory reports"), "overdue_none": _("No statutory report is overdue."),
        "initial": _("Initial"), "continued": _("Continued"), "verified": _("Verified"),
        "count": _("Count"), "no_data": _("Nothing to show."), "issued": _("Issued"),
        "draft": _("Not issued yet"), "earlier": _("Earlier reports"), "issue": _("Issue today's report"),
        "issued_ok": _("Issued as report"), "issue_failed": _("Could not issue the report"),
        "download_pdf": _("PDF"), "issued_by": _("Issued by"), "api": _("API"),
        "outside": _("outside known areas"),
    }


def highlight_text(item: Mapping[str, Any], snap: Mapping[str, Any]) -> str:
    """One highlight in words, from its code and parameters."""
    code, p = item["code"], item.get("params") or {}
    names = figure_words()
    if code == rules.FIRST_REPORT:
        return _("First report: %(affected)s people affected, %(dead)s dead, %(missing)s missing.",
                 affected=_n(p["affected"]), dead=_n(p["dead"]), missing=_n(p["missing"]))
    if code == rules.FIGURE_ROSE:
        return _("%(figure)s rose by %(delta)s to %(value)s.", figure=names.get(p["figure"], p["figure"]),
                 delta=_n(p["delta"]), value=_n(p["value"]))
    if code == rules.FIGURE_FELL:
        return _("%(figure)s fell by %(delta)s to %(value)s.", figure=names.get(p["figure"], p["figure"]),
                 delta=_n(p["delta"]), value=_n(p["value"]))
    if code == rules.COUNTY_ROSE:
        return _("The largest rise in affected population: %(county)s, %(delta)s more.",
                 county=area_name(snap_county(snap, p["county"])), delta=_n(p["delta"]))
    if code == rules.UNMET:
        return _("%(households)s households have at least one guarantee unmet.", households=_n(p["households"]))
    if code == rules.OVERDUE:
        return _("%(count)s statutory reports are overdue.", count=_n(p["count"]))
    if code == rules.SITES_FULL:
        return _("%(count)s relocation sites are full.", count=_n(p["count"]))
    if code == rules.NO_CHANGE:
        return _("No key figure changed since the previous report.")
    return code


def snap_county(snap: Mapping[str, Any], code: str | None) -> Mapping[str, Any]:
    return next((c["name"] for c in snap.get("counties", []) if c["code"] == code), {"zh": code, "en": code})


def area_name(name: Mapping[str, Any] | None, fallback: str = "") -> str:
    """The area's name in the page's language (Chinese names stay Chinese in English when there is no other)."""
    return in_language(name, fallback)


def _n(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _delta(value: Any) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    return ("+" if value > 0 else "−") + _n(abs(value))


def _pct(value: Any) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


# --- rendering ------------------------------------------------------------------------------------

def render_html(snap: Mapping[str, Any]) -> str:
    """The self-contained report document for one snapshot, in the current locale (needs an app context)."""
    return render_template("sitrep.html", **_template_values(snap))


def _template_values(snap: Mapping[str, Any]) -> dict[str, Any]:
    counties = snap.get("counties", [])
    chart = sorted(counties, key=lambda c: (-(c.get("affected") or 0), c["code"]))[:12]
    return {
        "s": snap, "w": words(), "fw": figure_words(), "n": _n, "delta": _delta, "pct": _pct,
        "area": area_name, "highlights": [highlight_text(h, snap) for h in snap.get("highlights", [])],
        "level_colours": styles.RESPONSE_LEVEL_COLOURS, "guarantees": list(GUARANTEES),
        "chart": list(zip(chart, rules.bars([c.get("affected") for c in chart], 380.0))),
        "lang": str(get_locale() or "zh"),
    }


def render_locale(app, snap: Mapping[str, Any], locale: str) -> str:
    """``render_html`` outside a request (the command line), in ``locale``."""
    with app.test_request_context("/sitrep"), force_locale(locale):
        return render_html(snap)


def render_app(settings: Mapping[str, Any]):
    """An app with only what the report's templates need (templates, Babel, ``|local_time``), for
    ``render_locale`` on the command line: building the whole web app (every page, Socket.IO, the map
    exporter) took most of a report's time there."""
    from flask import Flask

    from relief import asset_folder, i18n
    from relief.web import times

    app = Flask("relief", template_folder=asset_folder("templates"), static_folder=None)
    app.config.update(settings)
    i18n.init_app(app)
    times.init_app(app)
    return app


def pdf_bytes(html: str) -> bytes:
    """The report document as PDF (WeasyPrint; fonts from the system: Noto Sans CJK for Chinese)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None).write_pdf()


# --- routes ---------------------------------------------------------------------------------------

def _as_of() -> datetime | None:
    return params.query_time("as_of")


@bp.get("/api/sitrep")
@requires("staff.read")
def sitrep_json_answer():
    ctx = request_context()
    snap = service.snapshot(ctx, _as_of())
    if (request.args.get("format") or "json") == "edxl":
        return Response(sitrep_json.edxl(snap, ctx.standards.edxl_sitrep), mimetype="application/xml")
    return jsonify(sitrep_json.answer(snap))


@bp.post("/api/sitrep/issue")
@requires("dispatch.plan")
def issue():
    body = params.json_body()
    as_of = params.timestamp(body.get("as_of"), "as_of", required=False)
    return answer_once("sitrep.issue", body, lambda ctx: service.issue(ctx, as_of))


@bp.get("/sitrep")
@requires("staff.read")
def sitrep_page():
    ctx = request_context()
    snap = service.snapshot(ctx, _as_of())
    return render_template("sitrep_page.html", report=render_html(snap), snap=snap, w=words(),
                           earlier=service.issued_list(ctx), may_issue=actor_may("dispatch.plan"))


@bp.get("/sitrep/<int:number>.pdf")
@requires("staff.read")
def sitrep_pdf(number: int):
    ctx = request_context()
    html = render_html(service.stored(ctx, number))
    pdf = ctx.offload(pdf_bytes, html)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="sitrep-{number}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.get("/sitrep/style.css")
@public
def sitrep_style():
    """The report's stylesheet for the page (the report file and PDF carry the same rules inline)."""
    response = Response(render_template("sitrep_style.css"), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
