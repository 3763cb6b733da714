"""Benchmark live fan-out: commit → receipt latency for many connected map clients.

Not a test: run ``python bench/bench_fanout.py [--clients 500] [--processes 5] [--events 40]``.

A temporary instance is served by ``relief serve`` (``--servers N`` of them
behind no proxy, clients spread round-robin) with Redis as the message queue.
Clients are minimal asyncio Socket.IO websocket clients (or, with
``--socketio-client``, python-socketio's threaded ``Client``), spread over
several processes so they don't starve the server; each subscribes like the map does
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


def client_process(urls: list[str], count: int, first: int, ready, stop, results, lean: bool) -> None:
    """``count`` clients in one process; reports ``[(client, seq, received_at), …]`` when told to stop."""
    received: list[tuple[int, int, float]] = []
    try:
        if lean:
            import asyncio

            asyncio.run(_lean_clients(urls, count, first, ready, stop, received))
        else:
            _socketio_clients(urls, count, first, ready, stop, received)
    except Exception as error:  # tell the parent at once instead of letting it wait
        ready.put(f"client process failed: {error!r}")
        raise
    results.put(received)


def _socketio_clients(urls, count, first, ready, stop, received) -> None:
    """python-socketio ``Client``s (a reader thread each): what a Python integration would use."""
    from concurrent.futures import ThreadPoolExecutor

    import socketio

    def one(n: int) -> socketio.Client:
        sio = socketio.Client(reconnection=False)
        sio.on("event", lambda event: received.append((n, event["seq"], time.time())), namespace="/live")
        sio.connect(urls[n % len(urls)], namespaces=["/live"], transports=["websocket"], wait_timeout=30)
        sio.call("subscribe", {"topics": ["incidents"]}, namespace="/live", timeout=30)
        return sio

    with ThreadPoolExecutor(max_workers=16) as pool:
        clients = list(pool.map(one, range(first, first + count)))
    ready.put(count)
    stop.wait()
    for client in clients:
        client.disconnect()


async def _lean_clients(urls, count, first, ready, stop, received) -> None:
    """Minimal Socket.IO v5 / Engine.IO v4 websocket clients on one asyncio loop (wsproto).

    Each does what the map's client does on the wire (connect to ``/live``,
    ``subscribe`` with an acknowledgement, answer pings) at a fraction of a
    threaded client's CPU, so that on a small machine the clients measure the
    server's fan-out rather than their own scheduling.
    """
    import asyncio
    import json
    from urllib.parse import urlsplit

    from wsproto import ConnectionType, WSConnection
    from wsproto.events import CloseConnection, Ping, Request, TextMessage

    async def one(n: int, subscribed: asyncio.Event):
        url = urlsplit(urls[n % len(urls)])
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        ws = WSConnection(ConnectionType.CLIENT)
        writer.write(ws.send(Request(host=url.netloc, target="/socket.io/?EIO=4&transport=websocket")))
        text = ""
        while not stop.is_set():
            data = await reader.read(65536)
            if not data:
                break
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Ping):
                    writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    return
                elif isinstance(event, TextMessage):
                    text += event.data
                    if not event.message_finished:
                        continue
                    message, text = text, ""
                    if message.startswith("42/live,"):
                        at = time.time()
                        received.append((n, json.loads(message[8:])[1]["seq"], at))
                    elif message == "2":
                        writer.write(ws.send(TextMessage(data="3")))
                    elif message.startswith("0"):
                        writer.write(ws.send(TextMessage(data="40/live,")))
                    elif message.startswith("40/live,"):
                        writer.write(ws.send(TextMessage(data='42/live,1["subscribe",{"topics":["incidents"]}]')))
                    elif message.startswith("43/live,1"):
                        subscribed.set()
            await writer.drain()
        writer.close()

    async def watch_stop():
        while not stop.is_set():
            await asyncio.sleep(0.05)

    events = [asyncio.Event() for _ in range(count)]
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(first + i, events[i])))
        if i % 25 == 24:
            await asyncio.gather(*(e.wait() for e in events[i - 24:i + 1]))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), timeout=120)
    ready.put(count)
    await watch_stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


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


def run_phase(urls: list[str], app, *, clients: int, processes: int, events: int, interval: float, lean: bool) -> dict:
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers, first = [], 0
    for count in per:
        if count:
            workers.append(ctx.Process(target=client_process, args=(urls, count, first, ready, stop, results, lean)))
            first += count
    started = time.perf_counter()
    for w in workers:
        w.start()
    answers = [ready.get(timeout=300) for _ in workers]
    failed = [a for a in answers if not isinstance(a, int)]
    if failed:
        stop.set()
        raise SystemExit(failed[0])
    connected = sum(answers)
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
    by_client: dict[int, list[int]] = {}
    for client, seq, _ in received:  # each process appends in arrival order
        by_client.setdefault(client, []).append(seq)
    disordered = sum(seqs != sorted(seqs) for seqs in by_client.values())
    return {"clients": connected, "processes": len(workers), "events": len(committed), "deliveries": len(latencies),
            "lost": expected - len(latencies), "disordered": disordered, "connect_s": connect_s,
            "median": statistics.median(latencies), "p95": latencies[int(0.95 * (len(latencies) - 1))],
            "p99": latencies[int(0.99 * (len(latencies) - 1))], "max": latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--processes", type=int, default=5, help="client processes")
    parser.add_argument("--servers", type=int, default=1, help="relief serve processes (Redis between them)")
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between commits")
    parser.add_argument("--socketio-client", action="store_true",
                        help="use python-socketio's threaded Client instead of the lean asyncio clients")
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
        lean = not args.socketio_client
        baseline = run_phase(urls, app, clients=1, processes=1, events=args.events, interval=args.interval, lean=lean)
        loaded = run_phase(urls, app, clients=args.clients, processes=args.processes, events=args.events,
                           interval=args.interval, lean=lean)
    kind = "python-socketio Client threads" if args.socketio_client else "lean asyncio websocket clients"
    print(f"\nFan-out, commit → receipt ({args.events} events {args.interval * 1000:.0f} ms apart, "
          f"{args.servers} server process(es), Redis message queue, {kind}, {os.cpu_count()} CPUs)\n")
    print("| clients | client processes | deliveries | lost | clients out of order | median | p95 | p99 | max "
          "| connect all |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in (baseline, loaded):
        print(f"| {r['clients']} | {r['processes']} | {r['deliveries']:,} | {r['lost']} | {r['disordered']} | "
              f"{r['median']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms | {r['max']:.1f} ms | "
              f"{r['connect_s']:.1f} s |")
    print(f"\ngoal p99 ≤ 250 ms with {args.clients} clients: {'met' if loaded['p99'] <= 250 else 'MISSED'}")


if __name__ == "__main__":
    main()
