"""``relief webhooks --once``: one fan-out and delivery round from the command line."""
from __future__ import annotations

from relief.domain.audience import Audience
from relief.domain.vocabulary import Topic
from relief.services import webhooks
from tests.webhook_receiver import Receiver


def test_webhooks_once_delivers_what_is_due(cli_runner, ctx, make_user, monkeypatch):
    monkeypatch.setenv("RELIEF_SECRET_KEY", "test-secret")  # the app fixture's, which encrypted the secret
    admin = ctx.as_actor(make_user("admin").actor)
    receiver = Receiver().start()
    try:
        made = webhooks.create_endpoint(admin, {"url": receiver.url, "allow_private_host": True})
        receiver.secret = made["secret"]
        webhooks.create_subscription(admin, {"endpoint_id": made["endpoint"]["id"], "topics": ["incidents"]})
        with ctx.transaction() as unit:
            unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 1}}, audience=Audience.PUBLIC)
            unit.emit("stock.changed", Topic.STOCK, {"item_code": "rice"}, audience=Audience.STAFF)
        result = cli_runner("webhooks", "--once")
        assert result.exit_code == 0, result.output
        assert "'delivered': 1" in result.output
        assert receiver.seqs() == [1] and receiver.bad_signatures == 0
        assert "'delivered': 0" in cli_runner("webhooks", "--once").output  # nothing twice
    finally:
        receiver.stop()


def test_webhooks_is_listed_in_help(cli_runner):
    assert "webhooks" in cli_runner("--help").output
