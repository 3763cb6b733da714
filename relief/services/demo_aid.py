"""The demo's aid chain: a partner charity's list, stored with the demo; its planted cases, found by a sweep.

:func:`plant` runs before the demo's frames are stored: it adds the planted hand-out to the stock ledger and
the distributions (:func:`relief.domain.demo.aid.build_aid`, pure). :func:`load_partner_aid` runs inside
the demo's transaction, after the households: the charity's list as one partner import whose rows carry
the ID number only as the prefecture's salted hash. :func:`sweep_earlier` judges the guarantees and sweeps
as a day before the demo's moment, :func:`sweep_demo` once they are judged at the moment, so the aid-flags
queue opens on the planted duplicate and miss, the miss past its window.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Callable

import pandas as pd

from relief.domain.demo import DemoRegion
from relief.domain.demo.aid import AGENCY, DemoAid, build_aid
from relief.domain.identity import hash_id
from relief.services import aid_chain
from relief.services.context import Context, Unit
from relief.services.guarantees import recompute_all
from relief.services.partner_aid_import import salt_of
from relief.store import aid_chain as store

Progress = Callable[[str], None]
FILE_NAME = "enshi-charity-demo.csv"
#: Hours before the demo's moment of the sweep that opened its missed-aid entries (past the 24 h window).
EARLIER_SWEEP_HOURS = 30


def plant(ctx: Context, region: DemoRegion, *, seed: int,
          excluded: set[str] = frozenset()) -> tuple[DemoRegion, DemoAid]:
    """The region with the planted hand-out in its ledger, and the charity's list to store."""
    salt, _demo = salt_of(ctx)
    aid = build_aid(region.households, region.stock, region.distributions, region.depots, region.items,
                    hash_id=lambda number: hash_id(number, salt), seed=seed, as_of=region.now, excluded=excluded)
    return replace(region, stock=aid.stock, distributions=aid.distributions), aid


def _python(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is not None and not isinstance(value, (str, dict, list)) and pd.isna(value):
        return None
    return value


def load_partner_aid(unit: Unit, aid: DemoAid, *, at: datetime,
                     progress: Progress = lambda message: None) -> dict[str, int]:
    """Store the charity's list as one import at ``at`` (every row matched on its hash); counts by table."""
    frame = aid.partner
    if frame.empty:
        return {}
    imported = store.add_partner_import(unit.session, agency=AGENCY, file_name=FILE_NAME, imported_at=at,
                                        actor_id=None, rows=len(frame), matched=len(frame), review=0, unmatched=0)
    rows = [{k: _python(v) for k, v in row.items()} | {"import_id": imported.id}
            for row in frame.to_dict(orient="records")]
    count = store.insert_partner_aid(unit.session, rows)
    progress(f"  {'partner_aid':<20} {count:>8,}")
    return {"partner_aid": count}


def sweep_earlier(ctx: Context, region: DemoRegion) -> dict[str, Any]:
    """The guarantees judged and the chain swept :data:`EARLIER_SWEEP_HOURS` before the demo's moment, as the
    scheduler would have: households failing a guarantee then and still unaided when the demo opens are
    overdue (the later sweep keeps the entry's ``since``); those aided meanwhile are closed by it."""
    earlier = region.now - timedelta(hours=EARLIER_SWEEP_HOURS)
    recompute_all(ctx, as_of=earlier)
    return aid_chain.sweep(ctx, earlier)


def sweep_demo(ctx: Context, region: DemoRegion) -> dict[str, Any]:
    """The aid chain swept at the demo's moment: its flags, open when the demo opens."""
    return aid_chain.sweep(ctx, region.now)
