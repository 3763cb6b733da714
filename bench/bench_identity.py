"""Benchmark identity matching and the aid-chain sweeps on synthetic data with known truth.

Not a test: run ``python bench/bench_identity.py [--households 100000] [--aid 1000000] [--runs 3]``.
Goals on a 2-core machine: matching 100,000 partner records against 100,000 households with recall
≥ 0.98 and precision ≥ 0.95 (time recorded); the duplicate sweep over 100,000 households and 1,000,000
aid records in ≤ 5 s. Generated worlds are kept under ``/tmp/aidchain/`` (``--fresh`` makes them anew).
Prints a markdown table of median and best wall times, and the load average.
"""
from __future__ import annotations

import argparse
import logging
import os
import pickle
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relief.domain import aid_chain, identity  # noqa: E402
from relief.domain.standards import Standards  # noqa: E402
from tests import aid_world  # noqa: E402

SCRATCH = Path("/tmp/aidchain")


def _world(name: str, make, fresh: bool):
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"{name}.pkl"
    if path.exists() and not fresh:
        return pickle.loads(path.read_bytes())
    value = make()
    path.write_bytes(pickle.dumps(value))
    return value


def _timed(runs: int, work):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), result


def _match_row(label: str, n: int, hashed: bool, pinyin_only: bool, id_fig: identity.Figures, args):
    world = _world(f"world_{n}_{'hp' if hashed else 'cc'}",
                   lambda: aid_world.register_and_records(n, n, hashed=hashed, pinyin_only=pinyin_only), args.fresh)
    salt = aid_world.SALT if hashed else None
    prep, _, homes = _timed(1, lambda: identity.prepare_households(world.households, salt=salt))
    med, best, result = _timed(args.runs, lambda: identity.match(world.records, homes, id_fig))
    precision, recall = aid_world.precision_recall(result, world.truth)
    review = int((result["verdict"] == "review").sum())
    return (f"match — {label}", f"{n:,} × {n:,}", med, best,
            f"precision {precision:.4f}, recall {recall:.4f}, {review:,} to review (register keys once: {prep:.1f} s)",
            "recall ≥ 0.98, precision ≥ 0.95")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--aid", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.getLogger("splink").setLevel(logging.ERROR)
    standards = Standards.bundled()
    id_fig, aid_fig = identity.Figures.of(standards), aid_chain.Figures.of(standards)
    n, m = args.households, args.aid
    rows = []

    t = time.perf_counter()
    import splink  # noqa: F401  (imported once per process; not part of a matching run)
    print(f"import splink: {time.perf_counter() - t:.2f} s", file=sys.stderr)

    for label, hashed, pinyin_only in (("partner list: salted hashes, pinyin names", True, True),
                                       ("register: clear IDs, names in characters", False, False)):
        rows.append(_match_row(label, n, hashed, pinyin_only, id_fig, args))

    aid = _world(f"aid_{n}_{m}", lambda: aid_world.aid_frames(n, m), args.fresh)
    entitlements = pd.DataFrame({"household_id": np.arange(1, n + 1), "purpose": "living_cash", "need": 1500.0})
    med, best, flags = _timed(args.runs, lambda: aid_chain.sweep_duplicates(aid, aid_fig, entitlements))
    counts = flags["reason"].value_counts().to_dict()
    rows.append(("duplicate sweep (overlaps + entitlements)", f"{n:,} households × {m:,} aid", med, best,
                 ", ".join(f"{k}: {v:,}" for k, v in counts.items()), "≤ 5 s"))

    rng = np.random.default_rng(1)
    since = aid_world.T0 + pd.to_timedelta(rng.integers(0, 60 * 24, n), unit="h")
    due = pd.DataFrame({"household_id": np.arange(1, n + 1), "purpose": "food", "since": since,
                        "basis": "guarantee:food"})
    as_of = aid_world.T0 + timedelta(days=70)
    med, best, missed = _timed(args.runs, lambda: aid_chain.sweep_missed(due, aid, aid_fig, as_of))
    rows.append(("missed sweep (food due for every household)", f"{n:,} due × {m:,} aid", med, best,
                 ", ".join(f"{k}: {v:,}" for k, v in missed["reason"].value_counts().to_dict().items()), ""))

    household = aid[aid["household_id"] == 1]
    proposed = {"purpose": "food", "source": "charity", "period_start": aid_world.T0,
                "period_end": aid_world.T0 + timedelta(days=3), "amount": 100.0}
    calls = [time.perf_counter()]
    for _ in range(200):
        aid_chain.check_proposed(proposed, household, aid_fig, need=1000.0)
        calls.append(time.perf_counter())
    per_call = np.diff(calls) * 1000
    rows.append(("one proposed aid against its household's chain", f"{len(household)} links",
                 float(np.median(per_call)) / 1000, float(per_call.min()) / 1000, "200 calls", ""))

    load = os.getloadavg()
    print(f"`python bench/bench_identity.py --households {n} --aid {m} --runs {args.runs}` — "
          f"load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}\n")
    print("| case | size | median | best | result | goal |")
    print("|---|---|---:|---:|---|---|")
    for case, size, med, best, result, goal in rows:
        shown = (lambda s: f"{s * 1000:.2f} ms") if med < 0.1 else (lambda s: f"{s:.2f} s")
        print(f"| {case} | {size} | {shown(med)} | {shown(best)} | {result} | {goal} |")


if __name__ == "__main__":
    main()
