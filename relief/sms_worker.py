"""The SMS loop: fan the outbox out to SMS subscriptions, hand due messages to the gateway, pause, again.

Run by ``relief sms`` (one process or several: the cursor lock and the message leases keep them from doing
the same work twice). Like :mod:`relief.webhooks_worker` it knows no Flask: it takes a factory of service
Contexts and the Event that stops it. A failing round is logged and the loop goes on.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from relief.rounds import run_rounds
from relief.scheduler import Stopper
from relief.services import sms
from relief.services.context import Context
from relief.sms_gateways import Gateway

DEFAULT_SECONDS = 2.0
log = logging.getLogger(__name__)


@dataclass
class SmsWorker:
    contexts: Callable[[], Context]
    gateway: Gateway
    seconds: float = DEFAULT_SECONDS
    batch: int = 100
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")

    def round(self) -> dict[str, Any]:
        return sms.run_once(self.contexts(), self.holder, gateway=self.gateway, limit=self.batch)

    def run(self, stop: Stopper) -> None:
        run_rounds(self.round, stop, self.seconds, log=log, name="sms", failure="sms round failed")
