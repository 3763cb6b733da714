"""What the live socket sends is strict JSON, whatever a service put in an event."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import numpy as np

from relief import live


def test_an_event_on_the_wire_has_no_nan_infinity_or_numpy_values():
    event = {"seq": 7, "kind": "stock.changed", "topic": "stock", "area_code": "422801",
             "at": datetime(2026, 12, 1, 8, tzinfo=timezone.utc),
             "payload": {"quantity": float("inf"), "days": float("nan"), "count": np.int64(3), "ok": np.bool_(True)}}
    sent = live.wire(event)
    text = json.dumps(sent, allow_nan=False)
    assert json.loads(text)["payload"] == {"quantity": None, "days": None, "count": 3, "ok": True}
    assert sent["at"] == "2026-12-01T08:00:00+00:00"

def test_an_app_without_redis_forgets_the_message_queue_of_an_app_before_it(tmp_path):
    """Flask-SocketIO keeps one server's options across apps; a queue named once must not outlive its app."""
    from relief import create_app

    def app(redis_url):
        return create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}", "INSTANCE_PATH": str(tmp_path),
                           "SECRET_KEY": "t", "REDIS_URL": redis_url})

    app("redis://127.0.0.1:1/0")  # never connected to: the manager is only configured
    assert "client_manager" in live.socketio.server_options
    app(None)
    assert "client_manager" not in live.socketio.server_options
