"""The scheduler loop: one leader among processes, take-over after expiry, never stopped by a failed tick."""
from __future__ import annotations

from datetime import timedelta

import pytest

from relief.scheduler import MIN_PAUSE_SECONDS, Scheduler
from relief.services import aging
from relief.store.db import Store
from tests import aging_world as w

SECONDS = 15.0


@pytest.fixture
def clock() -> w.Clock:
    return w.Clock(w.T0)


@pytest.fixture
def world(store, clock):
    w.build(store, incident_at=w.T0 - 3 * w.HOUR)
    w.judge_everyone(w.context(store, clock), w.T0)
    return store


def scheduler(store, clock, holder: str, published: list | None = None) -> Scheduler:
    return Scheduler(lambda: w.context(store, clock, published), seconds=SECONDS, holder=holder)


class CountingStop:
    """Stops the loop after ``waits`` pauses, recording each pause instead of sleeping."""

    def __init__(self, waits: int):
        self.left, self.pauses = waits, []

    def is_set(self) -> bool:
        return self.left <= 0

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout)
        self.left -= 1
        return self.is_set()


def test_only_the_lease_holder_acts_each_tick(world, clock, database_url):
    other_process = Store(database_url)
    published = []
    a, b = scheduler(world, clock, "a", published), scheduler(other_process, clock, "b", published)
    clock.now = w.RUNS_OUT["SOONER"] + w.HOUR  # two households are due
    first, second = a.tick(), b.tick()
    assert first.leader and first.rejudged["due"] == 2
    assert first.overdue["announced"] == 2  # the initial report, and the continued one due at 09:00
    assert not second.leader and second.rejudged is None and second.overdue is None
    assert "another process leads" in second.describe()
    clock.now += timedelta(seconds=SECONDS)
    assert a.tick().leader and not b.tick().leader  # renewed each tick
    assert len([e for e in published if e["kind"] == "guarantee.changed"]) == 1
    other_process.dispose()


def test_another_process_takes_over_once_the_lease_expires(world, clock):
    a, b = scheduler(world, clock, "a"), scheduler(world, clock, "b")
    assert a.lease_seconds == 3 * SECONDS
    assert a.tick().leader
    renewed = clock.now
    clock.now = renewed + timedelta(seconds=a.lease_seconds) - w.US  # a stopped ticking: its lease still runs
    assert not b.tick().leader
    clock.now = renewed + timedelta(seconds=a.lease_seconds)
    took_over = b.tick()
    assert took_over.leader and took_over.rejudged is not None
    assert not a.tick().leader  # back from a pause, a finds b leading


def test_a_stopping_leader_gives_the_lease_up(world, clock):
    a, b = scheduler(world, clock, "a"), scheduler(world, clock, "b")
    a.run(CountingStop(waits=1))
    assert b.tick().leader  # at the same moment: no wait for the lease to expire


def test_a_failed_tick_is_logged_and_the_loop_goes_on(world, clock, caplog):
    calls = {"n": 0}

    def contexts():
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return w.context(world, clock)

    loop = Scheduler(contexts, seconds=SECONDS, holder="a")
    stop = CountingStop(waits=2)
    clock.now = w.RUNS_OUT["LATER"]
    loop.run(stop)
    assert "could not take the lease" in caplog.text
    assert stop.pauses[0] == SECONDS  # a failed tick waits for the next one
    with w.context(world, clock).reading() as session:
        from relief.store.verdicts import due_households

        assert due_households(session, clock.now) == []  # the second tick did the work


def test_a_failing_job_does_not_stop_the_other(world, clock, monkeypatch):
    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(aging, "rejudge_due", broken)
    tick = scheduler(world, clock, "a").tick()
    assert tick.leader and tick.failed == ["rejudged"] and tick.overdue["announced"] == 1
    assert "failed: rejudged" in tick.describe()


def test_the_leader_sleeps_only_until_the_next_verdict_changes(world, clock):
    loop = scheduler(world, clock, "a")
    clock.now = w.T0 - timedelta(seconds=5)  # SOONER's food stops covering 24 h at T0 + 1 µs
    assert loop.pause_after(loop.tick()) == pytest.approx(5.000001)
    clock.now = w.T0 + w.HOUR  # every next change is hours away: the usual interval
    assert loop.pause_after(loop.tick()) == SECONDS
    follower = scheduler(world, clock, "b")
    assert follower.pause_after(follower.tick()) == SECONDS


def test_a_moment_due_now_never_makes_the_loop_spin(world, clock):
    loop = scheduler(world, clock, "a")
    tick = loop.tick()
    tick.rejudged["next_change_at"] = tick.ended_at  # as if it were due again already
    assert loop.pause_after(tick) == MIN_PAUSE_SECONDS


def test_the_interval_must_be_positive():
    with pytest.raises(ValueError):
        Scheduler(lambda: None, seconds=0)
