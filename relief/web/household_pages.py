"""Households: search, the household page and its edit form (staff pages).

``GET /households`` searches by the head's name, the ID number (exactly, or its last four or more
characters), the household id or the village (code or name), fifty at a time, rendered on the server
(``static/js/household_pages.js`` re-runs the search through ``GET /api/households`` as one types).
``GET /households/<household_id>`` shows one household: members and vulnerabilities, damage,
assistance category, shelter and site, its areas by name, the five guarantees as coloured badges
(``--verdict-*``) with the reason worded from its code (``web.wording.reason_words``, never the
domain's English text) and any shortfall, and what it received. Holders of ``household.manage`` get
the edit form, which the script sends as ``PATCH /api/households/<id>`` with a ``client_id`` and a
reason; a refusal is shown next to the field it names, in the page's language.

An anonymous browser is sent to the login page and back.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain.registers import VULNERABLE
from relief.domain.vocabulary import (
    ASSISTANCE_CATEGORIES,
    GUARANTEES,
    HOUSE_DAMAGE,
    AssistanceCategory,
    DispersedKind,
    Guarantee,
    GuaranteeStatus,
    HouseDamage,
    Shelter,
)
from relief.errors import NotFound, ValidationFailed
from relief.services import households
from relief.web import params
from relief.web.api_map import style_answer
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, requires
from relief.web.wording import in_language, reason_words, unit_word

bp = Blueprint("household_pages", __name__)

PAGE = 50



browsers_log_in_first(bp)


# --- words -----------------------------------------------------------------------------------

def guarantee_labels() -> dict[str, str]:
    labels = {Guarantee.FOOD: _("Food"), Guarantee.CLOTHING: _("Clothing"), Guarantee.WATER: _("Water"),
              Guarantee.HOUSING: _("Housing"), Guarantee.MEDICAL: _("Medical care")}
    return {g: labels.get(g, g) for g in GUARANTEES}


def verdict_labels() -> dict[str, str]:
    return {GuaranteeStatus.MET: _("met"), GuaranteeStatus.AT_RISK: _("at risk"), GuaranteeStatus.UNMET: _("unmet"),
            GuaranteeStatus.NOT_APPLICABLE: _("not applicable")}


def damage_labels() -> dict[str, str]:
    labels = {HouseDamage.NONE: _("not damaged"), HouseDamage.GENERAL: _("generally damaged"),
              HouseDamage.SEVERE: _("severely damaged"), HouseDamage.COLLAPSED: _("collapsed")}
    return {d: labels.get(d, d) for d in HOUSE_DAMAGE}


def category_labels() -> dict[str, str]:
    labels = {AssistanceCategory.NONE: _("none"), AssistanceCategory.DIBAO: _("minimum living guarantee (低保)"),
              AssistanceCategory.WUBAO: _("five-guarantee support (五保)"),
              AssistanceCategory.TEKUN: _("extreme poverty support (特困)"),
              AssistanceCategory.LOW_INCOME: _("low-income household"), AssistanceCategory.OTHER: _("other")}
    return {c: labels.get(c, c) for c in ASSISTANCE_CATEGORIES}


def shelter_labels() -> dict[str, str]:
    return {Shelter.HOME: _("at home"), Shelter.SITE: _("at a relocation site"),
            Shelter.DISPERSED: _("dispersed (host family, rented…)"), Shelter.NONE: _("no shelter yet")}


def dispersed_labels() -> dict[str, str]:
    return {DispersedKind.HOST_FAMILY: _("host family"), DispersedKind.RENTED: _("rented"),
            DispersedKind.OTHER: _("other")}


def count_labels() -> dict[str, str]:
    labels = {"members": _("Members"), "infants": _("Infants (under 2)"), "children": _("Children"),
              "elderly": _("Elderly"), "disabled": _("With disabilities"), "chronic": _("Chronically ill"),
              "pregnant": _("Pregnant"), "injured": _("Injured")}
    return {k: labels[k] for k in ("members", *VULNERABLE)}


def shortfall_text(guarantee: str, amount: float | None) -> str:
    """A shortfall in the standard's units, or "" when there is none."""
    if amount is None or amount <= 0:
        return ""
    n = f"{amount:,.0f}" if amount >= 10 else f"{amount:,.1f}"
    texts = {Guarantee.FOOD: _("%(n)s kcal short", n=n), Guarantee.WATER: _("%(n)s L short", n=n),
             Guarantee.HOUSING: _("%(n)s m² short", n=n), Guarantee.CLOTHING: _("%(n)s sets or pieces short", n=n)}
    return texts.get(guarantee, "")


