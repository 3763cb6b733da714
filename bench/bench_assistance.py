"""Benchmark living assistance over 100,000 households: the eligibility sweep, one transition, a payout batch.

Not a test: run ``python bench/bench_assistance.py [--households 100000]``
(``--database-url postgresql+psycopg://…`` to use PostgreSQL; its operational
rows are replaced). Set-up: the demo region's areas, sites and ``--households``
households (``build_demo``), a share of them with collapsed or severely damaged
houses (eligible for transitional assistance), bulk-inserted; then ``--batch``
approved cases with bank accounts and ``--writes`` applied cases, bulk-inserted
through the store. Measured:

1. ``relief assistance propose --programme transitional --as-of … --format csv`` as a command over every
   household, process start and the store read included (goal ≤ 2 s), and its in-process part, medians of
   ``--runs``;
2. one transition (applied → village_reviewed) as a service call, ``--writes`` of them (goal: median ≤ 10 ms
   on SQLite);
3. one payout batch of ``--batch`` approved cases written (lines stored and the bank frame; goal ≤ 5 s), then
   the bank's confirmation of all of them as paid (cases paid, history, audit, events, guarantees re-judged).

``--sweep-only`` measures (1) alone and writes no case, so ``--reuse`` can measure the same households again.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from relief.domain import assistance as domain
from relief.domain.demo import DEMO_NOW, build_demo, load_admin
from relief.domain.standards import Standards
from relief.services import assistance
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store import assistance as assistance_store
from relief.store import bulk
from relief.store.db import Store
from relief.store.migrate import upgrade

RELIEF = str(Path(sys.executable).with_name("relief"))
PROGRAMME = "transitional"
#: Damage shares of the benchmark's households: collapsed, severe (eligible), general, none.
DAMAGE = ("collapsed", "severe", "general", "none")
DAMAGE_P = (0.3, 0.35, 0.15, 0.2)


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


def load(store: Store, ctx: Context, households: int, seed: int) -> int:
    """The region's areas, sites and households (a share with lost houses), bulk-inserted; the programmes."""
    region = build_demo(load_admin(), standards=ctx.standards, seed=seed, households=households, as_of=DEMO_NOW)
    frame = region.households.copy()
    frame["house_damage"] = np.random.default_rng(seed).choice(np.array(DAMAGE, dtype=object), len(frame),
                                                               p=DAMAGE_P)
    areas = region.areas.copy()
    areas["_rank"] = areas["level"].map({"prefecture": 0, "county": 1, "township": 2, "village": 3})
    with store.write() as session:
        assistance_store.delete_all(session)
        bulk.delete_operational(session)
        bulk.insert_named(session, "areas", areas.sort_values(["_rank", "code"]).drop(columns="_rank"))
        bulk.insert_named(session, "sites", region.sites)
        bulk.insert_named(session, "households", frame)
    with ctx.transaction() as unit:
        assistance.sync(unit, ctx)
    return len(frame)


def account_numbers(n: int, seed: int) -> list[str]:
    bodies = [f"6217{int(v):014d}" for v in np.random.default_rng(seed).integers(0, 10**14, n)]
    return [b + domain.luhn_check_digit(b) for b in bodies]


