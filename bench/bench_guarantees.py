"""Benchmark the five guarantees as a service: from the store, against an ORM loop, incrementally.

Not a test: run ``python bench/bench_guarantees.py [--households 100000]``
(``--database-url postgresql+psycopg://…`` to use PostgreSQL; the database is
reset with the demo). Measured in one run, medians of ``--runs``:

1. the full check end to end from the store (``services.guarantees.evaluate_all``:
   load + evaluate) and ``recompute_all`` (also keeps every verdict), over the
   demo's N households; and the pure ``evaluate`` over 1,000,000 synthetic ones;
2. a per-household ORM loop baseline (ORM queries for each household's
   distributions, site, occupants, facilities, visits; rules in plain Python)
   on ``--sample`` households, extrapolated to N, and the ratio to (1);
3. the incremental recheck after one distribution: ``recheck_households`` alone
   and the whole ``services.stock.distribute`` use case (goal ≤ 10 ms median);
4. ``allocation.propose_assignment`` of 100,000 households to 500 sites (goal ≤ 2 s).
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_guarantees_domain import AS_OF as SYNTHETIC_AS_OF  # noqa: E402
from bench_guarantees_domain import synthetic_assignment_inputs, synthetic_check_inputs, timed  # noqa: E402

from relief.domain import guarantees as rules  # noqa: E402
from relief.domain.allocation import propose_assignment  # noqa: E402
from relief.domain.demo import DEMO_NOW  # noqa: E402
from relief.domain.standards import Standards  # noqa: E402
from relief.errors import InsufficientStock  # noqa: E402
from relief.services import guarantees, stock  # noqa: E402
from relief.services.context import Context  # noqa: E402
from relief.services.demo import load_demo  # noqa: E402
from relief.store import guarantee_inputs  # noqa: E402
from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from relief.store.tables import Distribution, Facility, Household, Item, MedicalVisit, Site, StockBalance  # noqa: E402


def row(case: str, size: str, times: list[float], goal: str = "", unit: str = "s") -> str:
    scale = 1000.0 if unit == "ms" else 1.0
    return (f"| {case} | {size} | {statistics.median(times) * scale:.{1 if unit == 'ms' else 3}f} {unit} | "
            f"{min(times) * scale:.{1 if unit == 'ms' else 3}f} {unit} | {goal} |")


# --- (2) the per-household ORM loop baseline --------------------------------------

def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12_742.0 * math.asin(math.sqrt(a))


def _coverage_end(supplies: list[tuple[float, float]]) -> float:
    """Seconds after as_of when coverage ends; supplies are (arrival s, duration s)."""
    end = -math.inf
    for t, d in sorted(supplies):
        end = max(end, t) + d
    return end


def orm_loop_check(session, household_id: str, as_of, fig: rules.Figures) -> dict[str, str]:
    """The naive way: ORM objects for one household and its surroundings, rules in Python."""
    h = session.get(Household, household_id)
    severe = h.house_damage in ("severe", "collapsed")
    in_scope = h.shelter in ("site", "dispersed") or h.evacuated or severe or h.needs_living_aid
    if not in_scope:
        return {g: "not_applicable" for g in rules.GUARANTEES}
    food, water, sets, pieces = [], [], 0.0, 0.0
    for d in session.scalars(select(Distribution).where(Distribution.household_id == household_id,
                                                        Distribution.distributed_at <= as_of)):
        item = session.get(Item, d.item_code)
        t = (d.distributed_at - as_of).total_seconds()
        if item.kcal_per_unit:
            food.append((t, item.kcal_per_unit * d.quantity / (h.members * fig.food_kcal) * 86_400))
        if item.litres_per_unit:
            water.append((t, item.litres_per_unit * d.quantity / (h.members * fig.water_l) * 86_400))
        sets += (item.sets_per_unit or 0) * d.quantity
        pieces += (item.pieces_per_unit or 0) * d.quantity
    site = session.get(Site, h.site_id) if h.shelter == "site" and h.site_id else None
    occupants = sum(o.members for o in session.scalars(select(Household).where(
        Household.site_id == site.id, Household.shelter == "site"))) if site else 0

    def band(end: float, site_ok: bool) -> str:
        if site_ok or end >= fig.horizon_s:
            return "met"
        return "at_risk" if end > 0 else "unmet"

    site_open = site is not None and site.status == "open"
    out = {"food": band(_coverage_end(food), site_open and site.provides_meals),
           "water": band(_coverage_end(water), site_open and site.water_l_per_day / max(occupants, 1) >= fig.water_l)}
    if h.shelter == "home":
        out["housing"] = "unmet" if severe or h.evacuated else "met"
    elif h.shelter == "dispersed":
        out["housing"] = "met"
    elif site is None:
        out["housing"] = "unmet"
    else:
        m2 = site.covered_area_m2 / max(occupants, 1)
        out["housing"] = "met" if m2 >= fig.shelter_m2 else "at_risk" if m2 >= fig.shelter_floor_m2 else "unmet"
    if not severe:
        out["clothing"] = "met"
    else:
        full = sets >= fig.sets * h.members and pieces >= fig.bedding * h.members
        part = sets >= fig.sets_floor * h.members and pieces >= fig.bedding_floor * h.members
        out["clothing"] = "met" if full else "at_risk" if part else "unmet"
    where = site.geom if site is not None else h.geom
    points = [f.geom for f in session.scalars(select(Facility).where(Facility.operating.is_(True)))]
    points += [s.geom for s in session.scalars(select(Site).where(Site.medical_post.is_(True), Site.status == "open"))]
    if where is None:
        out["medical"] = "unmet"
    else:
        nearest = min((_km(where.x, where.y, p.x, p.y) for p in points if p is not None), default=math.inf)
        seen = session.scalars(select(MedicalVisit).where(
            MedicalVisit.household_id == household_id, MedicalVisit.visited_at <= as_of,
            MedicalVisit.visited_at >= as_of - timedelta(days=fig.visit_days))).first() is not None
        vulnerable = h.injured or h.chronic or h.pregnant
        out["medical"] = "unmet" if nearest > fig.reach_m / 1000 else "at_risk" if vulnerable and not seen else "met"
    return out


# --- (3) one distribution, then the recheck ------------------------------------------

def distribution_targets(ctx: Context, count: int) -> list[tuple[str, str, str]]:
    """(household, site, item) where the site holds stock of a food item and the household stays there."""
    with ctx.reading() as session:
        query = (select(Household.id, StockBalance.holder_id, StockBalance.item_code)
                 .join(StockBalance, (StockBalance.holder_id == Household.site_id)
                       & (StockBalance.holder_kind == "site"))
                 .join(Item, Item.code == StockBalance.item_code)
                 .where(Household.shelter == "site", StockBalance.quantity >= 1, Item.kcal_per_unit > 0)
                 .order_by(Household.id).limit(count))
        return [tuple(r) for r in session.execute(query)]


def recheck_alone(ctx: Context, household_id: str, item_code: str, standards: Standards) -> float:
    with ctx.transaction() as unit:
        unit.session.add(Distribution(household_id=household_id, item_code=item_code, quantity=1.0,
                                      distributed_at=unit.now))
        unit.session.flush()
        start = time.perf_counter()
        guarantees.recheck_households(unit, [household_id], standards=standards)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000, help="demo households in the store")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--synthetic", type=int, default=1_000_000, help="households for the pure evaluate")
    parser.add_argument("--sample", type=int, default=2_000, help="households for the ORM loop baseline")
    parser.add_argument("--rechecks", type=int, default=60, help="distributions for the incremental case")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    folder = tempfile.TemporaryDirectory(prefix="relief-bench-")
    store = Store(args.database_url or f"sqlite:///{folder.name}/relief.db")
    upgrade(store)
    ctx = Context(store=store)
    standards = ctx.standards
    start = time.perf_counter()
    load_demo(ctx, households=args.households, reset=True, as_of=DEMO_NOW)
    print(f"demo with {args.households:,} households loaded and judged in {time.perf_counter() - start:.1f} s "
          f"({store.describe()})", file=sys.stderr)
    lines = []

    # (1) end to end from the store, and the pure check over a million
    guarantees.evaluate_all(ctx, as_of=DEMO_NOW)
    with store.read() as session:
        load_times = timed(lambda: guarantee_inputs.load_inputs(session, as_of=DEMO_NOW, visit_window_days=7),
                           args.runs)
    full_times = timed(lambda: guarantees.evaluate_all(ctx, as_of=DEMO_NOW), args.runs)
    recompute_times = timed(lambda: guarantees.recompute_all(ctx, as_of=DEMO_NOW), args.runs)
    n = args.households
    lines += [row("store → frames (load_inputs)", f"{n:,} households", load_times),
              row("evaluate_all (load + evaluate)", f"{n:,} households", full_times),
              row("recompute_all (+ keep every verdict, events)", f"{n:,} households", recompute_times)]
    synthetic = synthetic_check_inputs(args.synthetic)
    rules.evaluate(**synthetic, as_of=SYNTHETIC_AS_OF, standards=standards)
    pure = timed(lambda: rules.evaluate(**synthetic, as_of=SYNTHETIC_AS_OF, standards=standards), args.runs)
    lines.append(row("domain evaluate (synthetic)", f"{args.synthetic:,} households", pure, "1.0 s"))

    # (2) the ORM loop on a sample, extrapolated
    fig = rules.Figures.read(standards)
    with store.read() as session:
        ids = [h for h in session.scalars(select(Household.id).order_by(Household.id))][:: max(n // args.sample, 1)]
        ids = ids[:args.sample]
    with store.read() as session:
        start = time.perf_counter()
        verdicts = {h: orm_loop_check(session, h, DEMO_NOW, fig) for h in ids}
        loop_s = time.perf_counter() - start
    per_household = loop_s / len(ids)
    extrapolated = per_household * n
    vector = statistics.median(full_times)
    reference = guarantees.evaluate_all(ctx, as_of=DEMO_NOW).loc[ids]
    agree = sum(all(reference.loc[h, g] == v[g] for g in rules.GUARANTEES) for h, v in verdicts.items()) / len(ids)
    lines.append(row("ORM loop baseline (measured)", f"{len(ids):,} households", [loop_s]))
    lines.append(f"| ORM loop baseline (extrapolated) | {n:,} households | {extrapolated:.1f} s | | "
                 f"{extrapolated / vector:.0f}× slower than evaluate_all |")

    # (3) one distribution then the recheck
    targets = distribution_targets(ctx, args.rechecks * 2)
    for household_id, _site, item in targets[:5]:  # warm-up
        recheck_alone(ctx, household_id, item, standards)
    alone = [recheck_alone(ctx, h, item, standards) for h, _site, item in targets[:args.rechecks]]
    whole = []
    for household_id, site_id, item in targets[args.rechecks:args.rechecks * 2]:
        body = {"household_id": household_id, "holder_kind": "site", "holder_id": site_id, "item_code": item,
                "quantity": 1}
        start = time.perf_counter()
        try:
            stock.distribute(ctx, body)
        except InsufficientStock:  # the site's stock ran out during the run: not a timing
            continue
        whole.append(time.perf_counter() - start)
    lines.append(row("recheck_households after one distribution", "1 household", alone, "10 ms", unit="ms"))
    if whole:
        lines.append(row("stock.distribute (whole use case, incl. recheck)", "1 household", whole, "", unit="ms"))

    # (4) the assignment
    movers, sites = synthetic_assignment_inputs(100_000, 500)
    occupancy = pd.Series(0, index=sites["site_id"])
    propose_assignment(movers, sites, occupancy=occupancy)
    assign = timed(lambda: propose_assignment(movers, sites, occupancy=occupancy), args.runs)
    lines.append(row("allocation.propose_assignment", "100,000 households, 500 sites", assign, "2.0 s"))

    print(f"command: python {' '.join(sys.argv)}  ({store.describe()})")
    print()
    print("| case | size | median | best | goal / note |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))
    print()
    print(f"ORM loop: {per_household * 1000:.2f} ms per household; its verdicts equal the service's for "
          f"{agree:.0%} of the sample (it is a simplified re-implementation, for timing).")
    store.dispose()
    folder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
