"""The loop that lets time act: verdicts re-judged when their moment comes, overdue reports announced.

Every ``seconds`` (``RELIEF_SCHEDULER_SECONDS``, 15) a tick takes or renews
the lease in the database and, if this process holds it, runs
:func:`relief.services.aging.rejudge_due`,
:func:`relief.services.aging.announce_overdue`,
:func:`relief.services.reconstruction.announce_stalled` and
:func:`relief.services.aid_chain.announce_overdue` (missed aid past its deadline). When a verdict
changes, or a house's stage outlives its limit (``houses.stalls_at``),
sooner than the next tick, the leader sleeps only until then, so a
household whose food runs out at 18:00 turns unmet at 18:00, and a house
stalled at 18:00 is announced at 18:00, not up to a tick later.

Several processes may run it (each ``relief serve`` worker, ``relief
worker``): the lease makes one act per tick. It lasts three ticks (at least
30 s), is renewed every tick, and is given up when a scheduler stops; if
its holder dies, another process takes over at its first tick after the
lease expires.

Nothing here knows Flask: the loop takes a factory of service Contexts
(whose clock tests replace), and :meth:`Scheduler.run` takes the Event that
stops it, so it runs the same in a gevent greenlet or a foreground command.
A failing tick is logged and the loop goes on.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol

from relief.services import aging, reconstruction
from relief.services import aid_chain as aid
from relief.services.context import Context

DEFAULT_SECONDS = 15.0
LEASE_TICKS = 3
MIN_LEASE_SECONDS = 30.0
MIN_PAUSE_SECONDS = 0.01  # never spin, even when a moment is due right now

log = logging.getLogger(__name__)


class Stopper(Protocol):
    """What stops the loop (``threading.Event``; gevent's under ``relief serve``)."""

    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class Tick:
    """What one tick did: whether this process led, each job's summary, and the jobs that failed."""

    at: datetime | None
    leader: bool = False
    rejudged: dict[str, Any] | None = None
    overdue: dict[str, Any] | None = None
    stalled: dict[str, Any] | None = None
    aid_overdue: dict[str, Any] | None = None
    failed: list[str] = field(default_factory=list)
    ended_at: datetime | None = None

    def describe(self) -> str:
        """One line for the command line and the log."""
        if not self.leader:
            return "another process leads the scheduler: nothing done" if not self.failed else \
                f"tick failed: {', '.join(self.failed)}"
        parts = []
        if self.rejudged is not None:
            r = self.rejudged
            upcoming = r["next_change_at"].isoformat() if r["next_change_at"] else "none"
            parts.append(f"verdicts: {r['due']} re-judged, {r['changed']} changed; next change at {upcoming}")
        if self.overdue is not None:
            parts.append(f"overdue reports: {self.overdue['announced']} announced ({self.overdue['overdue']} overdue)")
        if self.stalled is not None:
            upcoming = self.stalled["next_stall_at"].isoformat() if self.stalled["next_stall_at"] else "none"
            parts.append(f"stalled houses: {self.stalled['announced']} announced; next stall at {upcoming}")
        if self.aid_overdue is not None:
            upcoming = self.aid_overdue["next_deadline_at"].isoformat() if self.aid_overdue["next_deadline_at"] \
                else "none"
            parts.append(f"missed aid overdue: {self.aid_overdue['announced']} announced; next deadline at {upcoming}")
        if self.failed:
            parts.append(f"failed: {', '.join(self.failed)}")
        return f"{self.at.isoformat() if self.at else '?'} " + "; ".join(parts)


class Scheduler:
    """One process's scheduler; ``contexts()`` gives a fresh service Context per tick."""

    def __init__(self, contexts: Callable[[], Context], *, seconds: float = DEFAULT_SECONDS,
                 lease_seconds: float | None = None, holder: str | None = None):
        if seconds <= 0:
            raise ValueError("the scheduler's interval must be a positive number of seconds")
        self.contexts = contexts
        self.seconds = float(seconds)
        self.lease_seconds = float(lease_seconds or max(LEASE_TICKS * self.seconds, MIN_LEASE_SECONDS))
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def tick(self) -> Tick:
        """Lead if possible, then run each job; a job that fails is logged and named in ``failed``."""
        try:
            ctx = self.contexts()
            tick = Tick(at=ctx.now())
            tick.leader = aging.take_lead(ctx, self.holder, seconds=self.lease_seconds)
        except Exception:
            log.exception("scheduler: could not take the lease")
            return Tick(at=None, failed=["lease"])
        if tick.leader:
            for name, job in (("rejudged", aging.rejudge_due), ("overdue", aging.announce_overdue),
                              ("stalled", reconstruction.announce_stalled), ("aid_overdue", aid.announce_overdue)):
                try:
                    setattr(tick, name, job(ctx))
                except Exception:
                    log.exception("scheduler: %s failed", name)
                    tick.failed.append(name)
        tick.ended_at = ctx.now()
        return tick

    def pause_after(self, tick: Tick) -> float:
        """Seconds until the next tick: the interval, or less when a verdict changes or a house stalls sooner."""
        moments = [m for m in ((tick.rejudged or {}).get("next_change_at"), (tick.stalled or {}).get("next_stall_at"),
                               (tick.aid_overdue or {}).get("next_deadline_at")) if m is not None]
        if not tick.leader or not moments or tick.ended_at is None:
            return self.seconds
        until = (min(moments) - tick.ended_at).total_seconds()
        return min(max(until, MIN_PAUSE_SECONDS), self.seconds)

    def run(self, stop: Stopper) -> None:
        """Tick until ``stop`` is set, then give the lease up."""
        log.info("scheduler %s: every %g s (lease %g s)", self.holder, self.seconds, self.lease_seconds)
        while not stop.is_set():
            tick = self.tick()
            if tick.leader and (tick.failed or _did_something(tick)):
                log.info("scheduler: %s", tick.describe())
            if stop.wait(self.pause_after(tick)):
                break
        self.step_down()

    def step_down(self) -> None:
        """Give the lease up (if held), so another process need not wait for it to expire."""
        try:
            aging.step_down(self.contexts(), self.holder)
        except Exception:
            log.exception("scheduler: could not give the lease up")


def _did_something(tick: Tick) -> bool:
    return bool((tick.rejudged or {}).get("due") or (tick.overdue or {}).get("announced")
                or (tick.stalled or {}).get("announced") or (tick.aid_overdue or {}).get("announced"))
