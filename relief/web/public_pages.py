"""The public disclosure of donations: a page and its JSON, no login.

Both show the same masked view (``services.donations.public_listing``):
donors' names masked unless they consented, contacts never shown. The page
shows times in the configured zone (``RELIEF_TIMEZONE``, Beijing time by
default), to the minute (``|local_time``, ``web/times.py``); the JSON keeps UTC ISO 8601.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, jsonify, render_template
from flask_babel import gettext as _

from relief.services import donations
from relief.web import params, times
from relief.web.context import base_context
from relief.web.gate import public

bp = Blueprint("public_pages", __name__)


def zone_label() -> str:
    """What the page calls the zone its times are in: Beijing time for UTC+8, else the offset."""
    offset = datetime.now(timezone.utc).astimezone(times.zone()).utcoffset() or timedelta(0)
    if offset == timedelta(hours=8):
        return _("Beijing time")
    minutes = int(offset.total_seconds() // 60)
    return "UTC{}{:02d}:{:02d}".format("+" if minutes >= 0 else "-", abs(minutes) // 60, abs(minutes) % 60)


def unit_words() -> dict[str, str]:
    """The catalogue's units in the page's language (a unit not listed here is shown as stored)."""
    return {
        "kg": _("kg"), "bag": _("bag"), "box": _("box"), "bottle": _("bottle"), "case": _("case"),
        "set": _("set"), "piece": _("piece"), "kit": _("kit"), "tent": _("tent"), "litre": _("litre"),
    }


@bp.get("/public/donations")
@public
def donations_page():
    listing = donations.public_listing(base_context(), **params.paging())
    return render_template("public_donations.html", listing=listing, zone_label=zone_label(), units=unit_words())


@bp.get("/api/public/donations")
@public
def donations_json():
    return jsonify(donations.public_listing(base_context(), **params.paging()))
