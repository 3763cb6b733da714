"""Mixed concurrent writers against real ``relief serve`` processes: throughput and p99 per write kind.

For each N in ``--writers`` (default 1, 8, 32) it runs N writers for
``--seconds`` against one server, each taking the write kinds in turn
(distributions, receipts, check-ins/outs, incident transitions, new
incidents) with its own ``client_id`` per write, on a fresh database each
time. N = 1 is the single-writer baseline of the same run; every other N is
reported against it. Errors (5xx or no answer within 10 s) are counted.

Two clients: ``--client async`` (default) runs the writers as coroutines in
this one process, each on its own kept-alive connection, with hand-built
HTTP/1.1 (a fraction of a millisecond of CPU per request, so the client
does not compete with the server for the cores); ``--client threads`` runs
``tests.web.load.MixedWriters`` (one ``requests`` session per thread, as the
served concurrency tests do). Each run reports the client's and the
server's CPU, and — when the server sends ``Server-Timing`` (it does under
``RELIEF_SERVER_TIMING``, set here) — the time the app took per request, so
queueing outside the app shows as the difference.

    python bench/bench_writers.py                                   # SQLite
    python bench/bench_writers.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_writers
    python bench/bench_writers.py --server-tree /tmp/writers/old    # another tree's server, same client

The PostgreSQL database is dropped and created again for each N.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

#: The tree whose code builds the world and serves it: this one, or ``--server-tree`` (read before the imports, so an
#: older tree's migrations and models build its own database).
TREE = (Path(sys.argv[sys.argv.index("--server-tree") + 1]).resolve() if "--server-tree" in sys.argv
        else Path(__file__).resolve().parents[1])
sys.path.insert(0, str(TREE))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from tests.web.load import HOUSEHOLDS, KINDS, STOCK_AT_START, MixedWriters, prepare  # noqa: E402
from tests.web.servers import relief_env, run, serving  # noqa: E402

TIMEOUT = 10.0


@dataclass
class Answer:
    kind: str
    status: int
    seconds: float
    server_ms: float = float("nan")
    started: float = 0.0


class Connection:
    """One kept-alive HTTP/1.1 connection; just enough of the protocol for JSON requests and answers."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, token: str | None, body: dict | None) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            head.append("Content-Type: application/json")
        if token:
            head.append(f"Authorization: Bearer {token}")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        status_line, *lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            content = b""
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                content += (await self.reader.readexactly(size + 2))[:-2]
            await self.reader.readuntil(b"\r\n")
        else:
            content = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), headers, content

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def server_ms(headers: dict) -> float:
    timing = headers.get("server-timing", "")
    return float(timing.split("dur=", 1)[1]) if "dur=" in timing else float("nan")


