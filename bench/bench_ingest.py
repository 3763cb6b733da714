"""Sustained report ingestion over HTTP against a running ``relief serve`` on SQLite.

Not a test: run by hand, e.g.

    python bench/bench_ingest.py --seconds 20                  # relief serve, 8 connections, closed loop
    python bench/bench_ingest.py --seconds 20 --rate 300       # paced at 300 reports/s

(results and the commands used: docs/benchmarks.md, "Report ingestion").

It makes a throw-away instance (SQLite, the demo's areas so every report is
placed in its county and township, one field-reporter token), starts
``relief serve`` as a subprocess, and then:

1. measures the server's floor: ``GET /api/health`` and a small static file
   with the same client setup;
2. sends field reports (``POST /api/incidents``, JSON, new client id each)
   over ``--processes`` × ``--threads`` keep-alive connections for ``--seconds``. A request that
   times out or gets a 5xx is resent with the same client id; a fraction
   (``--resend``) of acknowledged reports is deliberately sent again, as a
   phone does when an answer is lost, and must come back 200 with the same id;
3. counts rows by client id in the database afterwards: every acknowledged
   report must be there exactly once (lost = 0, duplicated = 0).

Latency is per HTTP request (client-side, send to answer); ``--rate`` paces
the clients (open loop, latency then counted from the scheduled send time, so
a slow server cannot hide its queue) instead of sending as fast as answers come.
``--servers N`` runs N processes (connections spread over them, as behind a
proxy), ``--photo-share`` puts a JPEG into that share of the reports.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

KINDS = ("landslide", "collapse", "debris_flow", "flood", "snow_ice", "hail", "earthquake", "drought", "other")
ENSHI = (108.4, 29.1, 110.6, 31.4)  # lon/lat box of the prefecture
CST = timezone(timedelta(hours=8))
BENCH_USER = "bench-reporter"


# --- the server ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relief(env: dict, *args: str) -> str:
    result = subprocess.run(["relief", *args], env=env, capture_output=True, text=True, check=True)
    return result.stdout


def prepare(instance: Path, households: int, code: Path | None = None) -> tuple[dict, str]:
    """A fresh instance; ``code`` is another checkout of relief to run instead of the installed one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(RELIEF_INSTANCE_PATH=str(instance), RELIEF_DATABASE_URL=f"sqlite:///{instance / 'relief.db'}",
               RELIEF_SECRET_KEY="bench", RELIEF_PHOTO_DIR=str(instance / "photos"))
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code.resolve()), env.get("PYTHONPATH")]))
    relief(env, "init-db")
    if households:
        relief(env, "demo", "--households", str(households))
    token = relief(env, "users", "create", BENCH_USER, "--role", "field_reporter").strip().splitlines()[-1]
    return env, token


def start_server(env: dict, port: int) -> subprocess.Popen:
    command = ["relief", "serve", "--port", str(port)]
    log = Path(env["RELIEF_INSTANCE_PATH"]) / f"server-{port}.log"  # a file, not a pipe nobody drains
    with open(log, "w") as errors:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/health", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("relief serve did not come up:\n" + log.read_text())


# --- the clients ---------------------------------------------------------------------------
# A small asyncio HTTP/1.1 keep-alive client: ``requests`` costs more CPU per call than the
# server does, and on a 2-core machine the load generator must not be what is measured.

def report_body(rng: random.Random, photo: str | None = None) -> dict:
    body = {"client_id": str(uuid.uuid4()), "kind": rng.choice(KINDS),
            "description": "bench: slope failure next to the county road, two houses at risk",
            "lat": round(rng.uniform(ENSHI[1], ENSHI[3]), 6), "lon": round(rng.uniform(ENSHI[0], ENSHI[2]), 6),
            "occurred_at": (datetime.now(CST)
                            - timedelta(minutes=rng.uniform(0, 600))).replace(microsecond=0).isoformat()}
    if photo:
        body["photos"] = [photo]
    return body


def photo_base64(seed: int) -> str:
    """A 640x480 JPEG (~20-40 KB) with a little noise, so each client sends a real, distinct image."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.effect_noise((640, 480), 40).convert("RGB")
    image.putpixel((rng.randrange(640), rng.randrange(480)), (255, 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return base64.b64encode(out.getvalue()).decode()


class Connection:
    """One keep-alive connection; reconnects after a timeout or a closed socket."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Accept: application/json\r\n")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data


