"""Benchmark the check at the moment of giving: what it adds to one distribution on a full store.

Not a test: run ``python bench/bench_aid_guard.py [--households 100000 --aid 1000000]``
(``--database-url postgresql+psycopg://…`` for PostgreSQL; its operational rows are replaced).

Set-up, bulk-inserted through the store: the test world's places and items, ``--households`` households and
``--aid`` aid records spread over them (ten a household by default): 70 % in-kind distributions, 30 % a partner
agency's matched aid, all in the past year, so a new hand-out today duplicates nothing and goes through (the
common case). Then ``--runs`` distributions of 2 kg of rice from depot D1 through ``services.stock.distribute``
(the service call: transaction, ledger line, distribution row, audit, guarantees re-judged, commit), each to
another random household, in alternation:

* **with** the check (as shipped): the household locked, its chain read (``store.aid_chain.chain_frame``, one
  household: one statement over the four sources, one frame) and ``domain.aid_chain.check_proposed`` asked
  (``--compare-read`` adds a third variant, alternating with both: the check with the chain read as the sweep
  reads many households, a frame per source);
* **without**: the same call with the guard's functions swapped inside this script for no-ops (the household
  read without a lock, no chain read, no check): the distribution as it was before the check.

Reported: the medians of both, their difference (goal ≤ 20 ms) and ratio, p90s, and the check's own parts
(lock + chain read + check) timed apart inside the transaction. The machine may be shared: say so with the
figures.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shapely.geometry import Point  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from relief.errors import DuplicateAid  # noqa: E402
from relief.services import aid_guard, stock  # noqa: E402
from relief.store import bulk  # noqa: E402
from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from relief.store.tables import PartnerAid, PartnerAidImport  # noqa: E402
from tests import world  # noqa: E402

NOW = datetime.now(timezone.utc)
CHUNK = 50_000


def build(store: Store, households: int, aid: int, seed: int = 15) -> None:
    """The places, ``households`` households and ``aid`` aid records (70 % distributions, 30 % partner aid)."""
    rng = np.random.default_rng(seed)
    with store.write() as session:
        bulk.delete_operational(session)
        session.execute(PartnerAid.__table__.delete())
        session.execute(PartnerAidImport.__table__.delete())
    world.build(store)
    started = time.perf_counter()
    ids = np.array([f"B{i:06d}" for i in range(households)], dtype=object)
    lon = 109.0 + rng.random(households) * 0.9
    lat = 30.0 + rng.random(households) * 0.9
    frame = pd.DataFrame({"id": ids, "head_name": "户主", "members": rng.integers(1, 7, households),
                          "village_code": world.VILLAGE, "county_code": world.COUNTY, "house_damage": "severe",
                          "shelter": "home", "geom": [Point(x, y) for x, y in zip(lon, lat)], "updated_at": NOW})
    with store.write() as session:
        bulk.insert_named(session, "households", frame)
    n_dist = int(aid * 0.7)
    n_partner = aid - n_dist
    given = NOW - timedelta(days=400) + pd.to_timedelta(rng.integers(0, 330 * 86400, n_dist), unit="s")
    items = np.array(["RICE", "WATER5"], dtype=object)
    dist = pd.DataFrame({"id": np.arange(1, n_dist + 1), "household_id": ids[rng.integers(0, households, n_dist)],
                         "item_code": items[rng.integers(0, 2, n_dist)], "quantity": rng.integers(1, 6, n_dist) * 1.0,
                         "distributed_at": given})
    with store.write() as session:
        for start in range(0, n_dist, CHUNK):
            bulk.insert_named(session, "distributions", dist.iloc[start:start + CHUNK])
    with store.write() as session:
        batch = PartnerAidImport(agency="Red Cross", file_name="bench.csv", rows=n_partner, matched=n_partner,
                                 review=0, unmatched=0)
        session.add(batch)
        session.flush()
        start_at = NOW - timedelta(days=400) + pd.to_timedelta(rng.integers(0, 330 * 86400, n_partner), unit="s")
        purposes = np.array(["food", "living_cash", "clothing", "water"], dtype=object)[rng.integers(0, 4, n_partner)]
        owner = ids[rng.integers(0, households, n_partner)]
        hashes = [f"{i:064x}" for i in range(n_partner)]
        for start in range(0, n_partner, CHUNK):
            stop = min(start + CHUNK, n_partner)
            rows = [{"import_id": batch.id, "agency": "Red Cross", "row_no": i + 2, "id_hash": hashes[i],
                     "village_code": world.VILLAGE, "purpose": purposes[i], "item": None, "quantity": None,
                     "amount": 300.0, "period_start": start_at[i].to_pydatetime(),
                     "period_end": (start_at[i] + pd.Timedelta(days=10)).to_pydatetime(),
                     "household_id": owner[i], "match_score": 20.0, "match_verdict": "matched",
                     "match_evidence": None} for i in range(start, stop)]
            session.execute(insert(PartnerAid), rows)
    ctx = world.context(store)
    stock.receive(ctx, {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 1e6,
                        "source": "allocation"})
    if store.is_sqlite:
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with store.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"built {households:,} households and {aid:,} aid records ({n_dist:,} distributions, "
          f"{n_partner:,} partner aid) in {time.perf_counter() - started:.1f} s", flush=True)


@contextmanager
def without_check():
    """The guard's functions swapped for no-ops: the distribution as it was before the check."""
    saved = aid_guard.lock, aid_guard.check, aid_guard.distribution
    from relief.store import households as household_store

    aid_guard.lock = lambda unit, household_id: household_store.household(unit.session, household_id)
    aid_guard.distribution = lambda standards, **kw: aid_guard.Proposed(kw["household_id"], "food", kw["holder"],
                                                                        kw["at"], kw["at"] + timedelta(days=1))
    aid_guard.check = lambda unit, standards, proposed, **kw: aid_guard.Cleared(proposed)
    try:
        yield
    finally:
        aid_guard.lock, aid_guard.check, aid_guard.distribution = saved


