"""Aid flag reviews and SMS subscriptions, as served: several clients at once against a real ``relief serve``
(gevent).

Clients come in pairs that run the same script with the same ``client_id`` s at the same moment, and each client
sends every write a second time after its answer, as a phone that lost the answer does.

* Aid flags: each pair steps a duplicate flag and a missed flag along the review table together (the same
  ``client_id`` s), then races two different steps on one duplicate and one missed flag (one step per client).
  Every step lands once (one step row, one audit line, one kept answer); of two different steps on one flag one
  passes and the other is refused with 409 ``transition_refused``, never both.
* SMS subscriptions: each pair subscribes a number per round and stops every other subscription. Every write
  lands once; every kept answer names a subscription that exists, and the stopped ones are inactive.

No 5xx anywhere; every send of one ``client_id`` answers the same.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from relief.domain import aid_chain as domain
from relief.services import aid_chain as service
from relief.store import aid_chain as flag_store
from relief.store.db import Store
from relief.store.tables import AidFlag, AidFlagStep, AuditEntry, ResendRecord, SmsSubscription
from tests import aid_chain_world as w
from tests.services.test_aid_chain import _ctx, _unmet_food
from tests.web.servers import relief_env, run, serving

pytestmark = pytest.mark.slow

PAIRS = 3
ROUNDS = 5
SLOWEST_SECONDS = 10.0  # a generous bound: the machine is shared; the point is that nothing hangs
#: Per pair, the two races: the flag kind and the step each client of the pair asks for.
RACES = {"duplicate": ({"to": "not_duplicate"}, {"to": "justified_top_up", "reason": "winter top-up agreed"}),
         "missed": ({"to": "aid_given"}, {"to": "dismissed", "reason": "moved away"})}


@dataclass
class Sent:
    kind: str
    client_id: str
    status: int
    body: dict | None
    seconds: float
    target: int | None = None


@dataclass
class Clients:
    """Pairs of clients running ``script(client, pair, twin, start)`` at once; every send is kept in ``sent``."""

    base: str
    token: str
    script: object
    sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> "Clients":
        pair_starts = [threading.Barrier(2) for _ in range(PAIRS)]
        start = threading.Barrier(2 * PAIRS)
        threads = [threading.Thread(target=self._client, args=(pair, twin, start, pair_starts[pair]), daemon=True)
                   for pair in range(PAIRS) for twin in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        assert not any(t.is_alive() for t in threads), "a client hung"
        return self

    def _client(self, pair: int, twin: int, start: threading.Barrier, together: threading.Barrier) -> None:
        with requests.Session() as http:
            start.wait(30)
            self.script(self, http, pair, twin, together)

    def send(self, http, kind: str, method: str, path: str, body: dict, target: int | None = None) -> Sent:
        started = time.monotonic()
        try:
            response = http.request(method, f"{self.base}{path}", json=body, timeout=30,
                                    headers={"Authorization": f"Bearer {self.token}"})
            answer = Sent(kind, body["client_id"], response.status_code, response.json(), 0.0, target)
        except (requests.RequestException, ValueError):
            answer = Sent(kind, body["client_id"], 0, None, 0.0, target)
        answer.seconds = time.monotonic() - started
        with self._lock:
            self.sent.append(answer)
        return answer

    def twice(self, http, kind: str, method: str, path: str, body: dict, target: int | None = None) -> dict | None:
        first = self.send(http, kind, method, path, body, target)
        self.send(http, kind, method, path, body, target)
        return first.body if first.status in (200, 201) else None


def count(url: str, model, *where) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        store.dispose()


def by_client_id(sent: list[Sent]) -> dict[tuple[str, str], list[Sent]]:
    grouped: dict[tuple[str, str], list[Sent]] = defaultdict(list)
    for s in sent:
        grouped[(s.kind, s.client_id)].append(s)
    return grouped


def answered_well(sent: list[Sent]) -> None:
    assert [s for s in sent if s.status >= 500 or s.status == 0] == [], "no 5xx, every request answered"
    slowest = max(sent, key=lambda s: s.seconds)
    assert slowest.seconds < SLOWEST_SECONDS, slowest


# --- aid flags ------------------------------------------------------------------------------------------------

def open_flags(url: str) -> dict[str, list[int]]:
    """The aid chain world swept (its duplicates and a missed food entry for HH3), each kind's first flag copied
    under new keys until every pair has two flags of each kind; the open flags' ids by kind."""
    store = Store(url)
    try:
        w.build(store)
        since = w.T0 + timedelta(days=10)
        service.sweep(_ctx(store, w.T0), w.T0 + timedelta(days=3))
        _unmet_food(store, "HH3", since)
        service.sweep(_ctx(store, since), since + timedelta(hours=1))
        facts = [c.name for c in AidFlag.__table__.columns
                 if c.name not in ("id", "key", "status", "opened_at", "updated_at", "resolved_at",
                                   "resolution_reason", "overdue_announced_at")]
        with store.write() as session:
            swept = session.scalars(select(AidFlag).where(AidFlag.status == "open").order_by(AidFlag.id)).all()
            copies = []
            for kind in RACES:
                mine = [f for f in swept if f.kind == kind]
                assert mine, f"the sweep opens a {kind} flag"
                copies += [{**{c: getattr(mine[0], c) for c in facts}, "key": f"{mine[0].key}:copy{n}"}
                           for n in range(2 * PAIRS - len(mine))]
            flag_store.upsert_flags(session, copies, now=since, initial_status=domain.INITIAL_STATUS.value,
                                    is_resolved=domain.is_resolved)
        with store.read() as session:
            rows = session.execute(select(AidFlag.kind, AidFlag.id).where(AidFlag.status == "open")
                                   .order_by(AidFlag.id)).all()
    finally:
        store.dispose()
    flags: dict[str, list[int]] = defaultdict(list)
    for kind, flag_id in rows:
        flags[kind].append(flag_id)
    assert all(len(flags[kind]) >= 2 * PAIRS for kind in RACES), dict(flags)
    return flags


