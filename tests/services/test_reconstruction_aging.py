"""Stalled houses are judged on time by the scheduler: at the moment a stage outlives its limit, not on a write.

The clock is injected (``tests/aging_world.Clock``); the loop's pauses advance it instead of sleeping.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from relief.scheduler import MIN_PAUSE_SECONDS, Scheduler
from relief.services import reconstruction as service
from relief.services.context import Actor
from relief.store.tables import House
from tests import reconstruction_world as rw
from tests.aging_world import Clock
from tests.world import context

SECONDS = 15.0
LIMIT = timedelta(days=rw.FIGURES.limits_days["started"])
US = timedelta(microseconds=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(rw.T0)


@pytest.fixture
def world(store):
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="started", mode="in_place", since=rw.T0)
    return store


def _scheduler(store, clock: Clock, published: list) -> Scheduler:
    def contexts():
        ctx = context(store, published=published)
        ctx.clock = clock
        return ctx

    return Scheduler(contexts, seconds=SECONDS, holder="a")


def _stalled(published: list) -> list[str]:
    return [e["payload"]["house"]["id"] for e in published if e["kind"] == "house.stalled"]


class AdvancingStop:
    """Stops after ``waits`` pauses; each pause moves the clock on by its length instead of sleeping."""

    def __init__(self, clock: Clock, waits: int):
        self.clock, self.left, self.pauses = clock, waits, []

    def is_set(self) -> bool:
        return self.left <= 0

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout)
        self.clock.now += timedelta(seconds=timeout or 0)
        self.left -= 1
        return self.is_set()


def test_a_tick_announces_a_house_just_after_its_limit_not_at_it(world, clock):
    published: list = []
    loop = _scheduler(world, clock, published)
    clock.now = rw.T0 + LIMIT - timedelta(seconds=5)
    before = loop.tick()
    assert before.leader and before.stalled == {"announced": 0, "next_stall_at": rw.T0 + LIMIT}
    assert loop.pause_after(before) == pytest.approx(5.0)  # the leader wakes at the moment, not a tick later
    clock.now = rw.T0 + LIMIT  # at the limit exactly: not yet stalled
    at = loop.tick()
    assert at.stalled["announced"] == 0 and loop.pause_after(at) == MIN_PAUSE_SECONDS
    clock.now = rw.T0 + LIMIT + US
    after = loop.tick()
    assert after.stalled == {"announced": 1, "next_stall_at": None}
    assert "stalled houses: 1 announced" in after.describe()
    assert _stalled(published) == ["H1"]
    assert published[-1]["topic"] == "reconstruction" and published[-1]["payload"]["house"]["properties"]["stalled"]
    clock.now += timedelta(days=3)
    assert loop.tick().stalled["announced"] == 0 and _stalled(published) == ["H1"]  # once per stage


def test_the_loop_sleeps_until_the_stall_and_announces_it_then(world, clock):
    published: list = []
    loop = _scheduler(world, clock, published)
    clock.now = rw.T0 + LIMIT - timedelta(seconds=40)
    stop = AdvancingStop(clock, waits=5)
    loop.run(stop)
    assert stop.pauses[:2] == [SECONDS, SECONDS]
    assert stop.pauses[2] == pytest.approx(10.0)  # 30 s gone: the next tick lands on the moment itself
    assert stop.pauses[3] == MIN_PAUSE_SECONDS  # at the limit exactly it is not stalled yet: look again at once
    assert _stalled(published) == ["H1"]  # announced by the fifth tick, a hundredth of a second after the limit
    with world.read() as session:
        announced = session.get(House, "H1").stall_announced_at
    assert announced == rw.T0 + LIMIT + timedelta(seconds=MIN_PAUSE_SECONDS)


def test_a_transition_restarts_the_clock_and_a_new_stall_is_announced_again(world, clock):
    published: list = []
    loop = _scheduler(world, clock, published)
    rw.add_house(world, "H2", stage="agreement_signed", mode="in_place", since=rw.T0)
    signed_limit = timedelta(days=rw.FIGURES.limits_days["agreement_signed"])
    moved = rw.T0 + signed_limit - timedelta(days=1)
    officer = context(world, Actor(None, "officer", "reconstruction_officer"))
    officer.clock = lambda: moved
    service.transition(officer, "H2", {"stage": "started"})  # the day before H2 would have stalled
    clock.now = rw.T0 + max(LIMIT, signed_limit) + US
    assert loop.tick().stalled["announced"] == 1 and _stalled(published) == ["H1"]
    tick = loop.tick()
    assert tick.stalled["next_stall_at"] == moved + LIMIT
    clock.now = moved + LIMIT + US
    assert loop.tick().stalled["announced"] == 1 and _stalled(published) == ["H1", "H2"]


def test_a_house_that_moved_in_never_stalls(world, clock):
    published: list = []
    rw.add_house(world, "H3", stage="moved_in", mode="in_place", since=rw.T0)
    loop = _scheduler(world, clock, published)
    clock.now = rw.T0 + timedelta(days=3650)
    assert loop.tick().stalled == {"announced": 1, "next_stall_at": None}
    assert _stalled(published) == ["H1"]
