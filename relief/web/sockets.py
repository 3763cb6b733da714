"""Socket.IO handlers: who is connected, which rooms they join, catch-up.

Handlers never emit: joining and catch-up answer through the acknowledgement,
and every broadcast goes through :func:`relief.live.publish`. A connection is
staff when its ``auth`` payload carries a valid API token (``{"token": …}``,
from any origin: a token is never sent by the browser on its own) or its
handshake carried a logged-in session cookie from one of the app's own pages
(:mod:`relief.web.origins`: the request's host or ``RELIEF_ALLOWED_ORIGINS``);
anyone else, a foreign page riding a staff cookie included, is public and is
only ever put in public rooms. That decision is taken once, at the handshake, and
kept in the connection's own Socket.IO session (Flask-SocketIO's per-connection
copy of the user session), so it ends with the connection.
"""
from __future__ import annotations

from flask import current_app, request, session
from flask_socketio import join_room, leave_room, rooms

from relief import live
from relief.domain.vocabulary import TOPICS
from relief.errors import Throttled
from relief.services import events as event_service
from relief.web import origins
from relief.web.context import base_context, session_actor, token_actor

MAX_AREAS = 64

#: Where a connection's session keeps whether its handshake was staff's.
STAFF_KEY = "live_staff"


def _is_staff(auth) -> bool:
    """A live session's cookie from an allowed origin, or a token (throttled per address like the API's)."""
    actor = None
    if isinstance(auth, dict) and auth.get("token"):
        try:
            actor = token_actor(str(auth["token"]))
        except Throttled:  # too many bad tokens from this address: the connection stays public
            actor = None
    elif session.get("user_id") and _cookie_counts():
        actor = session_actor()
    return actor is not None and actor.may("staff.read")


def _staff() -> bool:
    """Whether this connection's handshake was staff's (never the HTTP session's own say)."""
    return session.get(STAFF_KEY) is True


def _allowed_origins(app) -> frozenset[str]:
    """``ALLOWED_ORIGINS`` (``RELIEF_ALLOWED_ORIGINS``) from the app's settings (parsed once per value)."""
    return origins.parse_allowed(app.config.get("ALLOWED_ORIGINS") or "")


def _cookie_counts() -> bool:
    return origins.cookie_counts(request.headers.get("Origin"), request.environ, _allowed_origins(current_app))


def _topics(data: dict) -> list[str]:
    asked = data.get("topics") or TOPICS
    return [t for t in asked if t in TOPICS] if isinstance(asked, (list, tuple)) else list(TOPICS)


def _areas(data: dict) -> list[str]:
    """County codes asked for; none (or ``*``) means every area."""
    asked = data.get("areas") or []
    if not isinstance(asked, (list, tuple)):
        return []
    areas = [str(a)[:24] for a in asked if a and str(a) != live.ALL_AREAS]
    return [] if live.ALL_AREAS in map(str, asked) else areas[:MAX_AREAS]


def init_app(app) -> None:
    socketio = live.socketio
    _allowed_origins(app)  # a malformed RELIEF_ALLOWED_ORIGINS stops the start, not the first handshake

    @socketio.on("connect", namespace=live.NAMESPACE)
    def connect(auth=None):
        session[STAFF_KEY] = _is_staff(auth)

    @socketio.on("subscribe", namespace=live.NAMESPACE)
    def subscribe(data=None):
        """Join the rooms for ``topics`` × ``areas`` (county codes, or all), leaving any joined before; returns the
        latest seq."""
        data = data if isinstance(data, dict) else {}
        topics, areas = _topics(data), _areas(data)
        staff = _staff()
        for joined in rooms(namespace=live.NAMESPACE):
            if joined != request.sid:
                leave_room(joined)
        for name in live.client_rooms(topics, areas, staff=staff):
            join_room(name)
        return {"ok": True, "staff": staff, "topics": topics, "areas": areas or [live.ALL_AREAS],
                "latest_seq": event_service.latest_seq(base_context())}

    @socketio.on("catch_up", namespace=live.NAMESPACE)
    def catch_up(data=None):
        """Events after ``since`` for the client's topics/areas, or ``reload`` if too many were missed."""
        data = data if isinstance(data, dict) else {}
        try:
            since = int(data.get("since", 0))
        except (TypeError, ValueError):
            return {"error": {"code": "invalid", "message": "since must be a whole number", "field": "since"}}
        return event_service.catch_up(base_context(), since, topics=_topics(data), areas=_areas(data) or None,
                                      staff=_staff(),
                                      limit=current_app.config["EVENT_CATCHUP_LIMIT"])