def review_script(flags: dict[str, list[int]], run_id: str):
    def script(clients: Clients, http, pair: int, twin: int, together: threading.Barrier) -> None:
        ids = lambda what: f"af-{run_id}-{pair}-{what}"  # noqa: E731 — the pair's shared ids
        dup_same, dup_race = flags["duplicate"][2 * pair:2 * pair + 2]
        miss_same, miss_race = flags["missed"][2 * pair:2 * pair + 2]
        path = lambda flag_id: f"/api/aid-flags/{flag_id}/transitions"  # noqa: E731
        clients.twice(http, "step", "POST", path(dup_same),
                      {"client_id": ids("dup-confirm"), "to": "confirmed", "reason": "same rice twice"}, dup_same)
        clients.twice(http, "step", "POST", path(miss_same),
                      {"client_id": ids("miss-confirm"), "to": "confirmed", "reason": "no food seen"}, miss_same)
        clients.twice(http, "step", "POST", path(miss_same),
                      {"client_id": ids("miss-given"), "to": "aid_given", "reason": "rice handed over"}, miss_same)
        for kind, flag_id in (("duplicate", dup_race), ("missed", miss_race)):
            together.wait(30)
            clients.twice(http, "race", "POST", path(flag_id),
                          {"client_id": ids(f"race-{kind}-{twin}"), **RACES[kind][twin]}, flag_id)

    return script


