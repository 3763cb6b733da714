"""The one Socket.IO object, and ``publish``: the only place that emits.

Services write events into the ``events`` outbox inside their transaction and
hand them here after commit. Each event goes to the rooms of its topic for
"all areas" and for its county (or for "no area" when it has none); staff
rooms get every event, public rooms only those whose audience is public
(:mod:`relief.domain.audience`; catch-up follows the same rule). With ``REDIS_URL``
set, Socket.IO uses Redis as its message queue, so an event published by any
process (a web worker, ``relief import``) reaches the clients of every worker.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

from flask_socketio import SocketIO

from relief.domain.audience import Audience, received_by
from relief.jsonable import jsonable

NAMESPACE = "/live"
ALL_AREAS = "*"
NO_AREA = "-"

log = logging.getLogger(__name__)
socketio = SocketIO()


def init_app(app) -> None:
    """Bind the Socket.IO server to ``app``.

    ``RELIEF_SOCKETIO_CHANNEL`` names the Redis pub/sub channel, so several
    deployments (or test runs) can share one Redis without hearing each other.
    """
    async_mode = app.config.get("ASYNC_MODE") or _detect_async_mode()
    # Flask-SocketIO keeps the previous app's message queue when the next one names none: forget it here,
    # so an app without Redis never publishes through (or waits on) another app's queue.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=async_mode,
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config["SOCKETIO_CHANNEL"],
        # []: the transport takes every origin (public maps, token clients) and sends no CORS headers;
        # whether a handshake's session cookie counts is decided per origin in web/sockets.py.
        cors_allowed_origins=app.config.get("SOCKET_CORS_ORIGINS", []),
        ping_interval=10,
        ping_timeout=10,
    )


def _detect_async_mode() -> str:
    """gevent when ``relief serve`` monkey-patched the process, else threads."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:  # pragma: no cover - gevent is a dependency
        pass
    return "threading"


def room(topic: str, area: str | None, *, staff: bool) -> str:
    return f"{'staff' if staff else 'public'}/{topic}@{area or ALL_AREAS}"


def rooms_for(event: dict[str, Any]) -> list[str]:
    """Where an event goes: its topic's "all areas" room plus its county's, or the no-area room.

    A client watching some counties joins their rooms and :data:`NO_AREA`, so
    it also gets events that belong to no county (a prefecture-wide
    recomputation, a reload of the boundaries), exactly once each.
    """
    areas = [ALL_AREAS, event.get("area_code") or NO_AREA]
    audience = Audience.of_row(event["public"])  # only a true ``public`` reaches public rooms; no key: not sent
    scopes = [staff for staff in (True, False) if audience in received_by(staff=staff)]
    return [room(event["topic"], area, staff=staff) for staff in scopes for area in areas]


def client_rooms(topics: Iterable[str], areas: Iterable[str] | None, *, staff: bool) -> list[str]:
    """The rooms a client joins for ``topics`` in ``areas`` (county codes; None or empty: all)."""
    wanted = [a for a in (areas or []) if a != ALL_AREAS]
    joined = [*wanted, NO_AREA] if wanted else [ALL_AREAS]
    return [room(topic, area, staff=staff) for topic in topics for area in joined]


def publish(events: Iterable[dict[str, Any]]) -> None:
    """Emit committed events; a failure to emit never undoes the change."""
    for event in events:
        try:
            socketio.emit("event", wire(event), to=rooms_for(event), namespace=NAMESPACE)
        except Exception:  # the change is committed; clients catch up by seq
            log.exception("could not publish event %s", event.get("seq"))


def wire(event: dict[str, Any]) -> dict[str, Any]:
    """The JSON shape clients receive (also used by catch-up)."""
    return {
        "seq": event["seq"],
        "kind": event["kind"],
        "topic": event["topic"],
        "area_code": event.get("area_code"),
        "at": jsonable(event["at"]),
        "payload": jsonable(event["payload"]),
    }
