"""Benchmark the full aid-chain sweep (``relief aid-check``) with the store read, on SQLite.

Not a test: run ``python bench/bench_aid_check.py [--households 100000] [--aid 1000000] [--runs 3]``
(``--reuse`` measures again on the file an earlier run built, ``--db PATH`` chooses it).

The store is built with bulk inserts from ``tests/aid_world.aid_frames`` (back-to-back weekly aid per household
and purpose from one source, 1 % re-issued by another agency over an overlapping period): food, water and
clothing from the county, township and charity become in-kind distributions from a depot (the quantity that
covers the week: the period is computed back from the item), living cash approved assistance cases, the rest
(housing, medical, reconstruction, and every re-issued record) a partner agency's matched aid. Households
carry a house damage class (so the programmes in force admit some) and a kept verdict (5 % failing food).

Goal: the full sweep **with the store read** (``store.aid_chain`` reads: the whole chain from the four sources,
the register, verdicts, entitlements, kept missed entries; then ``domain.aid_chain.sweep_duplicates`` and
``sweep_missed``) over 100,000 households and 1,000,000 aid records in ≤ 5 s. Reported: median and best of
``--runs``, the read and the judgement apart, how many flags, and once the persisting sweep
(``services.aid_chain.sweep``: flags written, a re-sweep finding them again). The machine may be shared: say so.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from relief.domain.standards import Standards  # noqa: E402
from relief.services import aid_chain as service  # noqa: E402
from relief.services.context import Actor, Context  # noqa: E402
from relief.services.standards import standards_loader  # noqa: E402
from relief.store.db import Store  # noqa: E402
from relief.store.migrate import upgrade  # noqa: E402
from tests import aid_world, world  # noqa: E402

T0 = aid_world.T0
AS_OF = T0 + timedelta(days=60)
COUNTY = "422801"
ORIGINAL = ("county", "township", "charity")
ITEM = {"food": ("RICE", 3500.0, 2100.0), "water": ("WATER5", 5.0, 15.0), "clothing": ("CLOTHES", None, None)}
DAMAGE = np.array(["none", "general", "severe", "collapsed"], dtype=object)


def _text_times(values) -> list[str]:
    """UTC moments as SQLite keeps them (SQLAlchemy's DateTime text)."""
    return pd.DatetimeIndex(values).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S.%f").tolist()


def _many(conn, sql: str, rows) -> None:
    conn.executemany(sql, rows)


def build(path: Path, households: int, aid: int, seed: int = 15) -> None:
    if path.exists():
        path.unlink()
    store = Store(f"sqlite:///{path}")
    upgrade(store)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    frame = aid_world.aid_frames(households, aid, seed=seed)
    hid = np.array([f"H{i:06d}" for i in range(households + 1)], dtype=object)
    townships = [f"{COUNTY}{t:03d}" for t in range(1, 11)]
    villages = [f"{t}{v:03d}" for t in townships for v in range(1, 11)]
    members = rng.integers(1, 7, households + 1)
    raw = store.engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("BEGIN")
        _many(conn, "INSERT INTO areas (code, name_zh, name_en, level, parent_code) VALUES (?, ?, ?, ?, ?)",
              [(COUNTY, "恩施市", "Enshi", "county", None)]
              + [(t, f"乡{t}", f"Township {t}", "township", COUNTY) for t in townships]
              + [(v, f"村{v}", f"Village {v}", "village", v[:9]) for v in villages])
        _many(conn, "INSERT INTO items (code, name, unit, guarantee, kcal_per_unit, litres_per_unit, sets_per_unit, "
                    "pieces_per_unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              [(i.code, i.name, i.unit, i.guarantee, i.kcal_per_unit or 0, i.litres_per_unit or 0,
                i.sets_per_unit or 0, i.pieces_per_unit or 0) for i in world.items()])
        _many(conn, "INSERT INTO depots (id, name, kind, county_code) VALUES (?, ?, 'county', ?)",
              [(f"D{k}", f"Depot {k}", COUNTY) for k in range(1, 4)])
        updated = _text_times([T0 - timedelta(days=30)])[0]
        village_of = np.array(villages, dtype=object)[rng.integers(0, len(villages), households + 1)]
        damage = DAMAGE[rng.choice(4, size=households + 1, p=[0.6, 0.2, 0.1, 0.1])]
        _many(conn, "INSERT INTO households (id, head_name, members, infants, children, elderly, disabled, chronic, "
                    "pregnant, injured, village_code, county_code, house_damage, needs_living_aid, evacuated, shelter, "
                    "updated_at) VALUES (?, '户主', ?, 0, 0, 0, 0, 0, 0, 0, ?, ?, ?, 0, 0, 'home', ?)",
              [(hid[i], int(members[i]), village_of[i], COUNTY, damage[i], updated) for i in range(1, households + 1)])
        unmet = rng.random(households + 1) < 0.05
        as_of = _text_times([T0 + timedelta(days=20)])[0]
        _many(conn, "INSERT INTO guarantee_status (household_id, village_code, food, clothing, water, housing, "
                    "medical, reasons, shortfalls, as_of, standards_version) VALUES (?, ?, ?, 'met', 'met', 'met', "
                    "'met', '{}', '{}', ?, 'bench')",
              [(hid[i], village_of[i], "unmet" if unmet[i] else "met", as_of) for i in range(1, households + 1)])
        source = frame["source"].to_numpy(dtype=object)
        purpose = frame["purpose"].to_numpy(dtype=object)
        h = frame["household_id"].to_numpy()
        start = _text_times(frame["period_start"])
        end = _text_times(frame["period_end"])
        original = np.isin(source, ORIGINAL)
        in_kind = original & np.isin(purpose, list(ITEM))
        cash = original & (purpose == "living_cash")
        partner = ~(in_kind | cash)
        # in-kind: a stock movement and a distribution each, the quantity covering the week
        rows_m, rows_d = [], []
        for n, i in enumerate(np.flatnonzero(in_kind), start=1):
            code, per_unit, per_day = ITEM[purpose[i]]
            quantity = 1.0 if per_unit is None else round(7 * int(members[h[i]]) * per_day / per_unit, 3)
            depot = f"D{1 + ORIGINAL.index(source[i])}"
            rows_m.append((n, start[i], "distribution", "depot", depot, code, -quantity, hid[h[i]]))
            rows_d.append((n, hid[h[i]], code, quantity, start[i], n))
        _many(conn, "INSERT INTO stock_movements (id, at, kind, holder_kind, holder_id, item_code, quantity, "
                    "household_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows_m)
        _many(conn, "INSERT INTO distributions (id, household_id, item_code, quantity, distributed_at, movement_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)", rows_d)
        # living cash: approved cases of one programme per original source
        _many(conn, "INSERT INTO assistance_programmes (id, code, version, name_zh, name_en, purpose, rule, "
                    "published_at) VALUES (?, ?, 'bench', ?, ?, 'living_cash', ?, ?)",
              [(k + 1, f"bench_{s}", f"{s}救助", f"{s} aid",
                '{"eligible": {"house_damage": ["collapsed"], "min_members": 1}, "amount": {"per_person_per_day": 10,'
                ' "per_household": 0, "cap_per_year": null}, "period_days": 7, "budget_yuan": 1000000}',
                _text_times([T0 - timedelta(days=60)])[0]) for k, s in enumerate(ORIGINAL)])
        amount = frame["amount"].to_numpy(dtype=float)
        _many(conn, "INSERT INTO assistance_cases (id, household_id, programme_id, programme_code, county_code, "
                    "period_start, period_end, members, amount, stage, stage_since, decided_at, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'approved', ?, ?, ?, ?)",
              [(f"C{i}", hid[h[i]], 1 + ORIGINAL.index(source[i]), f"bench_{source[i]}", COUNTY, start[i], end[i],
                int(members[h[i]]), float(amount[i]), start[i], start[i], start[i], start[i])
               for i in np.flatnonzero(cash)])
        # partner agencies: everything else, matched
        n_partner = int(partner.sum())
        agencies = sorted(set(source[partner]))  # one imported list per agency
        _many(conn, "INSERT INTO partner_aid_imports (id, agency, file_name, imported_at, rows, matched, review, "
                    "unmatched) VALUES (?, ?, 'bench.csv', ?, ?, ?, 0, 0)",
              [(k + 1, a, start[0], int((source[partner] == a).sum()), int((source[partner] == a).sum()))
               for k, a in enumerate(agencies)])
        _many(conn, "INSERT INTO partner_aid (import_id, agency, row_no, id_hash, village_code, purpose, amount, "
                    "period_start, period_end, household_id, match_score, match_verdict) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 25.0, 'matched')",
              [(agencies.index(source[i]) + 1, source[i], r + 2, f"{h[i]:064x}", village_of[h[i]], purpose[i],
                float(amount[i]), start[i], end[i], hid[h[i]]) for r, i in enumerate(np.flatnonzero(partner))])
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        raw.close()
    store.dispose()
    print(f"built {households:,} households and {aid:,} aid records ({int(in_kind.sum()):,} distributions, "
          f"{int(cash.sum()):,} assistance cases, {n_partner:,} partner aid) in {time.perf_counter() - started:.1f} s",
          flush=True)


def context(store: Store) -> Context:
    return Context(store=store, actor=Actor.system(), standards_loader=standards_loader(store, Standards.bundled()),
                   clock=lambda: AS_OF, settings={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--aid", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "/tmp/aidchain/bench_aid_check.db"))
    parser.add_argument("--reuse", action="store_true", help="measure on the file an earlier run built")
    parser.add_argument("--no-persist", action="store_true", help="skip the persisting sweep")
    args = parser.parse_args()
    path = Path(args.db)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and path.exists()):
        build(path, args.households, args.aid)
    store = Store(f"sqlite:///{path}")
    ctx = context(store)
    reads, judges, totals = [], [], []
    found = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        with ctx.reading() as session:
            inputs = service.read_sweep_inputs(ctx, session)
        t1 = time.perf_counter()
        found = service.judge(ctx, inputs, AS_OF)
        t2 = time.perf_counter()
        reads.append(t1 - t0)
        judges.append(t2 - t1)
        totals.append(t2 - t0)
    n_aid = len(inputs["chain"])
    print(f"\nchain: {n_aid:,} aid records over {len(inputs['households']):,} households; "
          f"{len(found['duplicates']):,} duplicate flags, {len(found['missed']):,} missed entries "
          f"({len(found['due']):,} due rows judged)")
    print(f"load average {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} on {os.cpu_count()} cores\n")
    print("| step | median | best |\n|---|---:|---:|")
    for label, times in (("store read (chain, register, verdicts, entitlements, kept entries)", reads),
                         ("judgement (duplicates + missed)", judges), ("**full sweep with the store read**", totals)):
        print(f"| {label} | {statistics.median(times):.2f} s | {min(times):.2f} s |")
    if not args.no_persist:
        with store.write() as session:  # the first persisting sweep opens every flag (a --reuse run kept some)
            session.execute(text("DELETE FROM aid_flag_steps"))
            session.execute(text("DELETE FROM aid_flags"))
        t = time.perf_counter()
        first = service.sweep(ctx, AS_OF)
        persisted = time.perf_counter() - t
        t = time.perf_counter()
        again = service.sweep(ctx, AS_OF)
        resweep = time.perf_counter() - t
        print(f"| persisting sweep (services.aid_chain.sweep: {first['opened']:,} opened, "
              f"{first['updated']:,} updated, {first['closed']:,} closed) | {persisted:.2f} s | |")
        print(f"| the same sweep again ({again['opened']:,} opened, {again['updated']:,} updated) "
              f"| {resweep:.2f} s | |")
    store.dispose()


if __name__ == "__main__":
    main()
