"""Loading the Enshi demo region: real boundaries, generated people and places."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from relief.domain.audience import Audience
from relief.domain.demo import DemoRegion, build_demo, demo_clock, load_admin
from relief.domain.demo.houses import build_houses
from relief.domain.roles import ROLES
from relief.domain.vocabulary import Topic
from relief.errors import Conflict
from relief.services.accounts import create_user
from relief.services.context import Context
from relief.services.demo_aid import load_partner_aid, plant, sweep_demo, sweep_earlier
from relief.services.demo_assistance import load_assistance
from relief.services.guarantees import recompute_all
from relief.store import bulk
from relief.store import reconstruction as house_store
from relief.store.accounts import user_by_name

Progress = Callable[[str], None]

# Insertion order respects foreign keys.
LOAD_ORDER = ("areas", "sites", "depots", "facilities", "items", "incidents", "incident_transitions",
              "statutory_reports", "households", "stock_movements", "stock_balances", "distributions",
              "medical_visits")


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: str
    password: str
    token: str | None  # None when the account existed already (its token is not recoverable)


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    counts: dict[str, int]
    accounts: list[DemoAccount]
    as_of: datetime | None = None  # the moment the loaded demo stands at (None when nothing was loaded)


def demo_password(role: str) -> str:
    return f"{role}-demo"


def _frames(region: DemoRegion) -> dict[str, object]:
    areas = region.areas.copy()
    # parents first so the self-referencing foreign key holds row by row
    areas["_rank"] = areas["level"].map({"prefecture": 0, "county": 1, "township": 2, "village": 3})
    return {
        "areas": areas.sort_values(["_rank", "code"]).drop(columns="_rank"),
        "sites": region.sites, "depots": region.depots, "facilities": region.facilities, "items": region.items,
        "incidents": region.incidents, "incident_transitions": region.incident_transitions,
        "statutory_reports": region.statutory_reports, "households": region.households, "stock_movements": region.stock,
        "stock_balances": region.balances(), "distributions": region.distributions,
        "medical_visits": region.medical_visits,
    }


def load_demo(ctx: Context, *, seed: int = 42, households: int = 20_000, reset: bool = False,
              as_of: datetime | None = None, progress: Progress = lambda message: None) -> DemoResult:
    """Build and store the demo as it stands at ``as_of`` (default: now, to the minute); a second run changes
    nothing unless ``reset``.

    Everything is placed relative to ``as_of``: incidents and their reports,
    distributions, visits, and the guarantees judged at that moment; so the
    same seed and ``as_of`` load the same rows, and a demo loaded now looks
    current. Reports and levels follow the standards in force.
    """
    with ctx.reading() as session:
        present = bulk.any_rows(session, "areas") or bulk.any_rows(session, "households")
    accounts = _ensure_accounts(ctx)
    if present and not reset:
        progress("demo data already present; nothing to load (use --reset to rebuild it)")
        return DemoResult(False, {}, accounts)
    as_of = demo_clock(as_of or ctx.now().replace(second=0, microsecond=0))
    progress(f"generating Enshi with {households:,} households (seed {seed}) as of {as_of.isoformat()}…")
    region = build_demo(load_admin(), standards=ctx.standards, seed=seed, households=households, as_of=as_of)
    houses = build_houses(region.households, standards=ctx.standards, seed=seed, as_of=region.now)
    region, aid = plant(ctx, region, seed=seed)  # a partner charity's list, a planted duplicate and miss
    with ctx.transaction() as unit:
        if reset:
            progress("removing the previous operational data…")
            bulk.delete_operational(unit.session)
        elif bulk.any_rows(unit.session, "areas"):
            raise Conflict("another process loaded data meanwhile; nothing was changed")
        frames = _frames(region)
        for table in LOAD_ORDER:
            count = bulk.insert_named(unit.session, table, frames[table])
            progress(f"  {table:<20} {count:>8,}")
        _load_houses(unit.session, houses, progress)
        cases = load_assistance(unit, ctx, region, seed=seed, progress=progress)
        partner = load_partner_aid(unit, aid, at=region.now, progress=progress)
        unit.audit("demo.load", "demo", seed, detail={"households": households, "as_of": region.now.isoformat(),
                                                      "counts": region.counts()})
        unit.emit("areas.reloaded", Topic.AREAS, {"reason": "demo loaded"}, audience=Audience.PUBLIC)
    sweep_earlier(ctx, region)  # the aid chain as a sweep found it a day before: missed entries since then
    recompute_all(ctx, as_of=region.now)  # verdicts at the demo's moment, so the map opens on a mix
    sweep_demo(ctx, region)  # the aid-flags queue opens on the planted duplicate and miss
    return DemoResult(True, {**region.counts(), **houses.counts(), **cases, **partner}, accounts, region.now)


def _load_houses(session, houses, progress: Progress) -> None:
    """The reconstruction ledger (houses, inspections, history, payments), after the households it names."""
    for table, frame in houses.frames().items():
        count = (house_store.insert_houses(session, frame) if table == "houses"
                 else house_store.insert_records(session, table, frame))
        progress(f"  {table:<20} {count:>8,}")


def _ensure_accounts(ctx: Context) -> list[DemoAccount]:
    """One account per role, password ``<role>-demo``; existing ones are left alone."""
    accounts = []
    for role in ROLES:
        with ctx.reading() as session:
            exists = user_by_name(session, role) is not None
        if exists:
            accounts.append(DemoAccount(role, role, demo_password(role), None))
            continue
        user = create_user(ctx, role, role, password=demo_password(role), display_name=f"demo {role}")
        accounts.append(DemoAccount(role, role, demo_password(role), user.token))
    return accounts
