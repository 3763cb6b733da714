"""The webhook delivery loop: fan the outbox out, deliver what is due, pause, again.

Run by ``relief webhooks`` (one process or many: the cursor lock and the delivery leases keep them from
doing the same work twice). Like :mod:`relief.scheduler` it knows no Flask: it takes a factory of
service Contexts (whose clock tests replace) and the Event that stops it. A failing round is logged and
the loop goes on; a round that found work runs the next one at once.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from relief.rounds import run_rounds
from relief.scheduler import Stopper
from relief.services import webhooks
from relief.services.context import Context

DEFAULT_SECONDS = 1.0
log = logging.getLogger(__name__)


@dataclass
class DeliveryWorker:
    contexts: Callable[[], Context]
    seconds: float = DEFAULT_SECONDS
    batch: int = 100
    #: Subscriptions posted to at once (each one's deliveries always one after another, in order).
    parallel: int = 8
    send: webhooks.Sender | None = None
    resolve: Callable[[str], Any] = webhooks.system_resolve
    rng: random.Random = field(default_factory=random.Random)
    wall: webhooks.Wall = webhooks.wall_now
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")

    def __post_init__(self) -> None:
        if self.send is None:
            self.send = webhooks.requests_sender()

    def round(self) -> dict[str, Any]:
        """Fan out until caught up, then one round of deliveries."""
        return webhooks.run_once(self.contexts(), self.holder, send=self.send, limit=self.batch, rng=self.rng,
                                 resolve=self.resolve, wall=self.wall, parallel=self.parallel)

    def run(self, stop: Stopper) -> None:
        run_rounds(self.round, stop, self.seconds, log=log, name="webhooks", failure="webhook round failed")
