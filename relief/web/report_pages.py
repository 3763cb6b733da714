"""Pages for the field and the desk: the offline-capable report form and the overdue list.

The report form's service worker is served from ``/report-sw.js`` with
``Service-Worker-Allowed: /report`` so it can control ``/report`` itself
(a worker under ``/report/`` could not: its scope would stop at the slash).
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request, send_from_directory
from flask_babel import gettext as _

from relief.domain.vocabulary import INCIDENT_KINDS
from relief.services import incident_lookup, statutory
from relief.web import params
from relief.web.context import current_actor, request_context
from relief.web.gate import public
from relief.web.incident_pages import area_namer

bp = Blueprint("report_pages", __name__)

#: The boundaries the report form draws and places a position in (the service worker keeps a copy for offline use).
AREA_URLS = ("/api/map/areas?level=county", "/api/map/areas?level=township")

#: The few indicators a field team can give on the spot (the full set goes through the API).
FIELD_INDICATORS = ("affected", "dead", "missing", "collapsed_households", "relocated_centralised")


def report_strings() -> dict[str, str]:
    """Words the report script shows, translated on the server."""
    return {
        "queued": _("queued"), "sending": _("sending"), "sent": _("sent"), "failed": _("failed"),
        "retry": _("Retry"), "remove": _("Remove"), "locating": _("Finding your position…"),
        "located": _("Position from GPS (±%(m)s m)", m="{m}"), "picked": _("Position picked on the map"),
        "no_position": _("No position yet: use GPS or tap the map."),
        "gps_failed": _("GPS failed: %(why)s. Tap the map instead.", why="{why}"),
        "offline": _("Offline: reports wait on this phone and are sent when the network returns."),
        "online": _("Online"), "need_auth": _("Log in or save an access token before sending."),
        "token_saved": _("Token saved on this phone."), "incident": _("Incident"),
        "network_wait": _("waiting for the network"), "server_busy": _("server unavailable; will retry"),
        "photos": _("photos"), "need_kind": _("Choose what happened."),
        "township_from_position": _("Township from the position: %(name)s", name="{name}"),
        "outside_areas": _("The position is outside our boundaries: choose the township by hand."),
        "areas_unavailable": _("Boundaries not loaded yet: choose the township when the network returns."),
    }


@bp.get("/report")
@public
def report_form():
    actor = current_actor()
    settings = {
        "user": {"name": actor.name, "role": actor.role} if actor.id else None,
        "tileUrl": current_app.config.get("TILE_URL"),
        "tileAttribution": current_app.config.get("TILE_ATTRIBUTION"),
        "indicators": list(FIELD_INDICATORS),
        "areas": {"county": AREA_URLS[0], "township": AREA_URLS[1]},
    }
    return render_template("report.html", settings=settings, strings=report_strings(), kinds=INCIDENT_KINDS,
                           indicators=FIELD_INDICATORS)


@bp.get("/report-sw.js")
@public
def report_service_worker():
    response = send_from_directory(current_app.static_folder, "js/report-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/report"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/reports/overdue")
@public
def overdue_page():
    as_of: datetime | None = params.query_time("as_of")
    ctx = request_context()
    listing = statutory.overdue(ctx, as_of)
    codes = {code for row in (*listing["items"], *listing["by_county"])
             for code in (row.get("county_code"), row.get("township_code")) if code}
    return render_template("overdue.html", listing=listing, as_of_given=request.args.get("as_of", ""),
                           area=area_namer(incident_lookup.area_names(ctx, codes)))

