"""Live events over Socket.IO: who gets what, only after commit, and catch-up."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from relief import live
from relief.domain.audience import Audience
from relief.domain.vocabulary import TOPICS
from relief.store.tables import Event

ENSHI, LICHUAN = "422801", "422802"


def events_of(client) -> list[dict]:
    return [m["args"][0] for m in client.get_received(live.NAMESPACE) if m["name"] == "event"]


def connect(app, *, token: str | None = None, flask_client=None, **subscription):
    client = live.socketio.test_client(app, namespace=live.NAMESPACE, auth={"token": token} if token else None,
                                       flask_test_client=flask_client)
    assert client.is_connected(live.NAMESPACE)
    answer = client.emit("subscribe", subscription, namespace=live.NAMESPACE, callback=True)
    assert answer["ok"] is True
    return client, answer


def emit(ctx, kind="incident.updated", topic="incidents", *, area=None, audience=Audience.PUBLIC, payload=None):
    with ctx.transaction() as unit:
        unit.emit(kind, topic, payload or {"id": 1}, area_code=area, audience=audience)
    return unit.events[-1]["seq"]


def test_staff_get_private_events_and_the_public_only_public_ones(app, ctx, make_user):
    staff, staff_answer = connect(app, token=make_user("viewer").token)
    public, public_answer = connect(app)
    assert staff_answer["staff"] is True and public_answer["staff"] is False
    emit(ctx, "incident.updated", audience=Audience.PUBLIC, payload={"id": 1, "note": "open"})
    emit(ctx, "incident.updated", audience=Audience.STAFF, payload={"id": 2, "note": "staff only"})
    assert [e["payload"]["id"] for e in events_of(staff)] == [1, 2]
    assert [e["payload"]["id"] for e in events_of(public)] == [1]


def test_event_wire_shape_carries_seq_kind_topic_area_and_time(app, ctx):
    client, answer = connect(app)
    seq = emit(ctx, "site.occupancy_changed", "sites", area=ENSHI, payload={"site_id": "S1", "occupants": 3})
    (event,) = events_of(client)
    assert event == {"seq": seq, "kind": "site.occupancy_changed", "topic": "sites", "area_code": ENSHI,
                     "at": event["at"], "payload": {"site_id": "S1", "occupants": 3}}
    assert seq == answer["latest_seq"] + 1 and event["at"].endswith("+00:00")


def test_an_invalid_token_connects_as_public(app, ctx):
    client, answer = connect(app, token="not-a-token")
    assert answer["staff"] is False
    emit(ctx, audience=Audience.STAFF)
    assert events_of(client) == []


def test_a_logged_in_browser_session_is_staff(app, client, make_user):
    user = make_user("site_manager")
    page = client.get("/login")
    assert page.status_code == 200
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"name": user.name, "password": f"pw-{user.name}"}).status_code == 302
    socket, answer = connect(app, flask_client=client)
    assert answer["staff"] is True


def test_county_rooms_get_their_county_and_area_less_events_only(app, ctx):
    enshi, answer = connect(app, areas=[ENSHI], topics=["incidents", "guarantees"])
    everywhere, _ = connect(app)
    assert answer["areas"] == [ENSHI] and answer["topics"] == ["incidents", "guarantees"]
    emit(ctx, area=ENSHI, payload={"id": 1})
    emit(ctx, area=LICHUAN, payload={"id": 2})
    emit(ctx, "guarantee.counts", "guarantees", area=None, payload={"id": 3})
    emit(ctx, "stock.changed", "stock", area=ENSHI, payload={"id": 4})
    assert [e["payload"]["id"] for e in events_of(enshi)] == [1, 3]
    assert [e["payload"]["id"] for e in events_of(everywhere)] == [1, 2, 3, 4]


def test_subscribing_again_replaces_the_rooms(app, ctx):
    client, _ = connect(app, areas=[ENSHI])
    client.emit("subscribe", {"areas": [LICHUAN], "topics": ["sites"]}, namespace=live.NAMESPACE, callback=True)
    emit(ctx, area=ENSHI, payload={"id": 1})
    emit(ctx, "site.occupancy_changed", "sites", area=ENSHI, payload={"id": 2})
    emit(ctx, "site.occupancy_changed", "sites", area=LICHUAN, payload={"id": 3})
    assert [e["payload"]["id"] for e in events_of(client)] == [3]


def test_unknown_topics_are_ignored(app):
    _, answer = connect(app, topics=["incidents", "secrets"])
    assert answer["topics"] == ["incidents"]


def test_a_rolled_back_transaction_emits_nothing(app, ctx, store):
    client, _ = connect(app)
    with pytest.raises(RuntimeError):
        with ctx.transaction() as unit:
            unit.emit("incident.created", "incidents", {"id": 99}, audience=Audience.PUBLIC)
            raise RuntimeError("the change fails after the event was queued")
    assert events_of(client) == []
    with store.read() as session:
        assert session.scalars(select(Event)).all() == []


def test_events_are_published_only_after_the_commit(app, ctx, store):
    seen = []

    def publish(events):
        with store.read() as session:  # another connection: sees only committed rows
            seen.extend((e["seq"], session.get(Event, e["seq"]) is not None) for e in events)
        live.publish(events)

    ctx.publish = publish
    client, _ = connect(app)
    seq = emit(ctx)
    assert seen == [(seq, True)]
    assert [e["seq"] for e in events_of(client)] == [seq]


def test_catch_up_replays_what_a_reconnecting_client_missed(app, ctx):
    client, answer = connect(app, areas=[ENSHI])
    since = answer["latest_seq"]
    client.disconnect(namespace=live.NAMESPACE)
    emit(ctx, area=ENSHI, payload={"id": 1})
    emit(ctx, area=LICHUAN, payload={"id": 2})
    emit(ctx, area=ENSHI, audience=Audience.STAFF, payload={"id": 3})
    emit(ctx, "guarantee.counts", "guarantees", payload={"id": 4})
    again, _ = connect(app, areas=[ENSHI])
    reply = again.emit("catch_up", {"since": since, "areas": [ENSHI], "topics": list(TOPICS)},
                       namespace=live.NAMESPACE, callback=True)
    assert reply["reload"] is False
    assert [e["payload"]["id"] for e in reply["events"]] == [1, 4]
    assert reply["latest_seq"] == since + 4
    assert reply["events"][0]["seq"] == since + 1


def test_catch_up_asks_for_a_reload_when_too_much_was_missed(app, ctx):
    app.config["EVENT_CATCHUP_LIMIT"] = 3
    client, answer = connect(app)
    for n in range(4):
        emit(ctx, payload={"id": n})
    reply = client.emit("catch_up", {"since": answer["latest_seq"]}, namespace=live.NAMESPACE, callback=True)
    assert reply == {"reload": True, "events": [], "latest_seq": answer["latest_seq"] + 4}
    exactly = client.emit("catch_up", {"since": answer["latest_seq"] + 1}, namespace=live.NAMESPACE, callback=True)
    assert exactly["reload"] is False and len(exactly["events"]) == 3


def test_catch_up_refuses_a_bad_since(app):
    client, _ = connect(app)
    reply = client.emit("catch_up", {"since": "yesterday"}, namespace=live.NAMESPACE, callback=True)
    assert reply["error"]["field"] == "since"


def test_an_incident_posted_through_the_api_reaches_open_maps_as_a_feature(app, client, make_user):
    reporter = make_user("field_reporter")
    socket, _ = connect(app, topics=["incidents"])
    response = client.post("/api/incidents", headers=reporter.headers, json={
        "client_id": "sock-test-0001", "kind": "landslide", "title": "slope moving", "lat": 30.28, "lon": 109.48,
        "occurred_at": "2026-11-20T09:00:00+08:00", "description": "<script>alert(1)</script>"})
    assert response.status_code == 201, response.get_json()
    (event,) = [e for e in events_of(socket) if e["kind"] == "incident.created"]
    feature = event["payload"].get("feature") or event["payload"]
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    assert feature["properties"]["kind"] == "landslide" and "client_id" not in feature["properties"]
