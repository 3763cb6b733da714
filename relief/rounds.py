"""The loop of an outbox worker: run a round, pause when it found nothing to do, again until stopped.

A round returns what it did as ``{"claimed": n, "fanned_out": {"events": n, …}, …}``; one that claimed or
fanned out anything is logged and followed at once by the next, an idle one by a pause of ``seconds``. A
failing round is logged and the loop goes on.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from relief.scheduler import Stopper


def run_rounds(round_: Callable[[], dict[str, Any]], stop: Stopper, seconds: float, *, log: logging.Logger,
               name: str, failure: str) -> None:
    """Run ``round_`` until ``stop`` is set; ``name`` heads the log line of a busy round, ``failure`` is logged
    with the traceback of a failing one."""
    while not stop.is_set():
        busy = False
        try:
            done = round_()
            busy = done["claimed"] > 0 or done["fanned_out"]["events"] > 0
            if busy:
                log.info("%s: %s", name, done)
        except Exception:  # noqa: BLE001 — a failing round must not end the loop
            log.exception(failure)
        if not busy:
            stop.wait(seconds)
