"""Every live event states its audience, and the public never hears about a household.

Three guards: the code (every ``.emit(`` under ``relief/`` passes an explicit
``Audience``, and only reviewed kinds are public), the running unit (an event
without an audience cannot be queued), and the wire (an anonymous map that
watches every topic while real changes go through the API receives, live and
on catch-up, no household id, name, phone, id number or per-household
verdict, while staff do receive ``guarantee.changed``). Plus the two doors
around them: a staff cookie from a foreign page is not staff on the socket,
and ``/api/cover`` is for staff.
"""
from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

import relief
from relief import live
from relief.domain.audience import Audience
from relief.domain.vocabulary import TOPICS
from relief.services.guarantees import GUARANTEES
from tests import world
from tests.web.test_sockets import connect, events_of

SOURCE = Path(relief.__file__).parent

#: The kinds anyone may hear: each must carry only what the public REST API also answers without a login.
#: Adding one here is a privacy decision; review its payload first.
PUBLIC_KINDS = {"incident.created", "incident.updated", "incident.transitioned", "incident.level_changed",
                "report.added", "site.occupancy_changed", "donation.recorded", "areas.reloaded", "guarantee.counts",
                # the public notice (公示): cases masked as the notice page shows them (assistance_json.public_case)
                "notice.changed"}
#: Household-level events: never public.
STAFF_KINDS = {"guarantee.changed", "stock.changed", "dispatch.accepted", "report.overdue"}

PRIVATE = {"id": "HH-PRIVATE-1", "head_name": "户主甲乙丙", "phone": "13912345678", "id_number": "42280119800101123X"}
OTHER = {"id": "HH-PRIVATE-2", "head_name": "户主丁戊己", "phone": "13987654321", "id_number": "42280119900202456X"}
HOUSEHOLD_KEYS = {"household_id", "head_name", "phone", "id_number", "changes", "before", "after", "members"}
VERDICTS = {"met", "at_risk", "unmet", "not_applicable", "unknown"}


# --- the code: every emit declares its audience ------------------------------------------

