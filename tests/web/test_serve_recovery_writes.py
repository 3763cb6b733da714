"""The recovery half's writes, as served: house stages, inspections and tranches, assistance cases and household
edits from a dozen clients at once against a real ``relief serve`` (gevent).

Each client walks its own houses from the foundation to moving in (inspection, stage, tranche), opens a case and
takes it to public notice, then corrects its households' phones until the time is up; every write is sent twice
with the same ``client_id``, as a phone that lost the answer does. No 5xx, no request over two seconds, every
resend answered with the original, and the store holding exactly one row per acknowledged write.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import func, select

from relief.store.db import Store
from relief.store.tables import AssistanceCase, CaseTransition, HousePayment, HouseTransition, Inspection
from tests import assistance_world as aw
from tests import reconstruction_world as rw
from tests.web.servers import relief_env, run, serving

pytestmark = pytest.mark.slow

CLIENTS = 12
SECONDS = 8.0
SLOWEST_SECONDS = 2.0
ROLES = ("reconstruction_officer", "township_clerk", "village_committee", "site_manager")

#: Each house's walk from ``foundation`` (rebuilt in place): (kind, path under the house, body).
HOUSE_WALK = (
    ("inspection", "inspections", {"milestone": "main_structure", "result": "pass", "lat": 30.5, "lon": 109.2}),
    ("transition", "transitions", {"stage": "main_structure"}),
    ("payment", "payments", {"tranche": "agreement"}),
    ("payment", "payments", {"tranche": "main_structure"}),
    ("transition", "transitions", {"stage": "roofed"}),
    ("inspection", "inspections", {"milestone": "completed", "result": "pass", "lat": 30.5, "lon": 109.2}),
    ("transition", "transitions", {"stage": "completed"}),
    ("payment", "payments", {"tranche": "completion"}),
    ("transition", "transitions", {"stage": "moved_in"}),
)


def without_created(answer: dict | None) -> dict | None:
    """An inspection is synced as field reports are: the resend names the same record with ``created: false``."""
    return {k: v for k, v in answer.items() if k != "created"} if isinstance(answer, dict) else answer


@dataclass
class Sent:
    kind: str
    status: int
    again: int
    same: bool
    seconds: float


@dataclass
class RecoveryClients:
    base: str
    tokens: dict[str, str]
    answers: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> "RecoveryClients":
        stop = time.monotonic() + SECONDS
        threads = [threading.Thread(target=self._client, args=(i, stop), daemon=True) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SECONDS + 60)
        return self

    def _twice(self, http, kind: str, method: str, path: str, role: str, body: dict) -> dict | None:
        """The write, then the same write again (same ``client_id``); both answers kept."""
        body = {**body, "client_id": f"rw-{uuid.uuid4()}"}
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        answers = []
        for _ in range(2):
            started = time.monotonic()
            try:
                response = http.request(method, f"{self.base}{path}", json=body, headers=headers, timeout=10)
                answers.append((response.status_code, response.json(), time.monotonic() - started))
            except requests.RequestException:
                answers.append((0, None, time.monotonic() - started))
        (status, first, seconds), (again, second, later) = answers
        with self._lock:
            self.answers.append(Sent(kind, status, again, without_created(first) == without_created(second),
                                     max(seconds, later)))
        return first if status in (200, 201) else None

    def _client(self, index: int, stop: float) -> None:
        http = requests.Session()
        for house in (f"RH{index:02d}a", f"RH{index:02d}b"):
            for kind, path, body in HOUSE_WALK:
                if self._twice(http, kind, "POST", f"/api/houses/{house}/{path}", "reconstruction_officer",
                               body) is None:
                    break
        household = f"AH{index:02d}"
        opened = self._twice(http, "case", "POST", "/api/cases", "township_clerk", {
            "household_id": household, "programme": "transitional",
            "period_start": datetime.now(timezone.utc).isoformat()})
        if opened is not None:
            for action in ("review", "publish"):
                self._twice(http, "case step", "POST", f"/api/cases/{opened['case']['case_id']}/transitions",
                            "village_committee", {"action": action})
        serial = 0
        while serial == 0 or time.monotonic() < stop:  # at least one edit, however long the walks took
            serial += 1
            self._twice(http, "household edit", "PATCH", f"/api/households/{household}", "site_manager",
                        {"phone": f"0718-{index:02d}{serial:05d}", "reason": "number corrected on the phone"})

    def acknowledged(self, kind: str) -> int:
        return sum(1 for a in self.answers if a.kind == kind and a.status == 201)


def build(url: str) -> None:
    store = Store(url)
    try:
        rw.build_areas(store)
        for index in range(CLIENTS):
            for suffix in "ab":
                rw.add_house(store, f"RH{index:02d}{suffix}", stage="foundation", mode="in_place")
            aw.add_household(store, f"AH{index:02d}", serial=100 + index)
    finally:
        store.dispose()


def count(url: str, model, where=None) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            query = select(func.count()).select_from(model)
            return session.scalar(query if where is None else query.where(where))
    finally:
        store.dispose()


def test_a_dozen_clients_write_the_recovery_half_at_once(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    build(database_url)
    tokens = {role: run(env, "users", "create", f"rw-{role}", "--role", role).strip() for role in ROLES}
    with serving(env) as base:
        clients = RecoveryClients(base, tokens).run()

    sent = clients.answers
    assert {a.kind for a in sent} == {"inspection", "transition", "payment", "case", "case step", "household edit"}
    assert [a for a in sent if a.status >= 500 or a.again >= 500 or a.status < 100] == []
    refused = [a for a in sent if a.status not in (200, 201)]
    assert refused == [], "every step of the walks is allowed"
    differing = {(a.kind, a.status, a.again, a.same) for a in sent if a.again != 200 or not a.same}
    assert differing == set(), "a resend answers the original"
    slowest = max(sent, key=lambda a: a.seconds)
    assert slowest.seconds < SLOWEST_SECONDS, f"slowest write: {slowest}"

    walks = 2 * CLIENTS
    assert clients.acknowledged("inspection") == count(database_url, Inspection) == 2 * walks
    assert clients.acknowledged("transition") == count(database_url, HouseTransition) == 4 * walks
    assert clients.acknowledged("payment") == count(database_url, HousePayment) == 3 * walks
    assert clients.acknowledged("case") == count(database_url, AssistanceCase) == CLIENTS
    assert count(database_url, CaseTransition, CaseTransition.action == "publish") == CLIENTS
    assert sum(1 for a in sent if a.kind == "household edit") >= CLIENTS
