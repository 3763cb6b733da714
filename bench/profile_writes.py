"""CPU and statements per write, for each write kind of ``bench/bench_writers.py``, in-process.

The mixed-writers benchmark is a closed loop on one SQLite write lock, so its
p99 at N writers is about N × the serial cost of one write. That cost is
measured here without the noise of a shared machine: each write kind is sent
``--requests`` times through Flask's test client with the benchmark's bodies
and headers (bearer tokens, a fresh ``client_id`` per write), on a file SQLite
store in WAL mode (or ``--database`` PostgreSQL), and for each request the
process CPU time (``time.process_time``) and the statements sent to the
database are counted. Medians are printed per kind, and the mix-weighted
mean (per five writer steps: one distribution, one receipt, one check-in or
check-out, two incidents, four transitions).

    python bench/profile_writes.py                      # SQLite, 300 writes per kind
    python bench/profile_writes.py --profile transition # and where one kind's CPU goes (cProfile)
    python bench/profile_writes.py --database postgresql+psycopg://postgres@127.0.0.1:5432/profile_writes
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from relief import create_app  # noqa: E402
from relief.cli.app import cli_context  # noqa: E402
from relief.services.accounts import create_user  # noqa: E402
from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from tests import world  # noqa: E402
from tests.web.load import HOUSEHOLDS, STOCK_AT_START  # noqa: E402

KINDS = ("distribution", "receipt", "checkin", "incident", "transition")
#: Writes of each kind in five steps of one benchmark writer (a transition step also creates its incident).
MIX = {"distribution": 1, "receipt": 1, "checkin": 1, "incident": 2, "transition": 4}
#: Households kept at the sites meanwhile: about what 32 writers leave there, each half the time.
SETTLED = 16
WRITERS = 32


class Statements:
    """Counts the statements a write sends: one BEGIN, what runs through SQLAlchemy, one COMMIT.

    SQLite's ``PRAGMA busy_timeout`` around a BEGIN is not counted (its BEGIN may go to the driver directly).
    """

    def __init__(self, engine):
        self.count = 0
        self.shown: list[str] | None = None
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "begin", self._seen_begin)
        event.listen(engine, "commit", self._seen_commit)

    def _seen_begin(self, *args) -> None:
        self.count += 1
        if self.shown is not None:
            self.shown.append("BEGIN")

    def _seen(self, conn, cursor, statement, *args) -> None:
        if statement.startswith(("BEGIN", "PRAGMA busy_timeout")):
            return
        self.count += 1
        if self.shown is not None:
            self.shown.append(" ".join(statement.split())[:160])

    def _seen_commit(self, *args) -> None:
        self.count += 1
        if self.shown is not None:
            self.shown.append("COMMIT")


class Writes:
    """The benchmark's requests, in the benchmark's shapes, through a test client."""

    def __init__(self, app, tokens: dict[str, str]):
        self.client = app.test_client()
        self.tokens = tokens
        self.step = Counter()
        self.incidents: list[int] = []
        self.actions = iter(())

    def post(self, url: str, role: str, body: dict) -> bytes:
        """The answer's body, unparsed (parsing it is the client's work, not the server's)."""
        body = {**body, "client_id": f"load-{uuid.uuid4()}"}
        answer = self.client.post(url, json=body, headers={"Authorization": f"Bearer {self.tokens[role]}"})
        if answer.status_code not in (200, 201):
            raise AssertionError(f"{url}: {answer.status_code} {answer.get_data(as_text=True)[:500]}")
        return answer.get_data()

    def distribution(self, i: int) -> None:
        household = f"L{(i * 37) % HOUSEHOLDS:04d}"
        self.post("/api/stock/distributions", "warehouse_keeper",
                  {"household_id": household, "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE",
                   "quantity": 1})

    def receipt(self, i: int) -> None:
        self.post("/api/stock/receipts", "warehouse_keeper",
                  {"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5", "quantity": 3,
                   "source": "donation"})

    def checkin(self, i: int) -> None:
        household = f"L{SETTLED + (i // 2) % (HOUSEHOLDS - SETTLED):04d}"
        if i % 2 == 0:
            self.post(f"/api/households/{household}/checkin", "site_manager", {"site_id": "S1" if i % 4 else "S2"})
        else:
            self.post(f"/api/households/{household}/checkout", "site_manager", {"to": "home"})

    def incident(self, i: int) -> bytes:
        index, step = i % WRITERS, i // WRITERS
        return self.post("/api/incidents", "admin",
                         {"kind": "landslide", "title": f"Slope {index}-{step}", "lat": 30.2 + (step % 50) * 0.01,
                          "lon": 109.3 + index * 0.01, "occurred_at": "2026-11-20T09:00:00+08:00",
                          "description": "cracks widening"})

    def before_transition(self, i: int) -> None:
        """The incident the next transitions take through its life, made outside the measured request."""
        if not self.incidents:
            self.incidents = [json.loads(self.incident(100_000 + i))["id"]]
            self.actions = iter(("verify", "respond", "stabilise", "close"))

    def transition(self, i: int) -> None:
        self.before_transition(i)
        action = next(self.actions)
        self.post(f"/api/incidents/{self.incidents[0]}/transitions", "admin", {"action": action, "reason": "load test"})
        if action == "close":
            self.incidents.pop(0)