async def send(conn: Connection, method: str, path: str, body: dict | None, timeout: float, stats: dict
               ) -> tuple[int, dict | None]:
    """One report until it is answered: resend the same body on timeout, connection error or 5xx."""
    payload = json.dumps(body).encode() if body is not None else None
    for attempt in range(1, 11):
        started = time.perf_counter()
        try:
            status, data = await asyncio.wait_for(conn.request(method, path, payload), timeout)
        except (asyncio.TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats["retries"] += 1
            await conn.close()
            continue
        elapsed = (time.perf_counter() - started) * 1000
        if status >= 500:
            stats["retries"] += 1
            await asyncio.sleep(0.05 * attempt)
            continue
        stats["latencies"].append(elapsed)
        return status, (json.loads(data) if body is not None and data else None)
    return 0, None


async def worker(host: str, port: int, path: str, token: str, seconds: float, rate: float, timeout: float,
                 resend: float, rng: random.Random, ingest: bool, stats: dict, photo_share: float,
                 photo: str | None) -> None:
    conn = Connection(host, port, token)
    interval = 1.0 / rate if rate else 0.0
    start = time.perf_counter()
    next_at = start + rng.uniform(0, interval)
    method = "POST" if ingest else "GET"
    while time.perf_counter() - start < seconds:
        if interval:
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        scheduled = next_at if interval else time.perf_counter()
        body = report_body(rng, photo if photo and rng.random() < photo_share else None) if ingest else None
        status, answer = await send(conn, method, path, body, timeout, stats)
        stats["scheduled_latencies"].append((time.perf_counter() - scheduled) * 1000)
        next_at += interval
        if not ingest:
            stats["errors"] += status != 200
            continue
        if status in (200, 201):
            stats["acked"][body["client_id"]] = answer["id"]
            if rng.random() < resend:  # the answer "was lost": the phone sends the same report again
                again, answer2 = await send(conn, method, path, body, timeout, stats)
                if again == 200 and answer2["id"] == answer["id"]:
                    stats["resent_ok"] += 1
                else:
                    stats["resent_bad"] += 1
        elif status == 0:
            stats["errors"] += 1
        else:
            stats["refused"] += 1
    await conn.close()


def client_process(args: tuple, queue: mp.Queue) -> None:
    url, ports, token, seconds, rate, timeout, resend, connections, seed, ingest, photo_share = args
    host_port, path = url.split("//", 1)[1].split("/", 1)
    host = host_port.split(":")[0]
    photo = photo_base64(seed) if photo_share else None
    stats = {"latencies": [], "retries": 0, "acked": {}, "resent_ok": 0, "resent_bad": 0, "refused": 0, "errors": 0,
             "scheduled_latencies": []}

    async def run() -> None:
        await asyncio.gather(*(worker(host, ports[i % len(ports)], "/" + path, token, seconds, rate, timeout, resend,
                                      random.Random(seed * 1000 + i), ingest, stats, photo_share, photo)
                               for i in range(connections)))

    asyncio.run(run())
    queue.put([stats])


def run_load(url: str, token: str, *, seconds: float, processes: int, threads: int, rate: float, timeout: float,
             resend: float, ingest: bool, ports: list[int], photo_share: float = 0.0) -> dict:
    """Run the clients (``threads`` = concurrent connections per process, spread over ``ports``);
    ``rate`` is the total target (0: closed loop)."""
    per_connection = rate / (processes * threads) if rate else 0.0
    queue: mp.Queue = mp.Queue()
    procs = [mp.Process(target=client_process, args=((url, ports, token, seconds, per_connection, timeout, resend,
                                                       threads, p + 1, ingest, photo_share), queue))
             for p in range(processes)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    stats = [s for _ in procs for s in queue.get()]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for s in stats for x in s["latencies"])
    scheduled = sorted(x for s in stats for x in s["scheduled_latencies"])
    acked = {k: v for s in stats for k, v in s["acked"].items()}
    done = len(scheduled)
    return {
        "elapsed_s": elapsed, "completed": done, "per_second": done / seconds, "requests": len(latencies),
        "median_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        "p99_scheduled_ms": scheduled[int(len(scheduled) * 0.99) - 1] if scheduled else None,
        "retries": sum(s["retries"] for s in stats), "errors": sum(s["errors"] for s in stats),
        "refused": sum(s["refused"] for s in stats), "acked": acked,
        "resent_ok": sum(s["resent_ok"] for s in stats), "resent_bad": sum(s["resent_bad"] for s in stats),
    }


# --- checking the database ----------------------------------------------------------------

def verify(database: Path, acked: dict[str, int]) -> dict:
    with sqlite3.connect(database) as db:
        (user,) = db.execute("SELECT id FROM users WHERE name = ?", (BENCH_USER,)).fetchone()
        rows = db.execute("SELECT client_id, id FROM incidents WHERE reported_by = ?", (user,)).fetchall()
        reports = dict(db.execute("SELECT client_id, count(*) FROM field_reports WHERE reporter_id = ? "
                                  "GROUP BY client_id",
                                  (user,)).fetchall())
    stored: dict[str, list[int]] = {}
    for client_id, ident in rows:
        stored.setdefault(client_id, []).append(ident)
    lost = [c for c in acked if c not in stored]
    duplicated = sum(len(ids) - 1 for ids in stored.values()) + sum(n - 1 for n in reports.values() if n > 1)
    wrong_id = [c for c, ident in acked.items() if c in stored and stored[c][0] != ident]
    unacknowledged = [c for c in stored if c not in acked]
    return {"acknowledged": len(acked), "stored": len(stored), "lost": len(lost), "duplicated": duplicated,
            "answer_id_mismatch": len(wrong_id), "stored_but_unacknowledged": len(unacknowledged)}


# --- main ----------------------------------------------------------------------------------------

def show(name: str, result: dict) -> None:
    print(f"{name:<28} {result['per_second']:8.1f}/s  median {result['median_ms']:6.1f} ms  "
          f"p99 {result['p99_ms']:6.1f} ms"
          f"  (p99 from schedule {result['p99_scheduled_ms']:.1f} ms, retries {result['retries']}, "
          f"errors {result['errors']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="concurrent connections per client process")
    parser.add_argument("--rate", type=float, default=0,
                        help="target reports/s in total (0: closed loop, as fast as possible)")
    parser.add_argument("--timeout", type=float, default=2.0,
                        help="seconds before a request is resent with the same client id")
    parser.add_argument("--resend", type=float, default=0.05, help="share of acknowledged reports sent again")
    parser.add_argument("--households", type=int, default=2000,
                        help="demo size (its areas place the reports); 0: no areas")
    parser.add_argument("--photo-share", type=float, default=0.0,
                        help="share of reports carrying one 640x480 JPEG (base64)")
    parser.add_argument("--servers", type=int, default=1,
                        help="relief serve processes on separate ports, connections spread over them "
                             "(as behind a proxy)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="another checkout of relief (e.g. `git worktree add /tmp/before <commit>`) measured "
                             "first with the same load, for a ratio from one run")
    args = parser.parse_args()

    print(f"server: {args.servers} x relief serve (SQLite, {args.households} demo households); "
          f"clients: {args.processes} process(es) x {args.threads} connections, "
          f"{'closed loop' if not args.rate else f'paced at {args.rate:g}/s'}, {args.seconds:g} s, "
          f"timeout {args.timeout:g} s, "
          f"photos in {args.photo_share:.0%} of reports")
    runs = [("baseline", args.baseline)] if args.baseline else []
    results = {name: measure(args, code) for name, code in runs + [("this code", None)]}
    ok = True
    for name, (floor_health, floor_static, ingest, check) in results.items():
        print(f"-- {name}{f' ({args.baseline})' if name == 'baseline' else ''}")
        show("GET /api/health (floor)", floor_health)
        show("GET static 3 KB (floor)", floor_static)
        show("POST /api/incidents", ingest)
        print(f"deliberate resends: {ingest['resent_ok']} answered with the original, {ingest['resent_bad']} not")
        print("database check: " + json.dumps(check))
        ok &= (check["lost"] == 0 and check["duplicated"] == 0 and check["answer_id_mismatch"] == 0
               and ingest["resent_bad"] == 0)
    if args.baseline:
        before, after = results["baseline"][2], results["this code"][2]
        print(f"ratio this code / baseline: reports/s x{after['per_second'] / before['per_second']:.2f}, "
              f"p99 x{after['p99_ms'] / before['p99_ms']:.2f}")
    print("RESULT: " + ("no report lost or duplicated" if ok else "REPORTS LOST OR DUPLICATED"))
    sys.exit(0 if ok else 1)


def measure(args: argparse.Namespace, code: Path | None) -> tuple[dict, dict, dict, dict]:
    """One server (or ``--servers``) on a fresh instance: the two floors, then the ingestion load, then the count."""
    instance = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    env, token = prepare(instance, args.households, code)
    ports = [free_port() for _ in range(args.servers)]
    servers = [start_server(env, port) for port in ports]
    base = f"http://127.0.0.1:{ports[0]}"
    load = dict(seconds=args.seconds, processes=args.processes, threads=args.threads, rate=args.rate,
                timeout=args.timeout, resend=args.resend, ports=ports)
    try:
        short = {**load, "seconds": min(args.seconds, 10)}
        floor_health = run_load(f"{base}/api/health", token, ingest=False, **short)
        floor_static = run_load(f"{base}/static/css/report.css", token, ingest=False, **short)
        ingest = run_load(f"{base}/api/incidents", token, ingest=True, photo_share=args.photo_share, **load)
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    check = verify(instance / "relief.db", ingest["acked"])
    if args.keep:
        print(f"instance kept at {instance}")
    else:
        shutil.rmtree(instance, ignore_errors=True)
    return floor_health, floor_static, ingest, check


if __name__ == "__main__":
    main()
