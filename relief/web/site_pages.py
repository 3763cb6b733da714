"""The relocation-site pages: the list of sites, and one site's page for its manager.

``GET /sites`` lists every site with its county and township, status, occupants against capacity, m² per person
and free places. ``GET /sites/<site_id>`` shows one site: occupancy against the space standard, the households
checked in, and (with ``site.manage``) check-in, check-out and the status form; its stock and days of cover. Both
are staff pages: an anonymous browser is sent to the login page and back.

The site page is rendered with its figures; ``static/js/site_pages.js`` keeps them current and writes through
the JSON API (``POST /api/households/<id>/checkin`` and ``/checkout``, ``POST /api/sites/<id>/status``), each
send with a ``client_id``. The households checked in come from ``GET /sites/<site_id>/occupants.json``. Every
word the script shows is translated here and handed to it, refusals included (worded from the error's code and
detail, never the server's English message).
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, abort, jsonify, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from relief.domain.vocabulary import (
    CHECKOUT_DESTINATIONS,
    DISPERSED_KINDS,
    SHELTERS,
    SITE_STATUSES,
    DispersedKind,
    Shelter,
    SiteKind,
    SiteStatus,
)
from relief.errors import NotFound
from relief.services import sites
from relief.web.context import request_context
from relief.web.gate import actor_may, browsers_log_in_first, requires
from relief.web.wording import in_language

bp = Blueprint("site_pages", __name__)



browsers_log_in_first(bp)


def kind_label(kind: str | None) -> str:
    labels = {SiteKind.SCHOOL: _("school"), SiteKind.GYM: _("gym"), SiteKind.TENT_CAMP: _("tent camp"),
              SiteKind.COMMUNITY_CENTRE: _("community centre"), SiteKind.OTHER: _("other")}
    return labels.get(kind, kind or "")


def status_labels() -> dict[str, str]:
    """A site's status words (``SiteStatus``), in the user's language."""
    labels = {SiteStatus.OPEN: _("open"), SiteStatus.CLOSED: _("closed")}
    return {status: labels.get(status, status) for status in SITE_STATUSES}


def destination_labels() -> dict[str, str]:
    """Where a household may go on leaving (``CHECKOUT_DESTINATIONS``), in the user's language."""
    labels = {Shelter.HOME: _("back home"), Shelter.DISPERSED: _("dispersed (host family, rented…)"),
              Shelter.NONE: _("no shelter yet")}
    return {to: labels.get(to, to) for to in CHECKOUT_DESTINATIONS}


def shelter_labels() -> dict[str, str]:
    """Where a household found by the search is now (a site is named by the script)."""
    labels = {Shelter.HOME: _("at home"), Shelter.DISPERSED: _("dispersed"), Shelter.NONE: _("no shelter")}
    return {shelter: labels[shelter] for shelter in SHELTERS if shelter in labels}


def dispersed_labels() -> dict[str, str]:
    labels = {DispersedKind.HOST_FAMILY: _("host family"), DispersedKind.RENTED: _("rented"),
              DispersedKind.OTHER: _("other")}
    return {kind: labels.get(kind, kind) for kind in DISPERSED_KINDS}


def space_labels() -> dict[str, str]:
    """The housing check's words for a site's covered space per person."""
    return {"site_space_ok": _("meets the standard"), "site_space_tight": _("below the standard"),
            "site_space_crowded": _("below the minimum")}


def unit_labels() -> dict[str, str]:
    """Words for the catalogue's units (a unit not listed is shown as stored)."""
    return {"kg": _("kg"), "bag": _("bags"), "box": _("boxes"), "bottle": _("bottles"), "case": _("cases"),
            "set": _("sets"), "piece": _("pieces"), "kit": _("kits"), "tent": _("tents")}


def field_labels() -> dict[str, str]:
    """The request fields a refusal may name, as the forms label them."""
    return {"site_id": _("Site"), "household_id": _("Household"), "to": _("Leaves for"),
            "dispersed_kind": _("Dispersed how"), "reason": _("Reason"), "status": _("Status")}


def area_name(names: Mapping[str, str] | None) -> str:
    """An area's name in the user's language (the other one when it has none)."""
    return in_language(names)


def worded(row: Mapping[str, Any]) -> dict[str, Any]:
    """A site row with its words in the user's language beside the codes."""
    return {**row, "county": area_name(row.get("county_name")), "township": area_name(row.get("township_name")),
            "kind_label": kind_label(row.get("kind")),
            "status_label": status_labels().get(row["status"], row["status"]),
            "space_label": space_labels().get(row.get("space"), "")}


