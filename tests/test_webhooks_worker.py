"""A delivery worker killed with kill -9 mid-delivery loses nothing and duplicates nothing a receiver counts.

The worker runs as a real subprocess against the test database; the receiver records the third request
and never answers it, the test kills the worker there, and a second worker (after the lease lapses) sends
the rest, the interrupted one again under its own ``webhook-id``.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from relief.domain.audience import Audience
from relief.domain.vocabulary import DeliveryStatus, Topic
from relief.services import webhooks
from relief.store import webhooks as store
from relief.webhooks_worker import DeliveryWorker
from tests.webhook_receiver import Receiver

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent("""
    import sys, threading
    from relief import create_app
    from relief.cli.app import cli_context
    from relief.webhooks_worker import DeliveryWorker

    app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "test-secret",
                      "TESTING": True, "REDIS_URL": None})
    DeliveryWorker(lambda: cli_context(app), seconds=0.05, batch=1).run(threading.Event())
""")


def test_kill_9_mid_delivery_loses_and_duplicates_nothing(app, ctx, make_user, database_url, tmp_path):
    admin = make_user("admin")
    actor_ctx = ctx.as_actor(admin.actor)
    receiver = Receiver()
    receiver.hang_on = 3
    receiver.start()
    try:
        made = webhooks.create_endpoint(actor_ctx, {"url": receiver.url, "allow_private_host": True})
        receiver.secret = made["secret"]
        webhooks.create_subscription(actor_ctx, {"endpoint_id": made["endpoint"]["id"]})
        with ctx.transaction() as unit:
            for i in range(6):
                unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 100 + i}},
                          audience=Audience.PUBLIC)
        child = subprocess.Popen([sys.executable, "-c", CHILD, database_url, str(tmp_path / "child")],
                                 cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert receiver.hanging.wait(60), "the worker never reached the third delivery"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        assert child.returncode == -signal.SIGKILL
        assert len(receiver.requests) == 3
        with ctx.reading() as session:
            counts = store.status_counts(session)
        assert counts == {DeliveryStatus.DELIVERED: 2, DeliveryStatus.PENDING: 4}

        # A second worker sends nothing while the dead worker's lease holds the third delivery (the later
        # ones wait behind it, in order), and everything once the lease has lapsed.
        assert DeliveryWorker(lambda: ctx).round()["claimed"] == 0
        later = datetime.now(timezone.utc) + timedelta(seconds=webhooks.figures(ctx).lease_seconds + 1)
        second = DeliveryWorker(lambda: replace(ctx, clock=lambda: later))
        assert second.round()["delivered"] == 4
        with ctx.reading() as session:
            assert store.status_counts(session) == {DeliveryStatus.DELIVERED: 6}
        assert receiver.bad_signatures == 0
        assert receiver.seqs() == [1, 2, 3, 4, 5, 6]  # each event once, in order
        assert len(receiver.requests) == 7 and receiver.requests[2] == receiver.requests[3]  # resent, same id
        assert len(set(receiver.requests)) == 6
    finally:
        receiver.release.set()
        receiver.stop()
