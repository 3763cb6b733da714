"""Benchmark reconstruction over 100,000 houses: the township summary, one write, the per-house listing.

Not a test: run ``python bench/bench_reconstruction.py [--houses 100000]``
(``--database-url postgresql+psycopg://…`` to use PostgreSQL; its reconstruction
rows, households and areas are replaced). Set-up: the demo region's areas,
sites and ``--houses`` households (``build_demo``), every household's house
damaged, the ledger walked through its stages by the demo's generator
(``domain/demo/houses.py``: history, inspections, payments), all bulk-inserted
in one transaction. Measured, medians of ``--runs``:

1. ``services.reconstruction.summary(ctx, "township")`` from the store: houses counted by the database
   in groups of alike houses, each group judged by the domain (goal ≤ 1 s);
2. one stage transition (eligible → agreement_signed) and one passing inspection
   as service calls, ``--writes`` of each (goal: median ≤ 10 ms on SQLite);
3. ``relief reconstruction --as-of … --format csv`` as a command over every house,
   process start included (goal ≤ 3 s), and its in-process part (rows + CSV).
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from relief.domain.demo import DEMO_NOW, build_demo, load_admin
from relief.domain.demo.houses import build_houses
from relief.domain.reconstruction import ROW_COLUMNS
from relief.domain.spreadsheet import write_columns_csv
from relief.domain.standards import Standards
from relief.domain.vocabulary import RECONSTRUCTION_DAMAGE
from relief.services import reconstruction
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store import bulk
from relief.store import reconstruction as house_store
from relief.store.db import Store
from relief.store.migrate import upgrade

RELIEF = str(Path(sys.executable).with_name("relief"))
#: Damage shares of the benchmark's houses (every household has one).
DAMAGE_P = (0.1, 0.25, 0.65)


def row(case: str, size: str, times: list[float], goal: str = "", unit: str = "s") -> str:
    scale, digits = (1000.0, 1) if unit == "ms" else (1.0, 3)
    return (f"| {case} | {size} | {statistics.median(times) * scale:.{digits}f} {unit} | "
            f"{min(times) * scale:.{digits}f} {unit} | {goal} |")


def timed(work, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return out


def load(store: Store, ctx: Context, houses: int, seed: int) -> dict[str, int]:
    """The region's areas, sites and households, one house each, and the walked ledger, bulk-inserted."""
    region = build_demo(load_admin(), standards=ctx.standards, seed=seed, households=houses, as_of=DEMO_NOW)
    households = region.households.copy()
    rng = np.random.default_rng(seed)
    households["house_damage"] = rng.choice(np.array(RECONSTRUCTION_DAMAGE, dtype=object), len(households),
                                            p=DAMAGE_P)
    ledger = build_houses(households, standards=ctx.standards, seed=seed, as_of=DEMO_NOW)
    areas = region.areas.copy()
    areas["_rank"] = areas["level"].map({"prefecture": 0, "county": 1, "township": 2, "village": 3})
    with store.write() as session:
        bulk.delete_operational(session)
        bulk.insert_named(session, "areas", areas.sort_values(["_rank", "code"]).drop(columns="_rank"))
        bulk.insert_named(session, "sites", region.sites)
        bulk.insert_named(session, "households", households)
        for table, frame in ledger.frames().items():
            if table == "houses":
                house_store.insert_houses(session, frame)
            else:
                house_store.insert_records(session, table, frame)
    return ledger.counts()


def stored_counts(ctx: Context) -> dict[str, int]:
    return {"houses": len(reconstruction.house_rows(ctx, DEMO_NOW))}


