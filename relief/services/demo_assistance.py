"""The demo's living-assistance slice: cases of collapsed-house households along the chain, stored with the demo.

Called by :func:`relief.services.demo.load_demo` inside its transaction, after the households are stored;
the cases come from :func:`relief.domain.demo.assistance.build_assistance` (pure, relative to the demo's
moment) and are written through :mod:`relief.store.assistance`. The guarantees the demo judges afterwards
count the paid cases' cash toward food.
"""
from __future__ import annotations

from typing import Callable

from relief.domain.demo import DemoRegion
from relief.domain.demo.assistance import build_assistance, demo_programme
from relief.services.assistance import figures, programme_in_force, sync
from relief.services.context import Context, Unit
from relief.store import assistance as store


def load_assistance(unit: Unit, ctx: Context, region: DemoRegion, *, seed: int,
                    progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Store the demo's programmes (the standards in force) and its cases; counts by table ({} without a
    living-cash programme for collapsed houses)."""
    sync(unit, ctx)
    fig = figures(ctx)
    programme = demo_programme(fig)
    if programme is None:
        return {}
    row, _ = programme_in_force(unit.session, ctx, programme.code)
    built = build_assistance(region.households, region.areas, programme, notice_days=fig.notice_days, seed=seed,
                             as_of=region.now, programme_id=row.id)
    session = unit.session
    store.insert_cases(session, built.cases)
    store.insert_transitions(session, built.transitions)
    store.insert_objections(session, built.objections)
    store.insert_accounts(session, built.accounts)
    lines = built.payout_lines
    if not lines.empty:
        store.insert_settled_batch(session, at=lines["batched_at"].min(), actor_id=None,
                                   frame=lines.drop(columns="batched_at"))
    counts = built.counts()
    for table, count in counts.items():
        progress(f"  {table:<20} {count:>8,}")
    return counts
