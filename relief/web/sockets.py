"""Socket.IO handlers: who is connected, which rooms they join, catch-up.

Handlers never emit: joining and catch-up answer through the acknowledgement,
and every broadcast goes through :func:`relief.live.publish`.
"""
from __future__ import annotations

from flask import current_app, request, session
from flask_socketio import join_room, leave_room

from relief import live
from relief.domain.roles import may
from relief.services import accounts
from relief.services import events as event_service
from relief.web.context import base_context

_staff: dict[str, bool] = {}


def _is_staff(auth) -> bool:
    ctx = base_context()
    actor = None
    if isinstance(auth, dict) and auth.get("token"):
        actor = accounts.actor_for_token(ctx, str(auth["token"]))
    elif session.get("user_id"):
        actor = accounts.actor_for_id(ctx, session["user_id"])
    return bool(actor and may(actor.role, "staff.read"))


def init_app(app) -> None:
    socketio = live.socketio

    @socketio.on("connect", namespace=live.NAMESPACE)
    def connect(auth=None):
        _staff[request.sid] = _is_staff(auth)

    @socketio.on("disconnect", namespace=live.NAMESPACE)
    def disconnect(*_args):
        _staff.pop(request.sid, None)

    @socketio.on("subscribe", namespace=live.NAMESPACE)
    def subscribe(data=None):
        """Join the rooms for ``topics`` × ``areas`` (county codes, or all); returns the latest seq."""
        data = data if isinstance(data, dict) else {}
        topics = [t for t in (data.get("topics") or live.TOPICS) if t in live.TOPICS]
        areas = [str(a) for a in (data.get("areas") or [])] or [live.ALL_AREAS]
        staff = _staff.get(request.sid, False)
        for topic in live.TOPICS:
            for scope in (True, False):
                for area in [live.ALL_AREAS, *areas]:
                    leave_room(live.room(topic, area, staff=scope))
        for topic in topics:
            for area in areas:
                join_room(live.room(topic, area, staff=staff))
        return {"ok": True, "staff": staff, "topics": topics, "areas": areas,
                "latest_seq": event_service.latest_seq(base_context())}

    @socketio.on("catch_up", namespace=live.NAMESPACE)
    def catch_up(data=None):
        """Events after ``since`` for the client's topics/areas, or ``reload`` if too many were missed."""
        data = data if isinstance(data, dict) else {}
        try:
            since = int(data.get("since", 0))
        except (TypeError, ValueError):
            return {"error": {"code": "invalid", "message": "since must be a whole number", "field": "since"}}
        topics = [t for t in (data.get("topics") or live.TOPICS) if t in live.TOPICS]
        areas = [str(a) for a in (data.get("areas") or []) if a != live.ALL_AREAS] or None
        return event_service.catch_up(base_context(), since, topics=topics, areas=areas,
                                      staff=_staff.get(request.sid, False),
                                      limit=current_app.config["EVENT_CATCHUP_LIMIT"])