@dataclass
class LightWriters:
    """``writers`` coroutines on one event loop, the same writes in the same order as ``MixedWriters``."""

    base: str
    tokens: dict[str, str]
    writers: int
    seconds: float
    answers: list[Answer] = field(default_factory=list)
    health: list[float] = field(default_factory=list)

    def run(self) -> "LightWriters":
        asyncio.run(self._main())
        return self

    def by_kind(self) -> dict[str, list[Answer]]:
        grouped: dict[str, list[Answer]] = {}
        for answer in self.answers:
            grouped.setdefault(answer.kind, []).append(answer)
        return grouped

    def server_errors(self) -> list[Answer]:
        return [a for a in self.answers if a.status >= 500 or a.status < 100]

    async def _main(self) -> None:
        host, port = self.base.split("//", 1)[1].split(":")
        self._address = (host, int(port))
        first = Connection(*self._address)
        status, _, _ = await first.request("POST", "/api/stock/receipts", self.tokens["admin"], {
            "holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": STOCK_AT_START,
            "source": "purchase", "client_id": f"load-start-{uuid.uuid4()}"})
        first.close()
        assert status in (200, 201), status
        stop = time.monotonic() + self.seconds
        await asyncio.gather(*(self._writer(i, stop) for i in range(self.writers)), self._probe_health(stop))

    async def _writer(self, index: int, stop: float) -> None:
        conn, at = Connection(*self._address), 0
        try:
            while time.monotonic() < stop:
                kind = KINDS[(index + at) % len(KINDS)]
                await getattr(self, f"_{kind}")(conn, index, at)
                at += 1
        finally:
            conn.close()

    async def _send(self, conn: Connection, kind: str, path: str, role: str, body: dict) -> dict | None:
        body = {**body, "client_id": f"load-{uuid.uuid4()}"}
        started = time.monotonic()
        try:
            status, headers, content = await asyncio.wait_for(
                conn.request("POST", path, self.tokens[role], body), TIMEOUT)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            conn.close()
            self.answers.append(Answer(kind, 0, time.monotonic() - started, started=started))
            return None
        self.answers.append(Answer(kind, status, time.monotonic() - started, server_ms(headers), started))
        return json.loads(content) if status in (200, 201) and content else None

    async def _distribution(self, conn, index, step) -> None:
        household = f"L{(index * 37 + step) % HOUSEHOLDS:04d}"
        await self._send(conn, "distribution", "/api/stock/distributions", "warehouse_keeper",
                         {"household_id": household, "holder_kind": "depot", "holder_id": "D1",
                          "item_code": "RICE", "quantity": 1})

    async def _receipt(self, conn, index, step) -> None:
        await self._send(conn, "receipt", "/api/stock/receipts", "warehouse_keeper",
                         {"holder_kind": "depot", "holder_id": "D1", "item_code": "WATER5", "quantity": 3,
                          "source": "donation"})

    async def _checkin(self, conn, index, step) -> None:
        household = f"L{(index * 53 + step // 2) % HOUSEHOLDS:04d}"
        if step % 2 == 0:
            await self._send(conn, "checkin", f"/api/households/{household}/checkin", "site_manager",
                             {"site_id": "S1" if index % 2 else "S2"})
        else:
            await self._send(conn, "checkin", f"/api/households/{household}/checkout", "site_manager",
                             {"to": "home"})

    async def _incident(self, conn, index, step) -> dict | None:
        return await self._send(conn, "incident", "/api/incidents", "admin",
                                {"kind": "landslide", "title": f"Slope {index}-{step}",
                                 "lat": 30.2 + (step % 50) * 0.01, "lon": 109.3 + index * 0.01,
                                 "occurred_at": "2026-11-20T09:00:00+08:00", "description": "cracks widening"})

    async def _transition(self, conn, index, step) -> None:
        created = await self._incident(conn, index, step)
        if created is None:
            return
        for action in ("verify", "respond", "stabilise", "close"):
            if await self._send(conn, "transition", f"/api/incidents/{created['id']}/transitions", "admin",
                                {"action": action, "reason": "load test"}) is None:
                return

    async def _probe_health(self, stop: float) -> None:
        conn = Connection(*self._address)
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                await asyncio.wait_for(conn.request("GET", "/api/health", None, None), TIMEOUT)
                self.health.append(time.monotonic() - started)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                self.health.append(float("inf"))
            await asyncio.sleep(0.1)
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def children() -> list[int]:
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found += [int(pid) for pid in (task / "children").read_text().split()]
    return found