def candidates(ctx: Context, writes: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Eligible houses to sign, and houses waiting for an inspected milestone (with it), ``writes`` of each."""
    fig = reconstruction.figures(ctx)
    rows = reconstruction.house_rows(ctx, DEMO_NOW)
    eligible = rows.loc[rows["stage"] == "eligible", "house_id"].tolist()[:writes]
    waiting = rows[rows["next_milestone"].isin(fig.inspected)]
    return eligible, list(zip(waiting["house_id"], waiting["next_milestone"]))[:writes]


def one_call(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--houses", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=50, help="transitions and inspections measured")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the houses a previous run left in --database-url (its writes included)")
    args = parser.parse_args(argv)

    folder = tempfile.TemporaryDirectory(prefix="relief-bench-")
    url = args.database_url or f"sqlite:///{folder.name}/relief.db"
    store = Store(url)
    upgrade(store)
    officer = Actor(None, "bench officer", "reconstruction_officer")
    published: list = []
    ctx = Context(store=store, actor=officer, publish=published.extend,
                  standards_loader=standards_loader(store, Standards.bundled()))
    ctx.clock = lambda: DEMO_NOW
    start = time.perf_counter()
    with store.read() as session:
        reuse = args.reuse and house_store.any_houses(session)
    counts = stored_counts(ctx) if reuse else load(store, ctx, args.houses, args.seed)
    print(f"loaded {counts} in {time.perf_counter() - start:.1f} s ({store.describe()})", file=sys.stderr)
    n = counts["houses"]
    lines = ["| case | size | median | best | goal |", "|---|---|---:|---:|---|"]

    # (1) the township summary from the store
    reconstruction.summary(ctx, "township")
    lines.append(row("summary by township (store groups → domain summary)", f"{n:,} houses",
                     timed(lambda: reconstruction.summary(ctx, "township"), args.runs), "≤ 1 s"))
    lines.append(row("summary by county", f"{n:,} houses",
                     timed(lambda: reconstruction.summary(ctx, "county"), args.runs), ""))

    # (2) one write as a service call
    eligible, waiting = candidates(ctx, args.writes)
    modes = {h: _mode(ctx, h) for h in eligible}
    signs = [one_call(lambda h=h: reconstruction.transition(ctx, h, {"stage": "agreement_signed",
                                                                     "rebuild_mode": modes[h]}))
             for h in eligible]
    checks = [one_call(lambda h=h, m=m, i=i: reconstruction.add_inspection(
        ctx, h, {"client_id": f"bench-{args.seed}-{i}-{time.time_ns()}", "milestone": m, "result": "pass"}))
        for i, (h, m) in enumerate(waiting)]
    lines.append(row("one transition (service call)", f"{len(signs)} calls", signs, "≤ 10 ms (SQLite)", "ms"))
    lines.append(row("one inspection (service call)", f"{len(checks)} calls", checks, "≤ 10 ms (SQLite)", "ms"))

    # (3) the per-house listing, in process and as the command
    def listing():
        out = io.StringIO()
        columns = reconstruction.house_columns(ctx, DEMO_NOW)
        for money in ("entitled", "paid", "due"):
            columns[money] = np.round(columns[money], 2)
        write_columns_csv(columns, out, ROW_COLUMNS)  # as the command writes it
        return out

    listing()
    lines.append(row("house columns + CSV in process", f"{n:,} houses", timed(listing, args.runs)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(RELIEF_DATABASE_URL=url, RELIEF_INSTANCE_PATH=str(Path(folder.name) / "instance"))
    command = [RELIEF, "reconstruction", "--as-of", DEMO_NOW.isoformat(), "--format", "csv"]

    def run_command():
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
        lines_out = done.stdout.count(b"\n")
        if lines_out != n + 1:
            raise SystemExit(f"relief reconstruction printed {lines_out} lines for {n} houses")

    lines.append(row("`relief reconstruction --format csv` (command)", f"{n:,} houses", timed(run_command, args.runs),
                     "≤ 3 s"))
    print("\n".join(lines))
    store.dispose()
    return 0


def _mode(ctx: Context, house_id: str) -> str:
    with ctx.reading() as session:
        damage = house_store.house(session, house_id).damage
    return "repair" if damage in reconstruction.figures(ctx).repair_damage else "in_place"


if __name__ == "__main__":
    raise SystemExit(main())
