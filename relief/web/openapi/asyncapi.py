"""The AsyncAPI 3.0 description of the live events (``GET /api/asyncapi.json``), generated from the code.

Channels are the Socket.IO rooms of namespace ``/live`` (``relief.live.room``): one per audience
(``staff``/``public``, ``relief.domain.audience``) and topic (``relief.domain.vocabulary.TOPICS``) with an
area parameter (a county code, ``*`` for all, ``-`` for events of no county). The event kinds of each
topic, and who may receive them, are read from the services' ``unit.emit(kind, topic, …, audience=…)``
calls themselves, so a new event appears here without anyone writing it down.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from typing import Any

from relief import live
from relief.domain.audience import Audience
from relief.domain.vocabulary import TOPICS

#: Where events are emitted (``unit.emit`` inside a service's transaction).
EMITTING_PACKAGES = ("relief.services",)

EVENT = {
    "type": "object",
    "required": ["seq", "kind", "topic", "area_code", "at", "payload"],
    "properties": {
        "seq": {"type": "integer", "minimum": 1, "description": "the outbox order; catch_up resumes after it"},
        "kind": {"type": "string"},
        "topic": {"type": "string"},
        "area_code": {"type": ["string", "null"], "description": "the county the event belongs to"},
        "at": {"type": "string", "format": "date-time"},
        "payload": {"type": "object"},
    },
}


def emitted_events() -> list[dict[str, str]]:
    """Every ``(kind, topic, audience, module)`` the services emit, sorted; found by reading their source."""
    found: dict[tuple[str, str, str], str] = {}
    for package_name in EMITTING_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            try:
                tree = ast.parse(inspect.getsource(module))
            except (OSError, TypeError):
                continue
            for node in ast.walk(tree):
                event = _emit_call(node, vars(module))
                if event is not None:
                    found.setdefault(event, module.__name__)
    return [{"kind": k, "topic": t, "audience": a, "module": m} for (k, t, a), m in sorted(found.items())]


def _emit_call(node: ast.AST, names: dict[str, Any]) -> tuple[str, str, str] | None:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
            and len(node.args) >= 2):
        return None
    kind, topic = _value(node.args[0], names), _value(node.args[1], names)
    audience = next((_value(k.value, names) for k in node.keywords if k.arg == "audience"), None)
    if not isinstance(kind, str) or not isinstance(topic, str):
        return None
    if isinstance(audience, Audience):
        return kind, str(topic), audience.value
    return kind, str(topic), "staff|public"  # chosen while running (e.g. by the record's disclosure)


def _value(node: ast.AST, names: dict[str, Any]) -> Any:
    """A constant, a module-level name or an attribute of one (``Topic.SITES``, ``guarantee_counts.KIND``)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _value(node.value, names)
        return getattr(owner, node.attr, None) if owner is not None else None
    if isinstance(node, ast.IfExp):
        return None
    return None


def build() -> dict[str, Any]:
    events = emitted_events()
    topics = list(dict.fromkeys([*TOPICS, *(e["topic"] for e in events)]))
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for event in events:
        name = _message_name(event["kind"])
        messages.setdefault(name, {
            "name": event["kind"], "title": event["kind"],
            "summary": f"{event['kind']} on topic {event['topic']} ({event['audience']}; emitted by "
                       f"{event['module']})",
            "payload": {"allOf": [{"$ref": "#/components/schemas/Event"},
                                  {"properties": {"kind": {"const": event["kind"]},
                                                  "topic": {"const": event["topic"]}}}]},
        })
    for audience in (Audience.STAFF, Audience.PUBLIC):
        for topic in topics:
            reached = [e for e in events if e["topic"] == topic and
                       (audience is Audience.STAFF or e["audience"] != Audience.STAFF.value)]
            channel = f"{audience.value}-{topic}"
            channels[channel] = {
                "address": live.room(topic, "{area}", staff=audience is Audience.STAFF),
                "title": f"{topic} events for {audience.value} connections",
                "description": f"Socket.IO room in namespace {live.NAMESPACE}; every event arrives as the "
                               f"Socket.IO event `event`. Joined with `subscribe`.",
                "parameters": {"area": {"$ref": "#/components/parameters/area"}},
                "messages": {_message_name(e["kind"]): {"$ref": f"#/components/messages/{_message_name(e['kind'])}"}
                             for e in reached},
            }
            operations[f"receive-{channel}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{channel}"},
                "summary": f"receive {topic} events"
                           + (" (needs a staff token or session)" if audience is Audience.STAFF else ""),
                "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"}
                             for m in channels[channel]["messages"]],
            }
    channels["live"] = {
        "address": live.NAMESPACE,
        "title": "the live namespace: requests a client sends (answered through the Socket.IO acknowledgement)",
        "messages": {"subscribe": {"$ref": "#/components/messages/subscribe"},
                     "catch_up": {"$ref": "#/components/messages/catch_up"}},
    }
    operations["subscribe"] = {"action": "send", "channel": {"$ref": "#/channels/live"},
                               "summary": "join the rooms for topics × areas (leaving those joined before)",
                               "messages": [{"$ref": "#/channels/live/messages/subscribe"}]}
    operations["catch_up"] = {"action": "send", "channel": {"$ref": "#/channels/live"},
                              "summary": "the events after `since` for the client's topics and areas, or reload",
                              "messages": [{"$ref": "#/channels/live/messages/catch_up"}]}
    messages["subscribe"] = {"name": "subscribe", "payload": {"type": "object", "properties": {
        "topics": {"type": "array", "items": {"type": "string", "enum": topics}},
        "areas": {"type": "array", "items": {"type": "string", "maxLength": 24}, "maxItems": 64}}},
        "summary": "acknowledged with {ok, staff, topics, areas, latest_seq}"}
    messages["catch_up"] = {"name": "catch_up", "payload": {"type": "object", "properties": {
        "since": {"type": "integer", "minimum": 0}, "topics": {"type": "array", "items": {"type": "string"}},
        "areas": {"type": "array", "items": {"type": "string"}}}},
        "summary": "acknowledged with {reload, events: [Event…], latest_seq}"}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "relief live events", "version": _version(),
                 "description": "Every committed change is published to Socket.IO rooms by audience, topic and "
                                "county (relief/live.py). Connect to namespace /live with `auth: {token}` (an API "
                                "token) or a staff session cookie for staff rooms; anyone else gets public rooms."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"Event": EVENT},
            "messages": messages,
            "parameters": {"area": {"description": f"a county code, {live.ALL_AREAS!r} for every area or "
                                                   f"{live.NO_AREA!r} for events of no county"}},
        },
    }


def _message_name(kind: str) -> str:
    return kind.replace(".", "_")


def _version() -> str:
    from relief.web.openapi import _version as version

    return version()
