"""The webhook writes, as served: subscriptions and endpoints made and stopped by several clients at once against a
real ``relief serve`` (gevent).

Clients come in pairs that run the same script with the same ``client_id`` s at the same moment, and each client
sends every write a second time after its answer, as a phone that lost the answer does. Each pair adds endpoints,
subscribes to each and stops every other subscription; along the way it sends a refused write (a bad field) and
reuses a ``client_id`` for another body. No 5xx; every write is acknowledged once (one 201, every other send 200
with the same body); refusals name their field and write nothing; the store holds one row, one audit line and one
kept answer per write, and nothing else.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import requests
from sqlalchemy import func, select

from relief.store.db import Store
from relief.store.tables import AuditEntry, ResendRecord, Subscription, WebhookEndpoint
from tests.web.servers import relief_env, run, serving

pytestmark = pytest.mark.slow

PAIRS = 4
ROUNDS = 6
ROLES = ("admin", "commander", "viewer", "field_reporter")
#: A public address: the SSRF rule accepts it without a DNS lookup, and nothing is ever posted to it here.
HOOK = "https://93.184.216.34/hook"
SLOWEST_SECONDS = 10.0  # a generous bound: the machine is shared; the point is that nothing hangs


@dataclass
class Sent:
    kind: str
    client_id: str
    status: int
    body: dict | None
    seconds: float


@dataclass
class Clients:
    base: str
    tokens: dict[str, str]
    run_id: str
    sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> "Clients":
        start = threading.Barrier(2 * PAIRS)
        threads = [threading.Thread(target=self._client, args=(pair, start), daemon=True)
                   for pair in range(PAIRS) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert not any(t.is_alive() for t in threads), "a client hung"
        return self

    def _send(self, http, kind: str, method: str, path: str, token: str, body: dict) -> Sent:
        started = time.monotonic()
        try:
            response = http.request(method, f"{self.base}{path}", json=body, timeout=30,
                                    headers={"Authorization": f"Bearer {token}"})
            answer = Sent(kind, body["client_id"], response.status_code, response.json(), 0.0)
        except (requests.RequestException, ValueError):
            answer = Sent(kind, body["client_id"], 0, None, 0.0)
        answer.seconds = time.monotonic() - started
        with self._lock:
            self.sent.append(answer)
        return answer

    def _twice(self, http, kind: str, method: str, path: str, token: str, body: dict) -> dict | None:
        first = self._send(http, kind, method, path, token, body)
        self._send(http, kind, method, path, token, body)
        return first.body if first.status in (200, 201) else None

    def _client(self, pair: int, start: threading.Barrier) -> None:
        http = requests.Session()
        token = self.tokens[ROLES[pair % len(ROLES)]]
        ids = lambda what, n: f"sw-{self.run_id}-{pair}-{what}-{n}"  # noqa: E731 — the pair's shared ids
        start.wait(30)
        for n in range(ROUNDS):
            made = self._twice(http, "endpoint", "POST", "/api/webhooks/endpoints", token,
                               {"client_id": ids("endpoint", n), "url": f"{HOOK}/{pair}/{n}",
                                "description": f"pair {pair} round {n}"})
            if made is None:
                continue
            subscribed = self._twice(http, "subscription", "POST", "/api/subscriptions", token,
                                     {"client_id": ids("subscription", n), "endpoint_id": made["endpoint"]["id"],
                                      "topics": ["incidents"], "min_level": "IV", "mode": "immediate"})
            if subscribed is not None and n % 2 == 0:
                self._twice(http, "stop", "DELETE", f"/api/subscriptions/{subscribed['subscription']['id']}", token,
                            {"client_id": ids("stop", n)})
            if n == 1:
                self._twice(http, "refused", "POST", "/api/subscriptions", token,
                            {"client_id": ids("refused", n), "endpoint_id": made["endpoint"]["id"],
                             "min_level": "V"})
                self._twice(http, "reused", "POST", "/api/webhooks/endpoints", token,
                            {"client_id": ids("endpoint", n), "url": f"{HOOK}/elsewhere"})


def count(url: str, model, *where) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        store.dispose()


def test_concurrent_clients_write_subscriptions_and_endpoints_once(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    tokens = {role: run(env, "users", "create", f"sw-{role}", "--role", role).strip().splitlines()[-1]
              for role in ROLES}
    run_id = uuid.uuid4().hex[:8]
    with serving(env) as base:
        clients = Clients(base, tokens, run_id).run()

    sent = clients.sent
    assert [s for s in sent if s.status >= 500 or s.status == 0] == [], "no 5xx, every request answered"
    by_id: dict[tuple[str, str], list[Sent]] = defaultdict(list)
    for s in sent:
        by_id[(s.kind, s.client_id)].append(s)

    writes = {key: answers for key, answers in by_id.items() if key[0] in ("endpoint", "subscription", "stop")}
    for (kind, client_id), answers in writes.items():
        statuses = sorted(a.status for a in answers)
        assert len(answers) >= 4, (kind, client_id)
        if kind == "stop":
            assert set(statuses) == {200}, (kind, client_id, statuses)
        else:
            assert statuses == [200] * (len(answers) - 1) + [201], (kind, client_id, statuses)
        bodies = {repr(a.body) for a in answers}
        assert len(bodies) == 1, f"every send of {client_id} answers the same"

    for answers in (a for key, a in by_id.items() if key[0] == "refused"):
        assert {(a.status, a.body["error"]["field"]) for a in answers} == {(400, "min_level")}
    for answers in (a for key, a in by_id.items() if key[0] == "reused"):
        assert {(a.status, a.body["error"]["field"]) for a in answers} == {(409, "client_id")}
    slowest = max(sent, key=lambda s: s.seconds)
    assert slowest.seconds < SLOWEST_SECONDS, slowest

    made = PAIRS * ROUNDS
    stopped = PAIRS * len(range(0, ROUNDS, 2))
    assert count(database_url, WebhookEndpoint) == made
    assert count(database_url, Subscription) == made
    assert count(database_url, Subscription, Subscription.active.is_(False)) == stopped
    assert count(database_url, AuditEntry, AuditEntry.action == "webhook.endpoint_create") == made
    assert count(database_url, AuditEntry, AuditEntry.action == "subscription.create") == made
    assert count(database_url, AuditEntry, AuditEntry.action == "subscription.delete") == stopped
    kept = count(database_url, ResendRecord, ResendRecord.client_id.like(f"sw-{run_id}-%"))
    assert kept == len(writes) == 2 * made + stopped, "one kept answer per write, none for a refusal"
    store = Store(database_url)
    try:
        with store.read() as session:
            endpoints = {e.id: (e.url, e.secret_encrypted) for e in session.scalars(select(WebhookEndpoint))}
            subscribed = [s.endpoint_id for s in session.scalars(select(Subscription))]
    finally:
        store.dispose()
    assert all(endpoint_id in endpoints for endpoint_id in subscribed)
    assert sorted(url for url, _ in endpoints.values()) == sorted(f"{HOOK}/{p}/{n}" for p in range(PAIRS)
                                                                  for n in range(ROUNDS))
    assert all(secret and not secret.startswith("whsec_") for _, secret in endpoints.values())
