"""Socket.IO handlers: who is connected, which rooms they join, catch-up.

Handlers never emit: joining and catch-up answer through the acknowledgement,
and every broadcast goes through :func:`relief.live.publish`. A connection is
staff when its ``auth`` payload carries a valid API token (``{"token": …}``,
from any origin: a token is never sent by the browser on its own) or its
handshake carried a logged-in session cookie from one of the app's own pages
(:mod:`relief.web.origins`: the request's host or ``RELIEF_ALLOWED_ORIGINS``);
anyone else, a foreign page riding a staff cookie included, is public and is
only ever put in public rooms.
"""
from __future__ import annotations


from flask import current_app, request, session
from flask_socketio import join_room, leave_room, rooms

from relief import live
from relief.domain.roles import may
from relief.services import events as event_service
from relief.web import origins
from relief.web.context import base_context, session_actor, token_actor
from relief.errors import Throttled

MAX_AREAS = 64

_staff: dict[str, bool] = {}


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
    return bool(actor and may(actor.role, "staff.read"))


def _allowed_origins(app) -> frozenset[str]:
    """``ALLOWED_ORIGINS`` (``RELIEF_ALLOWED_ORIGINS``) from the app's settings (parsed once per value)."""
    return origins.parse_allowed(app.config.get("ALLOWED_ORIGINS") or "")


def _cookie_counts() -> bool:
    return origins.cookie_counts(request.headers.get("Origin"), request.environ, _allowed_origins(current_app))


def _topics(data: dict) -> list[str]:
    asked = data.get("topics") or live.TOPICS
    return [t for t in asked if t in live.TOPICS] if isinstance(asked, (list, tuple)) else list(live.TOPICS)


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
        _staff[request.sid] = _is_staff(auth)

    @socketio.on("disconnect", namespace=live.NAMESPACE)
    def disconnect(*_args):
        _staff.pop(request.sid, None)

    @socketio.on("subscribe", namespace=live.NAMESPACE)
    def subscribe(data=None):
        """Join the rooms for ``topics`` × ``areas`` (county codes, or all), leaving any joined before; returns the latest seq."""
        data = data if isinstance(data, dict) else {}
        topics, areas = _topics(data), _areas(data)
        staff = _staff.get(request.sid, False)
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
                                      staff=_staff.get(request.sid, False),
                                      limit=current_app.config["EVENT_CATCHUP_LIMIT"])