def setting_up(url: str, instance: Path):
    """A migrated store with the benchmark's world, users and stock, and an app on it."""
    store = Store(url)
    upgrade(store)
    households = [world.household(f"L{i:04d}", 2, 109.40 + i * 0.0005) for i in range(HOUSEHOLDS)]
    world.build(store, households=households,
                sites=[world.site("S1", 100_000, 109.45), world.site("S2", 100_000, 109.48)])
    store.dispose()
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "profile-writes",
                      "REDIS_URL": None, "SCHEDULER": False})
    ctx = cli_context(app)
    tokens = {role: create_user(ctx, f"load-{role}", role).token for role in ("admin", "warehouse_keeper",
                                                                              "site_manager")}
    writes = Writes(app, tokens)
    writes.post("/api/stock/receipts", "admin", {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE",
                                                 "quantity": STOCK_AT_START, "source": "purchase"})
    for n in range(SETTLED):
        writes.post(f"/api/households/L{n:04d}/checkin", "site_manager", {"site_id": "S1" if n % 2 else "S2"})
    return app, writes


def measure(writes: Writes, statements: Statements, kind: str, requests: int, warm: int = 20) -> dict:
    send, ready = getattr(writes, kind), getattr(writes, f"before_{kind}", lambda i: None)
    for i in range(warm):
        send(i)
    cpu, queries = [], []
    for i in range(warm, warm + requests):
        ready(i)
        before_cpu, before_q = time.process_time(), statements.count
        send(i)
        cpu.append(1000 * (time.process_time() - before_cpu))
        queries.append(statements.count - before_q)
    return {"cpu_ms": statistics.median(cpu), "cpu_mean_ms": statistics.fmean(cpu),
            "queries": statistics.median(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--requests", type=int, default=300, help="writes measured per kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated write kinds")
    parser.add_argument("--profile", help="a kind to run once more under cProfile, printing the top functions")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--statements", action="store_true", help="print the statements of one write of each kind")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'profile.db'}"
        else:
            from bench.bench_writers import fresh_database

            url = fresh_database(url, Path(tmp), 0)
        app, writes = setting_up(url, Path(tmp) / "instance")
        statements = Statements(app.extensions["relief.store"].engine)
        results = {kind: measure(writes, statements, kind, args.requests) for kind in kinds}
        store = "PostgreSQL" if args.database else "SQLite (WAL)"
        print(f"## CPU per write, {store}, {args.requests} writes per kind (median)\n")
        print("| kind | CPU ms | CPU ms (mean) | statements |")
        print("|---|---:|---:|---:|")
        for kind, row in results.items():
            print(f"| {kind} | {row['cpu_ms']:.2f} | {row['cpu_mean_ms']:.2f} | {row['queries']:.0f} |")
        if set(MIX) <= set(results):
            weight = sum(MIX.values())
            mixed = sum(results[k]["cpu_mean_ms"] * n for k, n in MIX.items()) / weight
            print(f"\nMix-weighted mean CPU per write: {mixed:.2f} ms "
                  f"(32 writers in a closed loop: p50 ≈ {32 * mixed:.0f} ms)")
        if args.statements:
            for kind in kinds:
                statements.shown = []
                getattr(writes, kind)(20_000)
                print(f"\n{kind}:\n  " + "\n  ".join(statements.shown))
            statements.shown = None
        if args.profile:
            profiler = cProfile.Profile()
            send = getattr(writes, args.profile)
            profiler.enable()
            for i in range(10_000, 10_000 + args.requests):
                send(i)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
        app.extensions["relief.store"].dispose()


if __name__ == "__main__":
    main()