def test_concurrent_reviewers_step_each_aid_flag_once(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    flags = open_flags(database_url)
    token = run(env, "users", "create", "af-commander", "--role", "commander").strip().splitlines()[-1]
    steps_before = count(database_url, AidFlagStep)
    run_id = uuid.uuid4().hex[:8]
    with serving(env) as base:
        clients = Clients(base, token, review_script(flags, run_id)).run()

    sent = clients.sent
    answered_well(sent)
    grouped = by_client_id(sent)
    steps = {key: answers for key, answers in grouped.items() if key[0] == "step"}
    assert len(steps) == 3 * PAIRS
    for (_, client_id), answers in steps.items():
        statuses = sorted(a.status for a in answers)
        assert statuses == [200, 200, 200, 201], (client_id, statuses, [a.body for a in answers])
        assert len({repr(a.body) for a in answers}) == 1, f"every send of {client_id} answers the same"

    store = Store(database_url)
    try:
        with store.read() as session:
            status = dict(session.execute(select(AidFlag.id, AidFlag.status)).all())
            moved = defaultdict(list)
            for step in session.scalars(select(AidFlagStep).where(AidFlagStep.from_status.is_not(None))
                                        .order_by(AidFlagStep.id)):
                moved[step.flag_id].append((step.from_status, step.to_status))
    finally:
        store.dispose()
    for pair in range(PAIRS):
        dup_same, dup_race = flags["duplicate"][2 * pair:2 * pair + 2]
        miss_same, miss_race = flags["missed"][2 * pair:2 * pair + 2]
        assert moved[dup_same] == [("open", "confirmed")] and status[dup_same] == "confirmed"
        assert moved[miss_same] == [("open", "confirmed"), ("confirmed", "aid_given")]
        assert status[miss_same] == "aid_given"
        for kind, flag_id in (("duplicate", dup_race), ("missed", miss_race)):
            racing = [grouped[("race", f"af-{run_id}-{pair}-race-{kind}-{twin}")] for twin in range(2)]
            outcomes = [sorted(a.status for a in answers) for answers in racing]
            assert sorted(outcomes) == [[200, 201], [409, 409]], (kind, flag_id, outcomes)
            [won] = [twin for twin in range(2) if outcomes[twin] == [200, 201]]
            assert len({repr(a.body) for a in racing[won]}) == 1
            assert racing[won][0].body["status"] == RACES[kind][won]["to"]
            assert {a.body["error"]["code"] for a in racing[1 - won]} == {"transition_refused"}
            assert moved[flag_id] == [("open", RACES[kind][won]["to"])], "never both steps"
            assert status[flag_id] == RACES[kind][won]["to"]
    untouched = set(status) - {f for kind in RACES for f in flags[kind][:2 * PAIRS]}
    assert all(not moved[f] for f in untouched)

    transitions = 5 * PAIRS  # per pair: two steps on the missed flag, one on the duplicate, one per race
    assert count(database_url, AidFlagStep) == steps_before + transitions
    assert count(database_url, AuditEntry, AuditEntry.action == "aid_flag.transition") == transitions
    assert count(database_url, ResendRecord, ResendRecord.client_id.like(f"af-{run_id}-%")) == transitions, \
        "one kept answer per step, none for a refused race"


# --- SMS subscriptions ----------------------------------------------------------------------------------------

def sms_script(run_id: str):
    def script(clients: Clients, http, pair: int, twin: int, together: threading.Barrier) -> None:
        ids = lambda what, n: f"ss-{run_id}-{pair}-{what}-{n}"  # noqa: E731 — the pair's shared ids
        for n in range(ROUNDS):
            made = clients.twice(http, "subscribe", "POST", "/api/sms/subscriptions",
                                 {"client_id": ids("subscribe", n), "phone": f"1390000{pair:02d}{n:02d}",
                                  "topics": ["incidents"], "hazards": ["landslide"], "min_level": "III",
                                  "mode": "immediate"})
            if made is not None and n % 2 == 0:
                subscription_id = made["subscription"]["id"]
                clients.twice(http, "stop", "DELETE", f"/api/sms/subscriptions/{subscription_id}",
                              {"client_id": ids("stop", n)}, subscription_id)

    return script


def test_concurrent_clients_subscribe_and_stop_sms_once(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance")
    run(env, "init-db")
    token = run(env, "users", "create", "ss-clerk", "--role", "township_clerk").strip().splitlines()[-1]
    run_id = uuid.uuid4().hex[:8]
    with serving(env) as base:
        clients = Clients(base, token, sms_script(run_id)).run()

    sent = clients.sent
    answered_well(sent)
    writes = by_client_id(sent)
    made = PAIRS * ROUNDS
    stopped = PAIRS * len(range(0, ROUNDS, 2))
    assert len(writes) == made + stopped
    for (kind, client_id), answers in writes.items():
        statuses = sorted(a.status for a in answers)
        assert statuses == ([200] * 4 if kind == "stop" else [200, 200, 200, 201]), (client_id, statuses)
        assert len({repr(a.body) for a in answers}) == 1, f"every send of {client_id} answers the same"

    store = Store(database_url)
    try:
        with store.read() as session:
            active = dict(session.execute(select(SmsSubscription.id, SmsSubscription.active)).all())
            phones = sorted(session.scalars(select(SmsSubscription.phone)))
    finally:
        store.dispose()
    kept = {kind: {answers[0].body["subscription"]["id"] for (k, _), answers in writes.items() if k == kind}
            for kind in ("subscribe", "stop")}
    assert len(kept["subscribe"]) == made and kept["subscribe"] == set(active), "every kept answer's row exists"
    assert {i for i, on in active.items() if not on} == kept["stop"] and len(kept["stop"]) == stopped
    assert phones == sorted(f"1390000{p:02d}{n:02d}" for p in range(PAIRS) for n in range(ROUNDS))
    assert count(database_url, AuditEntry, AuditEntry.action == "sms_subscription.create") == made
    assert count(database_url, AuditEntry, AuditEntry.action == "sms_subscription.delete") == stopped
    assert count(database_url, ResendRecord, ResendRecord.client_id.like(f"ss-{run_id}-%")) == made + stopped
