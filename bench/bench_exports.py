"""Benchmark the streaming exports on 1,000,000 distributions against a naive pandas ``to_csv``.

Not a test: run ``python bench/bench_exports.py [--rows 1000000] [--households 20000]``.
Set-up: a fresh SQLite store (migrated), ``--households`` households with positions, the four test
items, and ``--rows`` distribution rows bulk-inserted with one ``executemany`` per 100,000 rows.
Measured, each in its own subprocess (so max RSS is that export's alone, reported by ``getrusage``):

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
import tempfile
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
    start = time.perf_counter()
    chosen = exports.plan(ctx, "distributions", fmt, public=False)
    exports.write_file(ctx, chosen, out)
    return {"seconds": time.perf_counter() - start}


def _run_naive(url: str, out: str) -> dict:
    import sqlite3

    import pandas as pd

    start = time.perf_counter()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        frame = pd.read_sql(
            "SELECT d.*, i.name AS item_name, i.unit, h.village_code, h.county_code FROM distributions d "
            "JOIN households h ON h.id = d.household_id JOIN items i ON i.code = d.item_code ORDER BY d.id", db)
    frame.to_csv(out, index=False)
    return {"seconds": time.perf_counter() - start}


def child(kind: str, url: str, out: str) -> None:
    result = _run_naive(url, out) if kind == "naive" else _run_export(url, kind, out, None)
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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


def measure(kind: str, url: str, out: Path) -> dict:
    answer = subprocess.run([sys.executable, __file__, "--child", kind, url, str(out)], check=True,
                            capture_output=True, text=True, cwd=ROOT)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        results = {}
        for label, rows in (("full", args.rows), ("small", args.rows // 10)):
            start = time.perf_counter()
            url = build(folder / f"{label}.db", rows, args.households)
            print(f"{label}: {rows:,} distributions inserted in {time.perf_counter() - start:.1f} s", flush=True)
            kinds = ("csv", "geojson", "naive") if label == "full" else ("csv", "geojson")
            for kind in kinds:
                out = folder / f"{label}-{kind}.out"
                results[(label, kind)] = measure(kind, url, out)
                r = results[(label, kind)]
                print(f"  {kind:8s} {rows:>9,} rows  {r['seconds']:6.2f} s  max RSS {r['max_rss_mb']:7.1f} MB"
                      f"  {r['bytes'] / 1e6:7.1f} MB written", flush=True)
                out.unlink()


if __name__ == "__main__":
    main()
