"""``relief sms --once``: one fan-out and sending round through the configured gateway."""
from __future__ import annotations

import json

from relief.domain.audience import Audience
from relief.domain.vocabulary import Topic
from relief.services import sms


def test_sms_once_sends_through_the_file_gateway(cli_runner, ctx, make_user, monkeypatch, tmp_path):
    outbox = tmp_path / "drill" / "sms.jsonl"
    monkeypatch.setenv("RELIEF_SMS_GATEWAY", f"file:{outbox}")
    owner = ctx.as_actor(make_user("commander").actor)
    sms.create_subscription(owner, {"phone": "13900001234", "topics": ["incidents"]})
    with ctx.transaction() as unit:
        unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 1, "kind": "flood"}},
                  audience=Audience.PUBLIC)
        unit.emit("stock.changed", Topic.STOCK, {"item_code": "rice"}, audience=Audience.STAFF)
    result = cli_runner("sms", "--once")
    assert result.exit_code == 0, result.output
    assert "'sent': 1" in result.output
    lines = [json.loads(line) for line in outbox.read_text("utf-8").splitlines()]
    assert [line["phone"] for line in lines] == ["13900001234"] and "洪涝" in lines[0]["text"]
    assert "'sent': 0" in cli_runner("sms", "--once").output  # nothing twice


def test_sms_without_a_gateway_says_which_variable_to_set(cli_runner, monkeypatch):
    for name in ("RELIEF_SMS_GATEWAY", "RELIEF_SMS_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    result = cli_runner("sms", "--once")
    assert result.exit_code != 0 and "RELIEF_SMS_GATEWAY" in result.output
    monkeypatch.setenv("RELIEF_SMS_GATEWAY", "pigeon")
    assert "file:<path> or http" in cli_runner("sms", "--once").output


def test_sms_is_listed_in_help_without_importing_it(cli_runner):
    assert "sms" in cli_runner("--help").output
