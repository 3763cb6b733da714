"""``GET /api/asyncapi.json``: the live events as AsyncAPI 3.0, generated from the topics and the services' emits."""
from __future__ import annotations

from relief import live
from relief.domain.vocabulary import TOPICS
from relief.web.openapi.asyncapi import emitted_events


def test_every_topic_has_a_staff_and_a_public_channel_at_its_room_address(client):
    document = client.get("/api/asyncapi.json").get_json()
    assert document["asyncapi"].startswith("3.0")
    for topic in TOPICS:
        for scope, staff in (("staff", True), ("public", False)):
            channel = document["channels"][f"{scope}-{topic}"]
            assert channel["address"] == live.room(topic, "{area}", staff=staff)
            assert "area" in channel["parameters"]
            assert document["operations"][f"receive-{scope}-{topic}"]["action"] == "receive"


def test_every_emitted_event_is_a_message_and_staff_events_never_reach_public_channels(client):
    document = client.get("/api/asyncapi.json").get_json()
    events = emitted_events()
    kinds = {e["kind"] for e in events}
    assert {"incident.created", "report.overdue", "guarantee.counts"} <= kinds  # read from the services' source
    names = {m["name"] for m in document["components"]["messages"].values()}
    assert kinds <= names
    for event in events:
        key = event["kind"].replace(".", "_")
        assert key in document["channels"][f"staff-{event['topic']}"]["messages"]
        in_public = key in document["channels"][f"public-{event['topic']}"]["messages"]
        assert in_public == (event["audience"] != "staff"), event


def test_references_resolve(client):
    document = client.get("/api/asyncapi.json").get_json()

    def resolve(ref: str):
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    for operation in document["operations"].values():
        channel = resolve(operation["channel"]["$ref"])
        assert channel["address"]
