"""GET /dashboard: the five guarantees at a glance, sites' occupancy and cover, the dispatch plan.

The page is a shell; ``static/js/dashboard.js`` fills it from the JSON APIs
(counts are public; household rows, sites' cover and plans need staff
credentials, which the browser session supplies). Every word shown is
translated here with Flask-Babel and handed to the script; the guarantees,
verdicts and colours it iterates come from ``GET /api/map/styles``, as on the map.
Reasons are worded here too (``web/wording.py``, for every standards profile): the
script shows ``reasonWords[profile][g][reason_codes[g]]``, never the API's English text.
Aid flags are rendered on the server: open duplicate and missed aid flags by township (aggregate counts,
for anyone) and, for those who review aid (``aid_flags.review``), the oldest open flags; never a flag to
anyone else.
"""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.web import wording
from relief.web.context import request_context
from relief.web.gate import actor_may, public

bp = Blueprint("dashboard_pages", __name__)


def dashboard_strings() -> dict[str, str]:
    return {
        "food": _("Food"), "clothing": _("Clothing"), "water": _("Water"), "housing": _("Housing"),
        "medical": _("Medical care"), "met": _("met"), "at_risk": _("at risk"), "unmet": _("unmet"),
        "not_applicable": _("not applicable"), "prefecture": _("Prefecture"), "county": _("County"),
        "township": _("Township"), "village": _("Village"), "households": _("Households"),
        "household": _("Household"), "reasons": _("Reasons"), "site": _("Site"), "occupants": _("Occupants"),
        "capacity": _("Capacity"), "m2_per_person": _("m² per person"), "days_food": _("Days of food"),
        "days_water": _("Days of water"), "loading": _("Loading…"), "failed": _("Could not load"),
        "login_needed": _("Log in as staff to see households and plans."),
        "no_unmet": _("No household has an unmet guarantee."), "propose": _("Propose a dispatch plan"),
        "accept": _("Accept this plan"), "accepted": _("Plan accepted: the depot sends the convoy next."),
        "plan_empty": _("Nothing to dispatch: every open site is covered."), "depot": _("Depot"),
        "item": _("Item"), "quantity": _("Quantity"), "distance_km": _("Distance (km)"),
        "still_short": _("Still short after the plan"), "area": _("Area"), "unknown_area": _("outside known areas"),
        "all": _("All"), "as_of": _("Verdicts as of"),
        "in_scope_note": _("Bars count households in the relief scope; the figure after each bar is in scope / all."),
    }


@bp.get("/dashboard")
@public
def dashboard():
    settings = {
        "staff": actor_may("staff.read"),
        "mayPlan": actor_may("dispatch.plan"),
        "urls": {"guarantees": url_for("api_guarantees.list_guarantees"), "sites": "/api/sites",
                 "cover": "/api/cover", "plans": "/api/dispatch/plans"},
        "strings": dashboard_strings(), "locale": str(get_locale()),
        "reasonWords": wording.reason_words_by_profile(request_context().standards),
    }
    return render_template("dashboard.html", settings=settings, aid=aid_board(actor_may("aid_flags.review")))


def aid_board(reviewer: bool) -> dict:
    """Aid flags at a glance: unresolved flags by township and kind (aggregate counts, for anyone), and for
    those who review aid the oldest unresolved flags (household, purpose, since) linking to their chain.
    Never a flag to anyone else."""
    from relief.services import aid_chain
    from relief.services.incident_lookup import area_names
    from relief.web.aid_pages import flag_view, kind_labels

    ctx = request_context()
    board = aid_chain.counts(ctx, oldest=10 if reviewer else 0)
    oldest = [flag_view(f, False) for f in board.get("oldest", ())] if reviewer else []
    townships = board.get("by_township", [])
    codes = {t["township_code"] for t in townships if t.get("township_code")} | \
        {f["village_code"] for f in oldest if f.get("village_code")}
    names = area_names(ctx, codes)

    def name(code):
        return wording.in_language(names.get(code), code) if code else _("outside known areas")

    rows = sorted(({**t, "code": t.get("township_code"), "name": name(t.get("township_code"))} for t in townships),
                  key=lambda r: (-r["total"], r["name"]))
    return {"townships": rows, "oldest": oldest, "kinds": kind_labels(), "name": name, "reviewer": reviewer,
            "total": board.get("open", 0)}


@bp.app_context_processor
def wording_globals() -> dict:
    """``reason_words_by_profile()`` in templates: the map page hands it to the household popups."""
    return {"reason_words_by_profile": lambda: wording.reason_words_by_profile(request_context().standards)}
