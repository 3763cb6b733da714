"""A room full of staff writing at once, against real ``relief serve`` processes.

Used by the served concurrency tests and by ``bench/bench_writers.py``:
:func:`prepare` builds a small world with users, and :class:`MixedWriters`
runs N client threads for a while, each writing in a loop
(distributions, receipts, check-ins/outs, incident transitions, new
incidents), each write with its own ``client_id``. Every answer is kept
with its latency, so a caller can check status codes, latencies and that
the ledger holds exactly what was acknowledged.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count

import requests

from relief.store.db import Store
from tests import world

KINDS = ("distribution", "receipt", "checkin", "transition", "incident")
STOCK_AT_START = 1_000_000
HOUSEHOLDS = 240


def prepare(database_url: str, env: dict[str, str], run) -> dict[str, str]:
    """The hand-built world plus many households and roomy sites; returns a token per role used."""
    store = Store(database_url)
    try:
        world.build(store, households=[world.household(f"L{i:04d}", 2, 109.40 + i * 0.0005)
                                       for i in range(HOUSEHOLDS)],
                    sites=[world.site("S1", 100_000, 109.45), world.site("S2", 100_000, 109.48)])
    finally:
        store.dispose()
    return {role: run(env, "users", "create", f"load-{role}", "--role", role).strip()
            for role in ("admin", "warehouse_keeper", "site_manager")}


@dataclass
class Answer:
    kind: str
    status: int
    seconds: float
    quantity: float = 0.0


@dataclass
class MixedWriters:
    """``writers`` client threads spread over ``bases`` (one or more servers), for ``seconds``."""

    bases: list[str]
    tokens: dict[str, str]
    writers: int = 24
    seconds: float = 10.0
    kinds: tuple[str, ...] = KINDS
    timeout: float = 10.0
    answers: list[Answer] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> "MixedWriters":
        """Stock the depot, then run the writers and a health probe until the time is up."""
        first = requests.post(f"{self.bases[0]}/api/stock/receipts", timeout=30, headers=self._auth("admin"), json={
            "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": STOCK_AT_START,
            "source": "purchase", "client_id": f"load-start-{uuid.uuid4()}"})
        first.raise_for_status()
        stop = time.monotonic() + self.seconds
        threads = [threading.Thread(target=self._writer, args=(i, stop), daemon=True) for i in range(self.writers)]
        threads.append(threading.Thread(target=self._probe_health, args=(stop,), daemon=True))
        for t in threads:
            t.start()
        for t in threads:
            t.join(self.seconds + 4 * self.timeout)
        return self

    # --- what the checks read -------------------------------------------------------

    def by_kind(self) -> dict[str, list[Answer]]:
        grouped: dict[str, list[Answer]] = defaultdict(list)
        for answer in self.answers:
            grouped[answer.kind].append(answer)
        return grouped

    def server_errors(self) -> list[Answer]:
        return [a for a in self.answers if a.status >= 500 or a.status < 100]

    def acknowledged(self, kind: str) -> float:
        return sum(a.quantity for a in self.answers if a.kind == kind and a.status in (200, 201))

    # --- the clients ------------------------------------------------------------------

    def _auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def _writer(self, index: int, stop: float) -> None:
        """Each writer takes the kinds in turn, starting at its own, so any N makes every kind."""
        base = self.bases[index % len(self.bases)]
        http = requests.Session()
        step = count()
        while time.monotonic() < stop:
            at = next(step)
            kind = self.kinds[(index + at) % len(self.kinds)]
            getattr(self, f"_{kind}")(http, base, index, at)

    def _send(self, http, kind: str, url: str, role: str, body: dict, quantity: float = 0.0) -> dict | None:
        body = {**body, "client_id": f"load-{uuid.uuid4()}"}
        started = time.monotonic()
        try:
            response = http.post(url, json=body, headers=self._auth(role), timeout=self.timeout)
            status, payload = response.status_code, (response.json() if response.content else None)
        except requests.RequestException:
            status, payload = 0, None  # no answer at all: counted as a server error
        with self._lock:
            self.answers.append(Answer(kind, status, time.monotonic() - started, quantity))
        return payload if status in (200, 201) else None

    def _distribution(self, http, base, index, step) -> None:
        household = f"L{(index * 37 + step) % HOUSEHOLDS:04d}"
        self._send(http, "distribution", f"{base}/api/stock/distributions", "warehouse_keeper",
                   {"household_id": household, "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE",
                    "quantity": 1}, quantity=1)

    def _receipt(self, http, base, index, step) -> None:
        self._send(http, "receipt", f"{base}/api/stock/receipts", "warehouse_keeper",
                   {"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5", "quantity": 3,
                    "source": "donation"}, quantity=3)

    def _checkin(self, http, base, index, step) -> None:
        household = f"L{(index * 53 + step // 2) % HOUSEHOLDS:04d}"
        if step % 2 == 0:
            self._send(http, "checkin", f"{base}/api/households/{household}/checkin", "site_manager",
                       {"site_id": "S1" if index % 2 else "S2"})
        else:
            self._send(http, "checkin", f"{base}/api/households/{household}/checkout", "site_manager",
                       {"to": "home"})

    def _incident(self, http, base, index, step) -> dict | None:
        return self._send(http, "incident", f"{base}/api/incidents", "admin",
                          {"kind": "landslide", "title": f"Slope {index}-{step}", "lat": 30.2 + (step % 50) * 0.01,
                           "lon": 109.3 + index * 0.01, "occurred_at": "2026-11-20T09:00:00+08:00",
                           "description": "cracks widening"})

    def _transition(self, http, base, index, step) -> None:
        created = self._incident(http, base, index, step)
        if created is None:
            return
        for action in ("verify", "respond", "stabilise", "close"):
            if self._send(http, "transition", f"{base}/api/incidents/{created['id']}/transitions", "admin",
                          {"action": action, "reason": "load test"}) is None:
                return

    def _probe_health(self, stop: float) -> None:
        http = requests.Session()
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                http.get(f"{self.bases[0]}/api/health", timeout=self.timeout)
                self.health.append(time.monotonic() - started)
            except requests.RequestException:
                self.health.append(float("inf"))
            time.sleep(0.1)