def fresh_database(url: str | None, folder: Path, n: int) -> str:
    if url is None:
        return f"sqlite:///{folder / f'writers-{n}.db'}"
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return url


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def one_run(url: str | None, folder: Path, writers: int, seconds: float, settings: dict[str, str],
            client: str) -> dict:
    database = fresh_database(url, folder, writers)
    store = Store(database)
    upgrade(store)
    store.dispose()
    env = relief_env(database, folder / f"instance-{writers}", **{"RELIEF_SERVER_TIMING": "1", **settings})
    tokens = prepare(database, env, run)
    with serving(env) as base:
        (server,) = children()
        cpu = time.process_time(), cpu_seconds(server), time.monotonic()
        if client == "async":
            load = LightWriters(base, tokens, writers=writers, seconds=seconds).run()
        else:
            load = MixedWriters([base], tokens, writers=writers, seconds=seconds).run()
        wall = time.monotonic() - cpu[2]
        client_cpu, server_cpu = (time.process_time() - cpu[0]) / wall, (cpu_seconds(server) - cpu[1]) / wall
    if client == "async":
        (folder / f"answers-{writers}.json").write_text(json.dumps(
            [[a.kind, a.status, a.started, a.seconds, a.server_ms] for a in load.answers]))
    rows = {}
    for kind, answers in sorted(load.by_kind().items()):
        rows[kind] = summary(answers, seconds)
    rows["all"] = summary(load.answers, seconds)
    rows["all"]["errors"] = len(load.server_errors())
    rows["health_max_ms"] = 1000 * max(load.health) if load.health else float("nan")
    rows["cpu"] = {"client": client_cpu, "server": server_cpu}
    return rows


def summary(answers: list, seconds: float) -> dict:
    latencies = [a.seconds for a in answers]
    app = [a.server_ms for a in answers if not math.isnan(getattr(a, "server_ms", math.nan))]
    return {"count": len(answers), "per_s": len(answers) / seconds,
            "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * percentile(latencies, 0.99),
            "app_p50_ms": statistics.median(app) if app else float("nan"), "app_p99_ms": percentile(app, 0.99),
            "errors": sum(1 for a in answers if a.status >= 500 or a.status == 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file per run)")
    parser.add_argument("--writers", default="1,8,32", help="comma-separated writer counts; the first is the baseline")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres-writers", help="RELIEF_POSTGRES_WRITERS for the server (default: its own)")
    parser.add_argument("--client", choices=("async", "threads"), default="async")
    parser.add_argument("--server-tree", help="build and serve with this source tree instead (e.g. an older checkout)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--folder", help="keep databases and server logs here (default: a temporary folder)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="more server settings")
    args = parser.parse_args()
    settings = {"RELIEF_POSTGRES_WRITERS": args.postgres_writers} if args.postgres_writers else {}
    if args.server_tree:
        settings["PYTHONPATH"] = str(Path(args.server_tree).resolve())
    settings.update(item.split("=", 1) for item in args.env)
    counts = [int(n) for n in args.writers.split(",")]
    store = "PostgreSQL" if args.database else "SQLite"
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = {n: one_run(args.database, folder, n, args.seconds, settings, args.client) for n in counts}
    base = results[counts[0]]["all"]
    print(f"## {store}: mixed writers, {args.seconds:g} s per run, {args.client} client, "
          f"server {args.server_tree or 'this tree'} (load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after)\n")
    print("| writers | kind | writes | writes/s | p50 ms | p99 ms | app p50 ms | app p99 ms | errors "
          "| throughput × baseline |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        for kind, row in results[n].items():
            if kind in ("health_max_ms", "cpu"):
                continue
            ratio = row["per_s"] / base["per_s"] if kind == "all" else float("nan")
            print(f"| {n} | {kind} | {row['count']} | {row['per_s']:.1f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
                  f"| {row['app_p50_ms']:.1f} | {row['app_p99_ms']:.1f} "
                  f"| {row['errors']} | {'' if kind != 'all' else f'{ratio:.2f}'} |")
        cpu = results[n]["cpu"]
        print(f"| {n} | /api/health max {results[n]['health_max_ms']:.0f} ms; CPU client {cpu['client']:.2f}, "
              f"server {cpu['server']:.2f} cores | | | | | | | | |")
    if args.json:
        Path(args.json).write_text(json.dumps({"load": load_before, "client": args.client,
                                               "tree": args.server_tree, "results": results}, indent=1))


if __name__ == "__main__":
    main()
