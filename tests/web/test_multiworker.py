"""Two real server processes sharing one database and Redis: a change made through one reaches the other's clients."""
from __future__ import annotations

import queue
import uuid

import pytest
import requests
import socketio

from tests.web.servers import incident_body, relief_env, run, serving

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def two_workers(database_url, redis_url, tmp_path):
    channel = f"relief-test-{uuid.uuid4().hex[:8]}"  # this test's own pub/sub channel on the shared Redis
    env = relief_env(database_url, tmp_path / "instance", RELIEF_REDIS_URL=redis_url, RELIEF_SOCKETIO_CHANNEL=channel)
    token = run(env, "users", "create", "worker-test", "--role", "field_reporter").strip()
    with serving(env) as a, serving(env) as b:
        yield a, b, token


def connect(base: str, token: str | None = None):
    received: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("event", received.put, namespace="/live")
    client.connect(base, namespaces=["/live"], transports=["websocket"], socketio_path="socket.io",
                   auth={"token": token} if token else None, wait_timeout=10)
    answer = client.call("subscribe", {"topics": ["incidents"]}, namespace="/live", timeout=10)
    return client, received, answer


def test_a_change_posted_to_one_worker_reaches_clients_of_the_other(two_workers):
    a, b, token = two_workers
    staff, staff_events, staff_answer = connect(b, token)
    public, public_events, public_answer = connect(b)
    try:
        assert staff_answer["staff"] is True and public_answer["staff"] is False
        response = requests.post(f"{a}/api/incidents", json=incident_body("multiworker-0001", title="Bridge cracked"),
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 201, response.text
        for events in (staff_events, public_events):
            event = events.get(timeout=10)
            assert event["kind"] == "incident.created" and event["seq"] > staff_answer["latest_seq"]
            feature = event["payload"].get("feature") or event["payload"]
            assert feature["properties"]["title"] == "Bridge cracked"
    finally:
        staff.disconnect()
        public.disconnect()


def test_catch_up_on_the_other_worker_replays_the_change(two_workers):
    a, b, token = two_workers
    seq = requests.get(f"{a}/api/guarantees/summary?level=village", timeout=10).json()["seq"]
    response = requests.post(f"{a}/api/incidents", json=incident_body("multiworker-0002"),
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 201
    client, _, _ = connect(b)
    try:
        reply = client.call("catch_up", {"since": seq, "topics": ["incidents"]}, namespace="/live", timeout=10)
        assert reply["reload"] is False
        assert [e["kind"] for e in reply["events"]] == ["incident.created"]
    finally:
        client.disconnect()