def emit_calls() -> list[tuple[str, ast.Call]]:
    """``(module, call)`` for every ``<something>.emit(...)`` in the package except Socket.IO's own."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit"
                    and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "socketio")):
                found.append((module, node))
    return found


def declared_audiences() -> dict[str, set[Audience]]:
    """Event kind → the audiences its emit calls declare (kind and audience evaluated in their module)."""
    kinds: dict[str, set[Audience]] = {}
    for module, call in emit_calls():
        namespace = vars(importlib.import_module(module))
        keywords = {k.arg: k.value for k in call.keywords}
        where = f"{module}:{call.lineno}"
        assert "audience" in keywords, f"{where} emits without an audience"
        assert "public" not in keywords, f"{where} still passes public="
        audience = eval(compile(ast.Expression(keywords["audience"]), where, "eval"), namespace)  # noqa: S307
        assert isinstance(audience, Audience), f"{where}: audience={ast.unparse(keywords['audience'])}"
        kind = eval(compile(ast.Expression(call.args[0]), where, "eval"), namespace)  # noqa: S307
        kinds.setdefault(kind, set()).add(audience)
    return kinds


def test_every_emit_in_the_code_declares_one_audience_per_kind():
    kinds = declared_audiences()
    assert len(emit_calls()) >= 14 and len(kinds) >= 13  # the walk found the emitters, not nothing
    assert {k for k, a in kinds.items() if len(a) > 1} == set(), "a kind must always go to the same audience"
    public = {k for k, a in kinds.items() if a == {Audience.PUBLIC}}
    assert public <= PUBLIC_KINDS, f"new public event kinds {public - PUBLIC_KINDS}: review their payloads"
    assert STAFF_KINDS <= {k for k, a in kinds.items() if a == {Audience.STAFF}}


@pytest.mark.parametrize("options", [{}, {"public": True}, {"audience": True}, {"audience": "public"}])
def test_a_unit_refuses_an_event_without_an_audience(ctx, options):
    with pytest.raises(TypeError):
        with ctx.transaction() as unit:
            unit.emit("incident.updated", "incidents", {"id": 1}, **options)
    assert unit.events == []


def test_rooms_follow_the_audience_and_an_unknown_one_is_staff(app, ctx):
    for audience, scopes in ((Audience.PUBLIC, {"staff", "public"}), (Audience.STAFF, {"staff"})):
        with ctx.transaction() as unit:
            unit.emit("incident.updated", "incidents", {"id": 1}, audience=audience)
        assert {room.split("/")[0] for room in live.rooms_for(unit.events[0])} == scopes
    assert live.rooms_for({**unit.events[0], "public": None}) == live.rooms_for(unit.events[0])  # unknown: staff


# --- the wire: an anonymous map hears no household ------------------------------------------

@pytest.fixture
def place(store):
    world.build(store, households=[
        world.household(PRIVATE["id"], 3, 109.450, head_name=PRIVATE["head_name"], phone=PRIVATE["phone"],
                        id_number=PRIVATE["id_number"]),
        world.household(OTHER["id"], 2, 109.451, head_name=OTHER["head_name"], phone=OTHER["phone"],
                        id_number=OTHER["id_number"], shelter="site", site_id="S1", evacuated=True)])
    return store


def leaks(events: list[dict]) -> list[str]:
    """What in these events names or judges one household."""
    found = []

    def walk(value, path):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in HOUSEHOLD_KEYS:
                    found.append(f"{path}.{key}")
                if key in GUARANTEES and isinstance(inner, str) and inner in VERDICTS:
                    found.append(f"{path}.{key}={inner} (one household's verdict)")
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(inner, f"{path}[{i}]")

    for event in events:
        walk(event["payload"], event["kind"])
        text = json.dumps(event, ensure_ascii=False)
        found += [f"{event['kind']} carries {value!r}" for person in (PRIVATE, OTHER) for value in person.values()
                  if value in text]
        found += [f"{event['kind']} names the donor" for secret in ("王小明", "13812345678") if secret in text]
    return found


def drive_changes(client, make_user) -> None:
    """A check-in, stock in and out, a medical visit, a donation and an incident, all through the API."""
    manager, keeper, reporter = make_user("site_manager"), make_user("warehouse_keeper"), make_user("field_reporter")

    def post(url, user, body):
        response = client.post(url, json=body, headers=user.headers)
        assert response.status_code in (200, 201), (url, response.get_json())

    post(f"/api/households/{PRIVATE['id']}/checkin", manager, {"site_id": "S1", "reason": "evacuated"})
    post("/api/stock/receipts", keeper, {"holder_kind": "site", "holder_id": "S1", "item_code": "RICE",
                                         "quantity": 20, "source": "allocation"})
    for household in (PRIVATE["id"], OTHER["id"]):
        post("/api/stock/distributions", keeper, {"household_id": household, "item_code": "RICE", "quantity": 4,
                                                  "holder_kind": "site", "holder_id": "S1"})
    post(f"/api/households/{OTHER['id']}/medical-visits", manager, {"note": "checked"})
    post("/api/donations", keeper, {"donor_name": "王小明", "donor_contact": "13812345678", "consent_public": False,
                                    "kind": "in_kind", "item_code": "BLANKET", "quantity": 5,
                                    "destination_kind": "depot", "destination_id": "D1"})
    post("/api/incidents", reporter, {"client_id": "audience-0001", "kind": "landslide", "title": "slope moving",
                                      "lat": 30.28, "lon": 109.45, "occurred_at": "2026-11-20T09:00:00+08:00"})


def catch_up(socket, since: int) -> list[dict]:
    reply = socket.emit("catch_up", {"since": since, "topics": list(TOPICS)}, namespace=live.NAMESPACE,
                        callback=True)
    assert reply["reload"] is False
    return reply["events"]


def test_an_anonymous_map_hears_counts_and_never_a_household(app, client, place, make_user):
    public, answer = connect(app)
    staff, _ = connect(app, token=make_user("viewer").token)
    since = answer["latest_seq"]
    drive_changes(client, make_user)

    heard, told = events_of(public), events_of(staff)
    assert leaks(heard) == []
    heard_kinds, told_kinds = {e["kind"] for e in heard}, {e["kind"] for e in told}
    assert {"guarantee.counts", "site.occupancy_changed", "incident.created", "donation.recorded"} <= heard_kinds
    assert heard_kinds <= PUBLIC_KINDS
    assert {"guarantee.changed", "stock.changed"} <= told_kinds
    changed = {c["household_id"] for e in told if e["kind"] == "guarantee.changed" for c in e["payload"]["changes"]}
    assert changed == {PRIVATE["id"], OTHER["id"]}  # staff still see each household's verdicts
    assert leaks(told)  # and the detector knows a household when it sees one
    counts = [e for e in heard if e["kind"] == "guarantee.counts"]
    assert all(set(e["payload"]["villages"]) == {world.VILLAGE} for e in counts)

    replayed = catch_up(public, since)
    assert leaks(replayed) == []
    assert [e["seq"] for e in replayed] == [e["seq"] for e in heard]  # catch-up = what the live rooms sent
    assert [e["seq"] for e in catch_up(staff, since)] == [e["seq"] for e in told]


def test_counts_add_up_to_the_public_summary(app, client, place, make_user):
    before = client.get("/api/guarantees/summary?level=village").get_json()
    public, _ = connect(app, topics=["guarantees"])
    drive_changes(client, make_user)
    after = client.get("/api/guarantees/summary?level=village").get_json()
    moved: dict[str, dict[str, int]] = {}
    for event in events_of(public):
        for status, n in event["payload"]["villages"].get(world.VILLAGE, {}).get("worst", {}).items():
            moved.setdefault("worst", {})[status] = moved.get("worst", {}).get(status, 0) + n
    start = before["areas"].get(world.VILLAGE, {"worst": {}})["worst"]
    applied = {s: start.get(s, 0) + moved["worst"].get(s, 0) for s in set(start) | set(moved["worst"])}
    assert {s: n for s, n in applied.items() if n} == after["areas"][world.VILLAGE]["worst"]


# --- the doors: a foreign page's cookie, and cover --------------------------------------------

def logged_in(app, client, make_user):
    user = make_user("site_manager")
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"name": user.name, "password": f"pw-{user.name}"}).status_code == 302
    return user


def handshake(app, client, origin: str | None, **auth):
    socket = live.socketio.test_client(app, namespace=live.NAMESPACE, flask_test_client=client, auth=auth or None,
                                       headers={"Origin": origin} if origin else None)
    assert socket.is_connected(live.NAMESPACE)
    return socket.emit("subscribe", {}, namespace=live.NAMESPACE, callback=True)["staff"]


def test_a_staff_cookie_counts_only_from_the_apps_own_pages(app, client, ctx, make_user):
    logged_in(app, client, make_user)
    assert handshake(app, client, None) is True  # the page's own same-origin request, or a program
    assert handshake(app, client, "http://localhost") is True
    assert handshake(app, client, "http://evil.example") is False
    assert handshake(app, client, "http://localhost.evil.example") is False
    assert handshake(app, client, "null") is False
    foreign = live.socketio.test_client(app, namespace=live.NAMESPACE, flask_test_client=client,
                                        headers={"Origin": "https://evil.example"})
    foreign.emit("subscribe", {}, namespace=live.NAMESPACE, callback=True)
    with ctx.transaction() as unit:
        unit.emit("guarantee.changed", "guarantees", {"changes": [{"household_id": "H1"}]}, audience=Audience.STAFF)
    assert events_of(foreign) == []


def test_listed_origins_may_use_the_cookie_and_tokens_work_from_anywhere(app, client, make_user):
    logged_in(app, client, make_user)
    app.config["ALLOWED_ORIGINS"] = "https://command.example.org, https://screen.example.org:8443"
    assert handshake(app, client, "https://screen.example.org:8443") is True
    assert handshake(app, client, "https://screen.example.org") is False
    viewer = make_user("viewer")
    assert handshake(app, app.test_client(), "http://evil.example", token=viewer.token) is True


def test_cover_is_for_staff_only(client, place, make_user):
    anonymous = client.get("/api/cover")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"]
    assert client.get("/api/cover", headers=make_user("viewer").headers).status_code == 200
    assert client.get("/api/sites/S1").status_code == 200  # one site's cover stays public, for the map's pop-up
