"""Benchmark webhook delivery: commit → receipt for many subscriptions, and deliveries/s against bare requests.

Not a test: run ``python bench/bench_webhooks.py [--subscriptions 1000] [--events 5] [--workers 1]
[--database-url URL]``.

A temporary SQLite database (or ``--database-url``, e.g. a scratch PostgreSQL database) is migrated and
given ``--subscriptions`` subscriptions spread over ten endpoints of one local receiver (``http.server``
in its own process, answering 204 and noting each webhook-id's arrival time). ``--workers`` processes run
``relief webhooks``. This process then commits ``--events`` events through the service layer, one every
``--gap`` seconds, noting the wall-clock time right after each commit. Latency is receipt − commit over
every (subscription, event) pair; throughput is deliveries over the time from the first commit to the last
receipt. The same run measures a bare ``requests.Session`` loop posting the same number of signed bodies
to the same receiver (no database, no retries), the ceiling for one process.

Goal (issue 17): p99 ≤ 2 s with 1,000 subscriptions. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def receiver_process(port_queue, stop, results) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: dict[str, tuple[float, int]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            at = time.time()
            webhook_id = self.headers.get("webhook-id")
            if webhook_id and webhook_id not in seen:
                data = json.loads(body).get("data", {})
                seen[webhook_id] = (at, data.get("seq", 0))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    port_queue.put(server.server_address[1])
    stop.wait()
    server.shutdown()
    results.put(seen)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--gap", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from relief import create_app
    from relief.cli.app import cli_context
    from relief.domain.audience import Audience
    from relief.domain.vocabulary import Topic
    from relief.errors import StoreBusy
    from relief.services import webhooks
    from relief.services.context import Actor
    from relief.store import webhooks as store
    from relief.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="bench-webhooks-", dir="/tmp/webhooks" if Path("/tmp/webhooks").is_dir()
                                else None))
    url = args.database_url or f"sqlite:///{tmp / 'relief.db'}"
    config = {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp / "instance"), "SECRET_KEY": "bench-secret",
              "REDIS_URL": None, "SCHEDULER": False}
    app = create_app(config)
    upgrade(app.extensions["relief.store"])
    ctx = cli_context(app)

    ports, stop, results = mp.Queue(), mp.Event(), mp.Queue()
    receiver = mp.Process(target=receiver_process, args=(ports, stop, results), daemon=True)
    receiver.start()
    port = ports.get(timeout=10)

    with ctx.transaction() as unit:
        endpoints = [store.add_endpoint(unit.session, url=f"http://127.0.0.1:{port}/hook/{i}", description=None,
                                        secret_encrypted=webhooks.encrypt_secret(ctx, webhooks.new_secret()),
                                        owner_id=None, private_host_allowed=True, now=unit.now).id
                     for i in range(10)]
        for n in range(args.subscriptions):
            store.add_subscription(unit.session, owner_id=None, owner_role="commander",
                                   endpoint_id=endpoints[n % 10], areas=[], topics=[Topic.INCIDENTS], kinds=[],
                                   min_level=None, mode="immediate", created_by=None, now=unit.now)
    system = ctx.as_actor(Actor.system())

    env = {**os.environ, "PYTHONPATH": str(ROOT), "RELIEF_DATABASE_URL": url,
           "RELIEF_INSTANCE_PATH": str(tmp / "worker"), "RELIEF_SECRET_KEY": "bench-secret",
           "RELIEF_SCHEDULER": "off"}
    env.pop("RELIEF_REDIS_URL", None)
    command = [sys.executable, "-c", "from relief.cli import main; main()", "webhooks", "--seconds", "0.05",
               "--batch", str(args.batch), "--parallel", str(args.parallel)]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(args.workers)]
    try:
        time.sleep(3.0)  # let the workers start
        committed: dict[int, float] = {}
        for i in range(args.events):
            for _ in range(100):  # on SQLite the workers may hold the write lock a moment
                try:
                    with system.transaction() as unit:
                        unit.emit("incident.created", Topic.INCIDENTS, {"properties": {"id": 1000 + i}},
                                  area_code="422801", audience=Audience.PUBLIC)
                    break
                except StoreBusy:
                    time.sleep(0.01)
            committed[unit.events[0]["seq"]] = time.time()
            time.sleep(args.gap)
        expected = args.events * args.subscriptions
        deadline = time.time() + 120
        while time.time() < deadline:
            with ctx.reading() as session:
                if store.status_counts(session).get("delivered", 0) >= expected:
                    break
            time.sleep(0.2)
    finally:
        for w in workers:
            w.terminate()
            w.wait(10)

    # The bare loop, same receiver, same count, signed bodies, one process.
    import requests

    http = requests.Session()
    http.trust_env = False  # as the worker's sender
    secret = webhooks.new_secret()
    bodies = [webhooks.signed_request(secret, f"msg_bare_{n}", webhooks.wall_now(),
                                      {"type": "bench", "timestamp": None, "data": {"seq": -1}})
              for n in range(min(expected, 5000))]
    started = time.perf_counter()
    for body, headers in bodies:
        http.post(f"http://127.0.0.1:{port}/bare", data=body, headers=headers, timeout=10)
    bare_rate = len(bodies) / (time.perf_counter() - started)

    stop.set()
    seen = results.get(timeout=30)
    receiver.join(10)
    latencies = [at - committed[seq] for at, seq in seen.values() if seq in committed]
    last = max(at for at, seq in seen.values() if seq in committed)
    span = last - min(committed.values())
    busy = [at for at, seq in seen.values() if seq in committed]
    load = os.getloadavg()[0]
    print("| subscriptions | events | workers | delivered | p50 s | p95 s | p99 s | max s | deliveries/s (worker, "
          "first commit → last receipt over the busy seconds) | bare requests/s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    per_event = [max(at for at, seq in seen.values() if seq == s) - committed[s] for s in committed]
    worker_rate = len(busy) / sum(per_event) if sum(per_event) else float("nan")
    print(f"| {args.subscriptions} | {args.events} | {args.workers} | {len(latencies)}/{expected} | "
          f"{statistics.median(latencies):.2f} | {percentile(latencies, 95):.2f} | {percentile(latencies, 99):.2f} | "
          f"{max(latencies):.2f} | {worker_rate:.0f} | {bare_rate:.0f} | {load:.2f} |")
    print(f"(span {span:.1f} s; store {app.extensions['relief.store'].describe()}; scratch {tmp})")


if __name__ == "__main__":
    main()
