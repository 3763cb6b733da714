"""An SMS sender killed with kill -9 between handing a message over and recording it loses nothing.

The sender runs as a real subprocess against the test database; its gateway writes the second message and
then hangs, the test kills it there, and a second sender (after the lease lapses) hands that message over
again under the same ``message_id`` and sends the rest.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from relief.domain.audience import Audience
from relief.domain.vocabulary import SmsStatus, Topic
from relief.services import sms
from relief.sms_gateways import FileGateway
from relief.sms_worker import SmsWorker
from relief.store import sms as store

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent("""
    import sys, threading, time
    from pathlib import Path
    from relief import create_app
    from relief.cli.app import cli_context
    from relief.sms_gateways import FileGateway
    from relief.sms_worker import SmsWorker

    class Hanging(FileGateway):
        sent = 0

        def send(self, phone, text, message_id):
            gateway_id = super().send(phone, text, message_id)
            Hanging.sent += 1
            if Hanging.sent == 2:
                Path(sys.argv[4]).touch()
                time.sleep(3600)
            return gateway_id

    app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "test-secret",
                      "TESTING": True, "REDIS_URL": None})
    SmsWorker(lambda: cli_context(app), Hanging(Path(sys.argv[3])), seconds=0.05, batch=1).run(threading.Event())
""")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()] if path.exists() else []


def test_kill_9_between_handing_over_and_recording_loses_nothing(ctx, make_user, database_url, tmp_path):
    owner = ctx.as_actor(make_user("commander").actor)
    sms.create_subscription(owner, {"phone": "13800138000"})
    with ctx.transaction() as unit:
        for i in range(3):
            unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 100 + i, "kind": "flood"}},
                      audience=Audience.PUBLIC)
    out, hung = tmp_path / "sms.jsonl", tmp_path / "hung"
    child = subprocess.Popen([sys.executable, "-c", CHILD, database_url, str(tmp_path / "child"), str(out),
                              str(hung)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if hung.exists():
                break
            time.sleep(0.1)
        assert hung.exists(), "the sender never reached the second message"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert len(lines(out)) == 2
    with ctx.reading() as session:
        assert store.status_counts(session) == {SmsStatus.SENT: 1, SmsStatus.PENDING: 2}

    gateway = FileGateway(out)
    assert SmsWorker(lambda: ctx, gateway).round()["sent"] == 1  # the third; the second is still leased
    later = datetime.now(timezone.utc) + timedelta(seconds=sms.figures(ctx).lease_seconds + 1)
    assert SmsWorker(lambda: replace(ctx, clock=lambda: later), gateway).round()["sent"] == 1
    with ctx.reading() as session:
        assert store.status_counts(session) == {SmsStatus.SENT: 3}
    ids = [line["message_id"] for line in lines(out)]
    assert len(ids) == 4 and len(set(ids)) == 3 and ids[1] == ids[3]  # handed over again under its own id
