"""The map's key figures: what a commander reads first, in counts anyone may see.

- incidents still open (not closed, rejected or duplicate) per response level, most severe first as the
  standards' response table lists them, then those with no level yet;
- people (and households) relocated: at a relocation site or dispersed (host family, rented);
- households whose kept verdict is ``unmet``, per guarantee and in any guarantee;
- open sites that are full (occupants at or above capacity, as the map colours them);
- site stock rows (site × item, consumed daily) whose days of cover end within the standards'
  ``coverage_horizon_hours`` (24 h), and how many sites hold them.

Counts only: no name, id or position, so the answer is public (``GET /api/key-figures``).
Days of cover are the cover service's own rule (``services.cover.cover_table``), so the strip and the
dashboard never disagree.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from relief.domain.vocabulary import OPEN_STATUSES
from relief.services import cover
from relief.services.context import Context
from relief.services.key_figures_json import key_figures_answer
from relief.store import key_figure_queries as queries
from relief.store import sites as site_store


def key_figures(ctx: Context) -> dict[str, Any]:
    """The key figures as of now (see the module docs), shaped by ``key_figures_json``."""
    standards, as_of = ctx.standards, ctx.now()
    horizon_hours = standards.figure("coverage_horizon_hours")
    with ctx.reading() as session:
        by_level = queries.incidents_by_level(session, sorted(OPEN_STATUSES))
        persons, households = queries.people_relocated(session)
        unmet = queries.households_unmet(session)
        occupancy = queries.open_sites_occupancy(session)
        sites = site_store.sites_frame(session, open_only=True)
        table, _ = cover.cover_table(session, standards, as_of, sites)
    days = table["days"].to_numpy(dtype=float) if len(table) else np.zeros(0)
    soon = np.isfinite(days) & (days * 24.0 <= horizon_hours)
    running_out = table[soon] if len(table) else table
    levels = [entry["level"] for entry in standards.response_levels.get("levels", [])]
    return key_figures_answer(
        as_of=as_of, standards_version=standards.version, levels=levels, by_level=by_level,
        persons_relocated=persons, households_relocated=households, unmet=unmet,
        sites_open=len(occupancy), sites_full=sum(1 for _, capacity, n in occupancy if n >= capacity),
        stock_items=int(len(running_out)), stock_sites=int(running_out["site_id"].nunique()) if len(running_out) else 0,
        horizon_hours=horizon_hours)