def add_cases(store: Store, ctx: Context, proposals: pd.DataFrame, approved: int, applied: int,
              seed: int) -> list[str]:
    """``approved`` approved cases with bank accounts and ``applied`` applied ones, from the proposals, in bulk;
    the applied case ids."""
    chosen = proposals.iloc[:approved + applied].reset_index(drop=True)
    ids = [f"AC-BENCH-{i:07d}" for i in range(len(chosen))]
    stage = np.where(np.arange(len(chosen)) < approved, "approved", "applied")
    with ctx.reading() as session:
        programme_id = assistance.programme_in_force(session, ctx, PROGRAMME)[0].id
    now = DEMO_NOW
    cases = pd.DataFrame({
        "id": ids, "household_id": chosen["household_id"], "programme_id": programme_id, "programme_code": PROGRAMME,
        "county_code": chosen["county_code"], "township_code": chosen["township_code"],
        "village_code": chosen["village_code"], "period_start": chosen["period_start"],
        "period_end": chosen["period_end"], "members": chosen["members"], "amount": chosen["amount"],
        "reason": chosen["reason"], "stage": stage, "stage_since": now, "decided_at": now, "created_at": now,
        "updated_at": now})
    accounts = pd.DataFrame({"household_id": chosen["household_id"].iloc[:approved], "bank": "恩施农商银行",
                             "account_no": account_numbers(approved, seed), "holder_name": "户主", "updated_at": now})
    with store.write() as session:
        assistance_store.insert_cases(session, cases)
        assistance_store.insert_accounts(session, accounts)
    return ids[approved:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=50, help="transitions measured")
    parser.add_argument("--batch", type=int, default=50_000, help="payments in the payout batch")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the households a previous --sweep-only run left in --database-url")
    parser.add_argument("--sweep-only", action="store_true",
                        help="measure the sweep alone: no case written, so the store can be measured again")
    args = parser.parse_args(argv)

    folder = tempfile.TemporaryDirectory(prefix="relief-bench-")
    url = args.database_url or f"sqlite:///{folder.name}/relief.db"
    store = Store(url)
    upgrade(store)
    published: list = []
    ctx = Context(store=store, actor=Actor(None, "bench clerk", "admin"), publish=published.extend,
                  standards_loader=standards_loader(store, Standards.bundled()))
    ctx.clock = lambda: DEMO_NOW
    start = time.perf_counter()
    with store.read() as session:
        stored = len(assistance_store.households_frame(session)) if args.reuse else 0
    n = stored or load(store, ctx, args.households, args.seed)
    print(f"loaded {n:,} households in {time.perf_counter() - start:.1f} s ({store.describe()})", file=sys.stderr)
    lines = ["| case | size | median | best | goal |", "|---|---|---:|---:|---|"]

    # (1) the eligibility sweep, in process and as the command
    proposals = assistance.propose(ctx, PROGRAMME, DEMO_NOW)
    eligible = len(proposals)
    lines.append(row("propose in process (store read + rule)", f"{n:,} households, {eligible:,} eligible",
                     timed(lambda: assistance.propose(ctx, PROGRAMME, DEMO_NOW), args.runs)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(RELIEF_DATABASE_URL=url, RELIEF_INSTANCE_PATH=str(Path(folder.name) / "instance"))
    command = [RELIEF, "assistance", "propose", "--programme", PROGRAMME, "--as-of", DEMO_NOW.isoformat(),
               "--format", "csv"]

    def run_command():
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
        printed = done.stdout.count(b"\n")
        if printed != eligible + 1:
            raise SystemExit(f"relief assistance propose printed {printed} lines for {eligible} households")

    lines.append(row("`relief assistance propose --format csv` (command)", f"{n:,} households",
                     timed(run_command, args.runs), "≤ 2 s"))
    if args.sweep_only:
        print("\n".join(lines))
        store.dispose()
        return 0

    # (2) one transition as a service call
    batch = min(args.batch, eligible - args.writes)
    applied = add_cases(store, ctx, proposals, batch, args.writes, args.seed)
    reviews = [timed(lambda c=c: assistance.transition(ctx, c, {"action": "review"}), 1)[0] for c in applied]
    lines.append(row("one transition (service call)", f"{len(reviews)} calls", reviews, "≤ 10 ms (SQLite)", "ms"))

    # (3) the payout batch, then the bank's confirmation
    made: dict = {}

    def make():
        made["batch"] = assistance.make_batch(ctx)

    lines.append(row("payout batch written (lines + bank frame)", f"{batch:,} payments", timed(make, 1), "≤ 5 s"))
    _, frame, _ = made["batch"]
    if len(frame) != batch:
        raise SystemExit(f"the batch holds {len(frame)} lines, not {batch}")
    answer = frame.assign(result="paid", reason="")
    published.clear()
    lines.append(row("confirmation, every line paid (+ guarantees re-judged)", f"{batch:,} payments",
                     timed(lambda: assistance.confirm(ctx, answer), 1)))
    print("\n".join(lines))
    store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
