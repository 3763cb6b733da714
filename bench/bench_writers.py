"""Mixed concurrent writers against real ``relief serve`` processes: throughput and p99 per write kind.

For each N in ``--writers`` (default 1, 8, 32) it runs N client threads for
``--seconds`` against one server, each thread doing one kind of write
(distributions, receipts, check-ins/outs, incident transitions, new
incidents) in a loop with its own ``client_id`` per write, on a fresh
database each time. N = 1 is the single-writer baseline of the same run;
every other N is reported against it. Errors (5xx or no answer) are counted.

    python bench/bench_writers.py                                   # SQLite
    python bench/bench_writers.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_writers

The PostgreSQL database is dropped and created again for each N.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from tests.web.load import KINDS, MixedWriters, prepare  # noqa: E402
from tests.web.servers import relief_env, run, serving  # noqa: E402


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


def one_run(url: str | None, folder: Path, writers: int, seconds: float, settings: dict[str, str]) -> dict:
    database = fresh_database(url, folder, writers)
    store = Store(database)
    upgrade(store)
    store.dispose()
    env = relief_env(database, folder / f"instance-{writers}", **settings)
    tokens = prepare(database, env, run)
    with serving(env) as base:
        load = MixedWriters([base], tokens, writers=writers, seconds=seconds).run()
    rows = {}
    for kind, answers in sorted(load.by_kind().items()):
        latencies = [a.seconds for a in answers]
        rows[kind] = {"count": len(answers), "per_s": len(answers) / seconds,
                      "p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * percentile(latencies, 0.99),
                      "errors": sum(1 for a in answers if a.status >= 500 or a.status == 0)}
    everything = [a.seconds for a in load.answers]
    rows["all"] = {"count": len(everything), "per_s": len(everything) / seconds,
                   "p50_ms": 1000 * statistics.median(everything), "p99_ms": 1000 * percentile(everything, 0.99),
                   "errors": len(load.server_errors())}
    rows["health_max_ms"] = 1000 * max(load.health) if load.health else float("nan")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file per run)")
    parser.add_argument("--writers", default="1,8,32", help="comma-separated writer counts; the first is the baseline")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres-writers", help="RELIEF_POSTGRES_WRITERS for the server (default: its own)")
    args = parser.parse_args()
    settings = {"RELIEF_POSTGRES_WRITERS": args.postgres_writers} if args.postgres_writers else {}
    counts = [int(n) for n in args.writers.split(",")]
    store = "PostgreSQL" if args.database else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        results = {n: one_run(args.database, Path(tmp), n, args.seconds, settings) for n in counts}
    base = results[counts[0]]["all"]
    print(f"## {store}: mixed writers, {args.seconds:g} s per run (kinds: {', '.join(KINDS)})\n")
    print("| writers | kind | writes | writes/s | p50 ms | p99 ms | errors | throughput × baseline |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        for kind, row in results[n].items():
            if kind == "health_max_ms":
                continue
            ratio = row["per_s"] / base["per_s"] if kind == "all" else float("nan")
            print(f"| {n} | {kind} | {row['count']} | {row['per_s']:.1f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
                  f"| {row['errors']} | {'' if kind != 'all' else f'{ratio:.2f}'} |")
        print(f"| {n} | /api/health max | | | | {results[n]['health_max_ms']:.0f} | | |")


if __name__ == "__main__":
    main()