def area_name(area: Mapping[str, Any] | None) -> str:
    """An area's name in the page's language (the other language's, else its code)."""
    if not area:
        return ""
    return in_language(area.get("name"), area.get("code") or "")


def script_strings() -> dict[str, Any]:
    """What the page script shows, in the page's language (refusals worded from the field and code)."""
    return {
        "searching": _("Searching…"), "none_found": _("No household matches."), "failed": _("Could not load"),
        "found": _("%(n)s households found", n="{n}"), "saving": _("Saving…"), "saved": _("Changes saved."),
        "unchanged": _("Nothing changed."), "reason_required": _("Say why the record is corrected."),
        "offline": _("No network: nothing was saved. Try again when online."),
        "busy": _("The server is busy: try again in a moment."),
        "forbidden": _("You may not edit households, or your session has ended: log in again."),
        "reused": _("This form was already sent with other values: reload the page and try again."),
        "refused": _("Not saved: check the marked field."),
        "next": _("Next"), "too_long": _("At most 80 characters."),
        "fields": {
            "members": _("A whole number from 1 to 200, at least the infants, children and elderly together."),
            **{k: _("A whole number, no more than the members.") for k in VULNERABLE},
            "house_damage": _("Choose one of the listed damage classes."),
            "assistance_category": _("Choose one of the listed categories."),
            "needs_living_aid": _("Tick or clear the box."),
            "phone": _("Digits, spaces and + ( ) - only, at most 24 characters."),
            "notes": _("At most 2,000 characters."), "reason": _("Say why the record is corrected (at most 500 "
                                                                   "characters)."),
        },
        "capacity": _("The site has room for %(free)s people of this household: check it out or move it first.",
                      free="{free}"),
        "labels": {"damage": damage_labels(), "category": category_labels(), "shelter": shelter_labels()},
    }


# --- pages -------------------------------------------------------------------------------------

@bp.get("/households")
@requires("staff.read")
def households_page():
    q, village = request.args.get("q", ""), request.args.get("village", "")
    offset = params.integer("offset", 0)
    error, results = None, None
    try:
        results = households.search(request_context(), q=q, village=village, offset=offset, limit=PAGE)
    except ValidationFailed as refused:
        error = {"field": refused.field, "text": _("At most 80 characters.")}
    settings = {"api": url_for("api_households.search"), "page": url_for("household_pages.households_page"),
                "limit": PAGE, "strings": script_strings(), "locale": str(get_locale())}
    return render_template("households.html", q=q, village=village, results=results, error=error,
                           settings=settings, labels=settings["strings"]["labels"], area_name=area_name)


@bp.get("/households/<household_id>")
@requires("staff.read")
def household_page(household_id: str):
    ctx = request_context()
    try:
        household = households.household_detail(ctx, household_id)
    except NotFound:
        return render_template("household.html", household=None, household_id=household_id), 404
    verdicts = household["guarantees"]
    words = reason_words(ctx.standards, verdicts.get("profile") or "normal")
    guarantees = [{"guarantee": g, "label": guarantee_labels()[g], "verdict": verdicts[g],
                   "verdict_label": verdict_labels().get(verdicts[g], verdicts[g]),
                   "reason": words.get(g, {}).get(verdicts["reason_codes"][g], ""),
                   "reason_code": verdicts["reason_codes"][g],
                   "shortfall": shortfall_text(g, verdicts["shortfalls"].get(g))} for g in GUARANTEES]
    may_edit = actor_may("household.manage")
    settings = {"api": url_for("api_households.edit", household_id=household_id), "strings": script_strings(),
                "householdId": household_id, "mayEdit": may_edit}
    return render_template(
        "household.html", household=household, household_id=household_id, guarantees=guarantees,
        may_edit=may_edit, counts=count_labels(), damage=damage_labels(), categories=category_labels(),
        shelters=shelter_labels(), dispersed=dispersed_labels(), unit_word=unit_word, area_name=area_name,
        settings=settings,
        styles=style_answer(), saved=request.args.get("saved") == "1")