def page_strings() -> dict[str, str]:
    """Words the site script shows, translated on the server."""
    return {
        "loading": _("Loading…"), "failed": _("Could not load"), "none_here": _("Nobody is checked in here."),
        "no_match": _("No household matches."), "type_more": _("Type a name, ID number or household id."),
        "searching": _("Searching…"), "check_in": _("Check in here"), "here_already": _("already here"),
        "at_site": _("at %(site)s", site="{site}"), "members": _("members"),
        "checked_in": _("%(name)s is checked in.", name="{name}"),
        "checked_out": _("%(name)s has left the site.", name="{name}"), "check_out": _("Check out"),
        "status_saved": _("Status saved."), "status_same": _("The site already has this status."),
        "unknown_time": _("not recorded"), "no_stock": _("No stock held at this site."),
        "not_consumed_daily": _("not used up daily"), "supplied": _("supplied by the site"),
        "days": _("%(days)s days", days="{days}"), "food": _("Food"), "water": _("Water"),
        "runs_out": _("runs out %(when)s", when="{when}"), "sending": _("Sending…"),
        "need_reason": _("Give a reason."), "need_kind": _("Choose how the household is dispersed."),
        # refusals, by the API's error codes
        "err_capacity_exceeded": _("Not enough room: %(free)s free places, the household has %(needed)s members.",
                                   free="{free}", needed="{needed}"),
        "err_site_closed": _("This site is closed: it takes nobody new."),
        "err_conflict": _("Refused: the site's state does not allow it."),
        "err_forbidden": _("Your role may not do this."),
        "err_not_authenticated": _("Your session has ended: log in again."),
        "err_not_found": _("Not found: it may have been removed."),
        "err_invalid": _("Check the field: %(field)s.", field="{field}"),
        "err_client_id_reused": _("This form was already sent with other values; send it again."),
        "err_busy": _("The server is busy; try again in a moment."),
        "err_network": _("No connection: nothing was saved. Try again."),
        "err_other": _("Refused by the server (%(code)s).", code="{code}"),
    }


@bp.get("/sites")
@requires("staff.read")
def site_list():
    listing = sites.site_list(request_context())
    return render_template("sites.html", rows=[worded(row) for row in listing["sites"]],
                           standard=listing["standard_m2_per_person"], floor=listing["floor_m2_per_person"])


@bp.get("/sites/<site_id>")
@requires("staff.read")
def site_page(site_id: str):
    ctx = request_context()
    try:
        site = worded(sites.site_summary(ctx, site_id))
    except NotFound:
        abort(404)
    may_manage = actor_may("site.manage")
    may_move = may_manage and actor_may("household.manage")
    settings = {
        "siteId": site_id, "siteName": site["name"], "mayManage": may_manage, "mayMove": may_move,
        "capacity": site["capacity_persons"], "standard": site["standard_m2_per_person"],
        "floor": site["floor_m2_per_person"], "area": site["covered_area_m2"],
        "urls": {"site": f"/api/sites/{site_id}", "occupants": url_for("site_pages.occupants", site_id=site_id),
                 "households": "/api/households", "cover": f"/api/cover?site_id={site_id}",
                 "balances": f"/api/stock/balances?holder_kind=site&holder_id={site_id}",
                 "checkin": "/api/households/{id}/checkin", "checkout": "/api/households/{id}/checkout",
                 "status": f"/api/sites/{site_id}/status", "household": "/households/{id}"},
        "strings": page_strings(), "statuses": status_labels(), "destinations": destination_labels(),
        "dispersedKinds": dispersed_labels(), "space": space_labels(), "units": unit_labels(),
        "shelters": shelter_labels(), "fields": field_labels(),
        "shelter": {"site": Shelter.SITE.value, "dispersed": Shelter.DISPERSED.value},
        "locale": str(get_locale()),
    }
    return render_template("site.html", site=site, settings=settings, statuses=status_labels(),
                           destinations=destination_labels(), dispersed_kinds=dispersed_labels(),
                           may_manage=may_manage, may_move=may_move, dispersed=Shelter.DISPERSED.value)


@bp.get("/sites/<site_id>/occupants.json")
@requires("staff.read")
def occupants(site_id: str):
    """The households checked in at a site, newest check-in first (names are staff-only)."""
    return jsonify(sites.site_occupants(request_context(), site_id))