@contextmanager
def timing_check(parts: list[float]):
    """The shipped check, its own time (lock + chain read + check) recorded apart."""
    lock, check = aid_guard.lock, aid_guard.check

    def timed_lock(unit, household_id):
        started = time.perf_counter()
        try:
            return lock(unit, household_id)
        finally:
            parts.append(time.perf_counter() - started)

    def timed_check(*args, **kwargs):
        started = time.perf_counter()
        try:
            return check(*args, **kwargs)
        finally:
            parts[-1] += time.perf_counter() - started

    aid_guard.lock, aid_guard.check = timed_lock, timed_check
    try:
        yield
    finally:
        aid_guard.lock, aid_guard.check = lock, check


@contextmanager
def vectorised_read():
    """The one household's chain read as the sweep reads many (a frame per source), to compare."""
    from relief.store import aid_chain as chain_store

    saved = chain_store.FEW_HOUSEHOLDS
    chain_store.FEW_HOUSEHOLDS = 0
    try:
        yield
    finally:
        chain_store.FEW_HOUSEHOLDS = saved


def give(ctx, household_id: str) -> float:
    started = time.perf_counter()
    stock.distribute(ctx, {"household_id": household_id, "item_code": "RICE", "quantity": 2, "holder_kind": "depot",
                           "holder_id": "D1"})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--aid", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=300, help="distributions with the check (as many without)")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="measure on the store built by an earlier run")
    parser.add_argument("--compare-read", action="store_true",
                        help="also time the check reading the chain as many households are read (four frames)")
    args = parser.parse_args()
    folder = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="bench-aid-guard-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder / 'relief.db'}"
    store = Store(url)
    upgrade(store)
    if not args.reuse:
        build(store, args.households, args.aid)
    ctx = world.context(store)
    rng = random.Random(15)
    targets = rng.sample(range(args.households), 3 * args.runs + 20)
    households = [f"B{i:06d}" for i in targets]
    for i, household in enumerate(households[:20]):  # warm-up: caches, prepared statements, both variants
        if i % 2:
            with without_check():
                give(ctx, household)
        else:
            give(ctx, household)
    with_check, without, parts, vectorised, vectorised_parts = [], [], [], [], []
    refused = 0
    for i in range(args.runs):  # alternate, so load from elsewhere falls on both alike
        try:
            with timing_check(parts):
                with_check.append(give(ctx, households[20 + 2 * i]))
        except DuplicateAid:
            refused += 1
        with without_check():
            without.append(give(ctx, households[21 + 2 * i]))
        if args.compare_read:
            with vectorised_read(), timing_check(vectorised_parts):
                vectorised.append(give(ctx, households[20 + 2 * args.runs + i]))

    def ms(values, q=0.5):
        return float(np.quantile(np.array(values) * 1000, q))

    median_with, median_without = statistics.median(with_check) * 1000, statistics.median(without) * 1000
    print(f"store: {store.describe()}, {args.households:,} households, {args.aid:,} aid records"
          f"; load average "
          f"{os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores")
    print(f"distribute with the check:    median {median_with:.2f} ms  p90 {ms(with_check, 0.9):.2f} ms  "
          f"({len(with_check)} runs, {refused} refused)")
    print(f"distribute without the check: median {median_without:.2f} ms  p90 {ms(without, 0.9):.2f} ms  "
          f"({len(without)} runs)")
    print(f"added by the check: {median_with - median_without:.2f} ms median (goal ≤ 20 ms); "
          f"ratio {median_with / median_without:.2f}")
    print(f"the check's own part (lock + chain read + check): median {ms(parts):.2f} ms  p90 {ms(parts, 0.9):.2f} ms")
    if vectorised:
        print(f"with the check, chain read a frame per source: median {ms(vectorised):.2f} ms  "
              f"p90 {ms(vectorised, 0.9):.2f} ms; its check's own part median {ms(vectorised_parts):.2f} ms  "
              f"p90 {ms(vectorised_parts, 0.9):.2f} ms")
    store.dispose()


if __name__ == "__main__":
    main()
