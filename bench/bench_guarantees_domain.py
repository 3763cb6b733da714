"""Benchmark the guarantee check and the site assignment on synthetic data.

Not a test: run ``python bench/bench_guarantees_domain.py [--households N]``.
Goals on a 2-core machine: the full five-guarantee check over 1,000,000
households in ≤ 1 s, and 100,000 households assigned to 500 sites in ≤ 2 s.
Prints a markdown table of median and best wall times over several runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from relief.domain.allocation import propose_assignment
from relief.domain.guarantees import GUARANTEES, evaluate
from relief.domain.standards import Standards

AS_OF = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=8)))
#: Enshi prefecture's bounding box (WGS 84).
LON, LAT = (108.37, 110.65), (29.12, 31.40)


def _ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(n).astype(str), 7)).astype(object)


def _positions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(*LON, n), rng.uniform(*LAT, n)


def synthetic_sites(rng: np.random.Generator, n: int) -> pd.DataFrame:
    lon, lat = _positions(rng, n)
    capacity = rng.integers(1000, 4000, n)
    return pd.DataFrame({
        "site_id": _ids("S", n), "lon": lon, "lat": lat,
        "capacity_persons": capacity,
        "covered_area_m2": capacity * rng.uniform(2.0, 5.0, n),
        "water_l_per_day": capacity * rng.uniform(0.0, 20.0, n),
        "provides_meals": rng.random(n) < 0.4,
        "medical_post": rng.random(n) < 0.3,
        "status": np.where(rng.random(n) < 0.95, "open", "closed"),
    })


def synthetic_check_inputs(n: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """A prefecture-sized scene: n households, 500 sites, 300 facilities, ~n distribution rows."""
    rng = np.random.default_rng(seed)
    sites = synthetic_sites(rng, 500)
    lon, lat = _positions(rng, n)
    shelter = rng.choice(["home", "site", "dispersed", "none"], n, p=[0.5, 0.3, 0.17, 0.03])
    at_site = shelter == "site"
    site_id = np.where(at_site, sites["site_id"].to_numpy()[rng.integers(0, 500, n)], None)
    households = pd.DataFrame({
        "household_id": _ids("H", n),
        "members": rng.integers(1, 7, n),
        "infants": rng.integers(0, 2, n), "children": rng.integers(0, 3, n),
        "elderly": rng.integers(0, 3, n), "disabled": (rng.random(n) < 0.05).astype(int),
        "chronic": (rng.random(n) < 0.10).astype(int), "pregnant": (rng.random(n) < 0.03).astype(int),
        "injured": (rng.random(n) < 0.05).astype(int),
        "house_damage": rng.choice(["none", "general", "severe", "collapsed"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "needs_living_aid": rng.random(n) < 0.3,
        "evacuated": rng.random(n) < 0.4,
        "shelter": shelter, "site_id": site_id, "lon": lon, "lat": lat,
    })
    f_lon, f_lat = _positions(rng, 300)
    facilities = pd.DataFrame({"facility_id": _ids("F", 300), "lon": f_lon, "lat": f_lat,
                               "operating": rng.random(300) < 0.9})
    items = pd.DataFrame({
        "item_code": ["rice_10kg", "noodles_box", "ration_day", "water_5l", "water_0.5l",
                      "clothes_set", "quilt", "family_kit", "tent"],
        "guarantee": ["food", "food", "food", "water", "water", "clothing", "bedding", "other", "other"],
        "kcal_per_unit": [36000, 12000, 2100, 0, 0, 0, 0, 0, 0],
        "litres_per_unit": [0, 0, 0, 5, 0.5, 0, 0, 0, 0],
        "sets_per_unit": [0, 0, 0, 0, 0, 1, 0, 2, 0],
        "pieces_per_unit": [0, 0, 0, 0, 0, 0, 1, 2, 0],
    })
    m = n  # about one distribution row per household
    who = rng.integers(0, n, m)
    distributions = pd.DataFrame({
        "household_id": households["household_id"].to_numpy()[who],
        "item_code": items["item_code"].to_numpy()[rng.integers(0, len(items), m)],
        "quantity": rng.integers(1, 10, m).astype(float),
        "distributed_at": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(-3600, 10 * 86400, m), unit="s"),
    })
    v = n // 10
    medical_visits = pd.DataFrame({
        "household_id": households["household_id"].to_numpy()[rng.integers(0, n, v)],
        "visited_at": pd.Timestamp(AS_OF) - pd.to_timedelta(rng.integers(0, 14 * 86400, v), unit="s"),
    })
    return dict(households=households, sites=sites, facilities=facilities,
                distributions=distributions, items=items, medical_visits=medical_visits)


def synthetic_assignment_inputs(n: int, n_sites: int = 500, seed: int = 2):
    """n households in villages of ~40 that must leave, and n_sites sites with ~1.2× the room needed."""
    rng = np.random.default_rng(seed)
    villages = max(n // 40, 1)
    v_lon, v_lat = _positions(rng, villages)
    village = rng.integers(0, villages, n)
    households = pd.DataFrame({
        "household_id": _ids("H", n),
        "members": rng.integers(1, 7, n),
        "village_code": _ids("V", villages)[village],
        "lon": v_lon[village] + rng.normal(0, 0.01, n),
        "lat": v_lat[village] + rng.normal(0, 0.01, n),
    })
    sites = synthetic_sites(rng, n_sites)
    room = households["members"].sum() * 1.2
    share = sites["capacity_persons"] / sites["capacity_persons"].sum()
    sites["capacity_persons"] = np.maximum((share * room).astype(int), 1)
    return households, sites


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000, help="households in the full check")
    parser.add_argument("--assign", type=int, default=100_000, help="households to assign to sites")
    parser.add_argument("--sites", type=int, default=500, help="sites for the assignment")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (median reported)")
    args = parser.parse_args(argv)

    standards = Standards.bundled()
    check = synthetic_check_inputs(args.households)
    result = evaluate(**check, as_of=AS_OF, standards=standards)  # warm-up, and the numbers to show
    check_times = timed(lambda: evaluate(**check, as_of=AS_OF, standards=standards), args.runs)

    movers, sites = synthetic_assignment_inputs(args.assign, args.sites)
    occupancy = pd.Series(0, index=sites["site_id"])
    plan = propose_assignment(movers, sites, occupancy=occupancy)
    assign_times = timed(lambda: propose_assignment(movers, sites, occupancy=occupancy), args.runs)

    print(f"command: python {' '.join(sys.argv)}")
    print()
    print("| case | size | median s | best s | goal s |")
    print("|---|---|---|---|---|")
    print(f"| guarantees.evaluate | {args.households:,} households, {len(check['distributions']):,} distributions,"
          f" {len(check['sites'])} sites, {len(check['facilities'])} facilities |"
          f" {statistics.median(check_times):.3f} | {min(check_times):.3f} | 1.0 |")
    print(f"| allocation.propose_assignment | {args.assign:,} households, {args.sites} sites |"
          f" {statistics.median(assign_times):.3f} | {min(assign_times):.3f} | 2.0 |")
    print()
    scoped = result.loc[result["in_scope"]]
    met = ", ".join(f"{g} {(scoped[g] == 'met').mean():.0%}" for g in GUARANTEES)
    print(f"in scope: {len(scoped):,} households; met among them: {met}")
    print(f"placed: {len(plan.assignments):,}, unplaced: {len(plan.unplaced):,}, "
          f"villages split: {_split_villages(plan):,} of {movers['village_code'].nunique():,}")
    return 0


def _split_villages(plan) -> int:
    return int((plan.assignments.groupby("village_code")["site_id"].nunique() > 1).sum())


if __name__ == "__main__":
    raise SystemExit(main())
