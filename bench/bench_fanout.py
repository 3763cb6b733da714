"""Benchmark live fan-out: commit → receipt latency for many connected map clients.

Not a test: run ``python bench/bench_fanout.py [--clients 500] [--processes 5] [--events 40]``.

A temporary instance is served by ``relief serve`` (``--servers N`` of them
behind no proxy, clients spread round-robin) with Redis as the message queue.
Clients are python-socketio ``AsyncClient`` connections spread over several
processes so they don't starve the server; each subscribes like the map does
(topic ``incidents``, all areas). This process commits events through the
service layer (``ctx.transaction()`` + ``unit.emit``), exactly as an import
job on another machine would, and notes the wall-clock time right after each
commit; the clients note the time each event arrives. Latency is receipt −
commit, over every (client, event) pair. The same run first measures a
baseline with a single client.

Goal: p99 ≤ 250 ms with 500 clients. Needs Redis (``--redis``, default
``redis://127.0.0.1:6379/0``). Prints a markdown table.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.servers import relief_env, serving  # noqa: E402


def client_process(urls: list[str], count: int, first: int, ready, stop, results) -> None:
    """``count`` clients in one process; reports ``[(client, seq, received_at), …]`` when told to stop."""
    import socketio

    received: list[tuple[int, int, float]] = []

    async def one(n: int):
        sio = socketio.AsyncClient(reconnection=False)

        async def on_event(event):
            received.append((n, event["seq"], time.time()))

        sio.on("event", on_event, namespace="/live")
        await sio.connect(urls[n % len(urls)], namespaces=["/live"], transports=["websocket"], wait_timeout=30)
        await sio.call("subscribe", {"topics": ["incidents"]}, namespace="/live", timeout=30)
        return sio

    async def main():
        clients = []
        for start in range(first, first + count, 25):  # connect in small batches
            clients += await asyncio.gather(*(one(n) for n in range(start, min(start + 25, first + count))))
        ready.put(count)
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)

    asyncio.run(main())
    results.put(received)


def publish(app, events: int, interval: float) -> dict[int, float]:
    """Commit ``events`` events through the service layer; seq → wall time just after each commit."""
    from relief import live
    from relief.cli.app import cli_context

    ctx = cli_context(app)
    committed: dict[int, float] = {}

    def stamped(batch):
        now = time.time()
        for event in batch:
            committed[event["seq"]] = now
        live.publish(batch)

    ctx.publish = stamped
    for n in range(events):
        with ctx.transaction() as unit:
            unit.emit("incident.updated", "incidents", {"id": n, "bench": True}, area_code="422801")
        time.sleep(interval)
    return committed


def run_phase(urls: list[str], app, *, clients: int, processes: int, events: int, interval: float) -> dict:
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers, first = [], 0
    for count in per:
        if count:
            workers.append(ctx.Process(target=client_process, args=(urls, count, first, ready, stop, results)))
            first += count
    started = time.perf_counter()
    for w in workers:
        w.start()
    connected = sum(ready.get(timeout=300) for _ in workers)
    connect_s = time.perf_counter() - started
    time.sleep(1.0)
    committed = publish(app, events, interval)
    time.sleep(2.0)
    stop.set()
    received = [r for _ in workers for r in results.get(timeout=120)]
    for w in workers:
        w.join(timeout=30)
    latencies = sorted((at - committed[seq]) * 1000 for _, seq, at in received if seq in committed)
    expected = connected * len(committed)
    return {"clients": connected, "processes": len(workers), "events": len(committed), "deliveries": len(latencies),
            "lost": expected - len(latencies), "connect_s": connect_s,
            "median": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "p99": latencies[int(0.99 * (len(latencies) - 1))], "max": latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument("--servers", type=int, default=1, help="relief serve processes (Redis between them)")
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between commits")
    parser.add_argument("--redis", default=os.environ.get("RELIEF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="relief-bench-fanout-"))
    channel = f"relief-bench-{uuid.uuid4().hex[:8]}"
    env = relief_env(args.database_url or f"sqlite:///{folder / 'relief.db'}", folder / "instance",
                     RELIEF_REDIS_URL=args.redis, RELIEF_SOCKETIO_CHANNEL=channel)
    os.environ.update({k: v for k, v in env.items() if k.startswith("RELIEF_")})
    from relief import create_app

    app = create_app()  # migrates the database; emits go to Redis, as from any other process
    from contextlib import ExitStack

    with ExitStack() as stack:
        urls = [stack.enter_context(serving(env, timeout=60)) for _ in range(args.servers)]
        baseline = run_phase(urls, app, clients=1, processes=1, events=args.events, interval=args.interval)
        loaded = run_phase(urls, app, clients=args.clients, processes=args.processes, events=args.events,
                           interval=args.interval)
    print(f"\nFan-out, commit → receipt ({args.events} events {args.interval * 1000:.0f} ms apart, "
          f"{args.servers} server process(es), Redis message queue, {os.cpu_count()} CPUs)\n")
    print("| clients | client processes | deliveries | lost | median | p95 | p99 | max | connect all |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in (baseline, loaded):
        print(f"| {r['clients']} | {r['processes']} | {r['deliveries']:,} | {r['lost']} | {r['median']:.1f} ms | "
              f"{r['p95']:.1f} ms | {r['p99']:.1f} ms | {r['max']:.1f} ms | {r['connect_s']:.1f} s |")
    print(f"\ngoal p99 ≤ 250 ms with {args.clients} clients: {'met' if loaded['p99'] <= 250 else 'MISSED'}")


if __name__ == "__main__":
    main()
