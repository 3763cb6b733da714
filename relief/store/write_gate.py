"""The queue writers of one process wait in, without blocking the event loop.

Under ``relief serve`` every request is a greenlet on one gevent loop. A
writer that waits for a database lock inside a blocking call holds up the
whole loop — including the greenlet that holds the lock. Writers therefore
queue here first, on a semaphore that is gevent's own once ``relief serve``
has monkey-patched ``threading``: SQLite lets one writer in (it has one
write lock anyway), PostgreSQL a few, enough to overlap their round trips
but few enough that their CPU work does not interleave while each holds its
row locks (without the gate a hot row, one depot's rice, is held for the
sum of everyone's slices and tails grow past seconds).
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

from relief.errors import StoreBusy


class WriteGate:
    """At most ``writers`` writers at a time in this process; the others wait, up to ``wait_seconds``."""

    def __init__(self, wait_seconds: float, writers: int = 1):
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(writers)
        self._inside = 0  # writers holding or waiting for a slot
        self._busy_since = 0.0  # when the gate last stopped being idle

    @contextmanager
    def held(self) -> Iterator[float]:
        """Yields the monotonic deadline by which the writer must have the store's own lock too."""
        now = time.monotonic()
        if self._inside == 0:
            self._busy_since = now
        self._inside += 1
        try:
            if not self._slots.acquire(timeout=self.wait_seconds):
                raise StoreBusy(f"the store is busy with other writes; nothing was written, retry in a moment "
                                f"(waited {self.wait_seconds:g} s)")
            try:
                yield now + self.wait_seconds
            finally:
                self._slots.release()
        finally:
            self._inside -= 1

    def busy_for(self) -> float:
        """Seconds this process's writers have followed one another without a pause."""
        return time.monotonic() - self._busy_since if self._inside else 0.0

    def restart_streak(self) -> None:
        self._busy_since = time.monotonic()
