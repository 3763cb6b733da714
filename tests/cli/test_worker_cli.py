"""``relief worker --once`` and the scheduler beside ``relief serve``.

The command runs on the wall clock, so the world is set in the past: every
household's food ran out long ago, and the incident owes two reports.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from relief.cli import worker as worker_cli
from relief.scheduler import Scheduler
from tests import aging_world as w


@pytest.fixture
def aged_world(store):
    w.build(store, incident_at=w.T0 - 3 * w.HOUR)
    w.judge_everyone(w.context(store, w.Clock(w.T0)), w.T0)
    return store


def test_worker_once_rejudges_what_came_due_and_announces_once(cli_runner, aged_world):
    first = cli_runner("worker", "--once")
    assert first.exit_code == 0, first.output
    assert "verdicts: 3 re-judged, 3 changed; next change at none" in first.output
    assert "overdue reports: 2 announced (2 overdue)" in first.output
    again = cli_runner("worker", "--once")
    assert "verdicts: 0 re-judged, 0 changed" in again.output
    assert "overdue reports: 0 announced (2 overdue)" in again.output


def test_worker_once_gives_the_lease_back(cli_runner, aged_world):
    cli_runner("worker", "--once")
    now = w.Clock(datetime.now(timezone.utc))  # the wall clock, as the command's: its lease would run 30 s more
    serving = Scheduler(lambda: w.context(aged_world, now), seconds=15, holder="serve")
    assert serving.tick().leader


def test_worker_once_reports_another_leader(cli_runner, aged_world):
    # a scheduler inside `relief serve` holds the lease far into the future
    far = w.Clock(w.T0 + 10 ** 6 * w.HOUR)
    Scheduler(lambda: w.context(aged_world, far), seconds=10 ** 6, holder="serve").tick()
    result = cli_runner("worker", "--once")
    assert result.exit_code == 0 and "another process leads" in result.output


def test_worker_is_listed_in_help(cli_runner):
    assert "worker" in cli_runner("--help").output


def test_serve_starts_the_scheduler_unless_switched_off(app, monkeypatch):
    ran = threading.Event()
    monkeypatch.setattr(Scheduler, "run", lambda self, stop: ran.set())
    app.config["SCHEDULER"] = False
    assert worker_cli.start_beside_server(app) is None
    assert not ran.is_set()
    app.config["SCHEDULER"] = True
    app.config["SCHEDULER_SECONDS"] = 2.5
    stop = worker_cli.start_beside_server(app)
    assert stop is not None and ran.wait(5)
    assert worker_cli.scheduler_for(app).seconds == 2.5
