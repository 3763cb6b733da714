"""The public CAP feed: ``GET /cap/feed.atom`` and each current message at ``GET /cap/alerts/<identifier>.xml``.

Anyone may read them (the alerts are public warnings); the work is :mod:`relief.services.cap_feed`.
"""
from __future__ import annotations

from flask import Blueprint, Response, url_for

from relief.services import cap_feed
from relief.web.context import request_context
from relief.web.gate import public

bp = Blueprint("cap_feed", __name__, url_prefix="/cap")

#: Aggregators poll; a minute's caching costs an alert at most a minute.
CACHE = "public, max-age=60"


@bp.get("/feed.atom")
@public
def feed():
    body = cap_feed.atom(request_context(), feed_url=url_for("cap_feed.feed", _external=True),
                         message_url=url_for("cap_feed.message", identifier="IDENTIFIER", _external=True)
                         .replace("IDENTIFIER", "{identifier}"))
    return Response(body, mimetype="application/atom+xml", headers={"Cache-Control": CACHE})


@bp.get("/alerts/<identifier>.xml")
@public
def message(identifier: str):
    xml = cap_feed.message(request_context(), identifier)
    return Response(xml, mimetype="application/cap+xml", headers={"Cache-Control": CACHE})
