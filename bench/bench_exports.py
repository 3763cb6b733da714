"""Benchmark the streaming exports on 1,000,000 distributions against a naive pandas ``to_csv``.

Not a test: run ``python bench/bench_exports.py [--rows 1000000] [--households 20000]``.
The stores are kept in ``--dir`` (default ``/tmp/exports``); ``--reuse`` takes them as they are when
present (building one takes about a minute). ``--old DIR`` also measures the code of another tree
(e.g. ``git archive HEAD | tar -x -C DIR``) in the same run; ``--repeat N`` reports medians of N runs;
``--url URL --no-small`` measures another store as it is (a PostgreSQL copy of the SQLite one, say).
Set-up: a fresh SQLite store (migrated), ``--households`` households with positions, the four test
items, and ``--rows`` distribution rows bulk-inserted with one ``executemany`` per 100,000 rows.
Measured, each in its own subprocess (so max RSS is that export's alone, reported by ``getrusage``), as wall-clock
seconds and as the CPU seconds the export used (steadier than wall-clock on a shared machine):

1. ``services.exports.write_file`` of ``distributions`` as CSV (goal ≤ 10 s, memory flat);
2. the same as GeoJSON (point Features from the households' positions; goal ≤ 10 s, memory flat);
3. naive pandas: ``pd.read_sql`` of the same joined rows, then ``DataFrame.to_csv`` (whole table in memory);
4. the CSV export again on a tenth of the rows (``--small``), to show that peak memory does not grow with rows.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]


def _run_export(url: str, fmt: str, out: str, limit: int | None) -> dict:
    from relief.domain.standards import Standards
    from relief.services import exports
    from relief.services.context import Context
    from relief.services.standards import standards_loader
    from relief.store.db import Store

    store = Store(url)
    ctx = Context(store=store, standards_loader=standards_loader(store, Standards.bundled()))
    start, cpu = time.perf_counter(), time.process_time()
    chosen = exports.plan(ctx, "distributions", fmt, public=False)
    exports.write_file(ctx, chosen, out)
    return {"seconds": time.perf_counter() - start, "export_cpu_seconds": time.process_time() - cpu}


def _run_naive(url: str, out: str) -> dict:
    import sqlite3

    import pandas as pd

    start, cpu = time.perf_counter(), time.process_time()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        frame = pd.read_sql(
            "SELECT d.*, i.name AS item_name, i.unit, h.village_code, h.county_code FROM distributions d "
            "JOIN households h ON h.id = d.household_id JOIN items i ON i.code = d.item_code ORDER BY d.id", db)
    frame.to_csv(out, index=False)
    return {"seconds": time.perf_counter() - start, "export_cpu_seconds": time.process_time() - cpu}


def child(kind: str, url: str, out: str) -> None:
    result = _run_naive(url, out) if kind == "naive" else _run_export(url, kind, out, None)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["max_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the whole process, imports included
    result["bytes"] = os.path.getsize(out)
    print(json.dumps(result))


def build(path: Path, rows: int, households: int) -> str:
    url = f"sqlite:///{path}"
    env = {**os.environ, "RELIEF_DATABASE_URL": url}
    subprocess.run(["relief", "init-db"], check=True, env={**env, "RELIEF_INSTANCE_PATH": str(path.parent)}, cwd=ROOT,
                   capture_output=True)
    import sqlite3

    rng = np.random.default_rng(7)
    lon = 109.0 + rng.random(households)
    lat = 30.0 + rng.random(households)
    wkb = shapely.to_wkb(shapely.points(lon, lat))
    now = datetime(2026, 11, 19, tzinfo=timezone.utc)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO areas (code, name_zh, name_en, level) VALUES ('422801', '恩施市', 'Enshi', 'county')")
        db.executemany("INSERT INTO items (code, name, unit, guarantee, kcal_per_unit, litres_per_unit, sets_per_unit,"
                       " pieces_per_unit) VALUES (?, ?, ?, ?, 0, 0, 0, 0)",
                       [("RICE", "大米", "kg", "food"), ("WATER5", "桶装水", "bottle", "water"),
                        ("BLANKET", "棉被", "piece", "bedding"), ("CLOTHES", "衣物", "set", "clothing")])
        db.executemany(
            "INSERT INTO households (id, head_name, members, infants, children, elderly, disabled, chronic, pregnant,"
            " injured, county_code, house_damage, needs_living_aid, evacuated, shelter, updated_at, geom, min_lon,"
            " min_lat, max_lon, max_lat) VALUES (?, ?, 3, 0, 0, 0, 0, 0, 0, 0, '422801', 'none', 0, 0, 'home', ?, ?,"
            " ?, ?, ?, ?)",
            [(f"H{i:06d}", f"户主{i}", "2026-11-19 00:00:00.000000", wkb[i], lon[i], lat[i], lon[i], lat[i])
             for i in range(households)])
        items = ("RICE", "WATER5", "BLANKET", "CLOTHES")
        step = 100_000
        for first in range(0, rows, step):
            n = min(step, rows - first)
            who = rng.integers(0, households, n)
            what = rng.integers(0, 4, n)
            minutes = rng.integers(0, 60 * 24 * 30, n)
            db.executemany(
                "INSERT INTO distributions (household_id, item_code, quantity, distributed_at) VALUES (?, ?, ?, ?)",
                [(f"H{h:06d}", items[k], float(1 + k), (now + timedelta(minutes=int(m))).strftime(
                    "%Y-%m-%d %H:%M:%S.000000")) for h, k, m in zip(who, what, minutes)])
    with sqlite3.connect(path) as db:  # fold the write-ahead log into the file, as a long-running store has
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url


def measure(kind: str, url: str, out: Path, tree: Path = ROOT) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    answer = subprocess.run([sys.executable, __file__, "--child", kind, url, str(out)], check=True,
                            capture_output=True, text=True, cwd=tree, env=env)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    return {key: float(np.median([r[key] for r in runs])) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/exports"), help="where the stores are kept")
    parser.add_argument("--reuse", action="store_true", help="use the stores in --dir when they exist")
    parser.add_argument("--old", type=Path, default=None, help="another tree to measure in the same run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measure (medians reported)")
    parser.add_argument("--only", default=None, help="comma-separated kinds: csv,geojson,naive")
    parser.add_argument("--no-small", action="store_true", help="skip the tenth-size store")
    parser.add_argument("--url", default=None,
                        help="measure this store as it is (e.g. PostgreSQL loaded from the SQLite one) instead")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    sizes = (("full", args.rows),) if args.no_small else (("full", args.rows), ("small", args.rows // 10))
    trees = [("new", ROOT)] + ([("old", args.old.resolve())] if args.old else [])
    for label, rows in sizes:
        path = folder / f"{label}-{rows}.db"
        if args.url:
            url = args.url
            print(f"{label}: measuring {url}", flush=True)
        elif args.reuse and path.exists():
            url = f"sqlite:///{path}"
            print(f"{label}: reusing {path}", flush=True)
        else:
            for stale in folder.glob(f"{path.name}*"):
                stale.unlink()
            start = time.perf_counter()
            url = build(path, rows, args.households)
            print(f"{label}: {rows:,} distributions inserted in {time.perf_counter() - start:.1f} s", flush=True)
        kinds = ("csv", "geojson", "naive") if label == "full" and url.startswith("sqlite") else ("csv", "geojson")
        if args.only:
            kinds = tuple(k for k in kinds if k in args.only.split(","))
        for kind in kinds:
            for name, tree in trees if kind != "naive" else trees[:1]:
                out = folder / f"{label}-{kind}.out"
                runs = []
                for _ in range(args.repeat):
                    runs.append(measure(kind, url, out, tree))
                    out.unlink()
                r = median_of(runs)
                each = ", ".join(f"{x['seconds']:.2f}" for x in runs)
                tag = kind if kind == "naive" else f"{kind} ({name})"
                print(f"  {tag:15s} {rows:>9,} rows  {r['seconds']:6.2f} s (CPU {r['export_cpu_seconds']:6.2f} s)"
                      f"  max RSS {r['max_rss_mb']:7.1f} MB"
                      f"  {r['bytes'] / 1e6:7.1f} MB written  [runs: {each}]"
                      f"  load {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
