"""The queue writers of one process wait in, without blocking the event loop, served in order of arrival.

Under ``relief serve`` every request is a greenlet on one gevent loop. A
writer that waits for a database lock inside a blocking call holds up the
whole loop — including the greenlet that holds the lock. Writers therefore
queue here first, on locks that are gevent's own once ``relief serve`` has
monkey-patched ``threading``: SQLite lets one writer in (it has one write
lock anyway), PostgreSQL a few, enough to overlap their round trips but few
enough that their CPU work does not interleave while each holds its row
locks (without the gate a hot row, one depot's rice, is held for the sum of
everyone's slices and tails grow past seconds).

The queue is first come, first served: a slot a writer gives up goes
straight to the writer that has waited longest, never to one that arrived
later and happened to run first (a plain semaphore lets newcomers barge in,
and under a steady load some writers then wait several turns: a closed loop
of 32 writers saw p99 three times its median). A waiter's wait is therefore
about the writers ahead of it × the time one write holds the store.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Iterator

from relief.errors import StoreBusy


class WriteGate:
    """At most ``writers`` writers at a time in this process; the others wait in turn, up to ``wait_seconds``."""

    def __init__(self, wait_seconds: float, writers: int = 1):
        self.wait_seconds = wait_seconds
        self._mutex = threading.Lock()  # guards the fields below; never held across a wait
        self._free = writers
        self._waiting: deque = deque()  # one held lock per waiting writer, released to hand it a slot
        self._inside = 0  # writers holding or waiting for a slot
        self._busy_since = 0.0  # when the gate last stopped being idle

    def _acquire(self) -> bool:
        with self._mutex:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if turn.acquire(timeout=self.wait_seconds):
            return True  # handed a slot by the writer before
        with self._mutex:
            if turn in self._waiting:
                self._waiting.remove(turn)
                return False
        return True  # handed a slot just as the wait ran out: take it

    def _release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()  # the slot passes on, never back to the pool
            else:
                self._free += 1

    @contextmanager
    def held(self) -> Iterator[float]:
        """Yields the monotonic deadline by which the writer must have the store's own lock too."""
        now = time.monotonic()
        if self._inside == 0:
            self._busy_since = now
        self._inside += 1
        try:
            if not self._acquire():
                raise StoreBusy(f"the store is busy with other writes; nothing was written, retry in a moment "
                                f"(waited {self.wait_seconds:g} s)")
            try:
                yield now + self.wait_seconds
            finally:
                self._release()
        finally:
            self._inside -= 1

    def busy_for(self) -> float:
        """Seconds this process's writers have followed one another without a pause."""
        return time.monotonic() - self._busy_since if self._inside else 0.0

    def restart_streak(self) -> None:
        self._busy_since = time.monotonic()
