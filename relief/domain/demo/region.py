"""The demo region as one value, and :func:`build_demo`, which generates it part by part.

Each part draws from its own generator (one ``SeedSequence`` child per part)
so changing one part does not reshuffle the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from relief.domain.demo.admin import _checked_admin
from relief.domain.demo.areas import _areas_frame, _build_areas
from relief.domain.demo.clock import DEMO_NOW, demo_clock
from relief.domain.demo.frames import _geo
from relief.domain.demo.geometry import _multi
from relief.domain.demo.households import _build_households
from relief.domain.demo.incidents import _INCIDENT_SPECS, _build_incidents
from relief.domain.demo.items import _build_items
from relief.domain.demo.ledger import _build_ledger
from relief.domain.demo.places import _build_depots, _build_facilities, _build_sites
from relief.domain.demo.reports import _build_reports, _with_levels
from relief.domain.demo.visits import _build_visits
from relief.domain.standards import Standards
from relief.domain.vocabulary import AREA_LEVELS


@dataclass(frozen=True, eq=False)
class DemoRegion:
    """Everything the demo loads, one frame per ORM table (column names match)."""

    seed: int
    areas: gpd.GeoDataFrame
    households: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    depots: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    """With their response level and reasons, as their statutory reports set them."""
    incident_transitions: pd.DataFrame
    """The lifecycle steps that led each incident to its status."""
    statutory_reports: pd.DataFrame
    items: pd.DataFrame
    stock: pd.DataFrame
    """The stock ledger (``stock_movements``): receipts, then the distributions' outflows."""
    distributions: pd.DataFrame
    medical_visits: pd.DataFrame
    now: datetime = field(default=DEMO_NOW)
    """The moment everything is placed relative to (the ``as_of`` it was built for)."""

    def balances(self) -> pd.DataFrame:
        """``stock_balances`` as the ledger sums them (never negative by construction)."""
        sums = self.stock.groupby(["holder_kind", "holder_id", "item_code"], sort=True)["quantity"].sum()
        return sums.reset_index()

    def counts(self) -> dict[str, int]:
        """Row counts per table and area level, for reports and benchmarks."""
        levels = self.areas["level"].value_counts()
        out = {f"areas.{lvl}": int(levels.get(lvl, 0)) for lvl in AREA_LEVELS}
        for name in ("households", "sites", "depots", "facilities", "incidents", "incident_transitions",
                     "statutory_reports", "items", "stock", "distributions", "medical_visits"):
            out[name] = len(getattr(self, name))
        out["persons"] = int(self.households["members"].sum())
        return out


def build_demo(admin: gpd.GeoDataFrame, *, standards: Standards, seed: int = 42, households: int = 20000,
               as_of: datetime = DEMO_NOW) -> DemoRegion:
    """Generate the whole demo region inside ``admin`` (prefecture + counties, WGS 84), as it stands at ``as_of``.

    Incidents, reports, distributions and visits are placed before ``as_of``
    (tz-aware), following the report deadlines and the response table of
    ``standards`` (the version in force). Deterministic for a given ``seed``
    and ``as_of``: two calls give identical frames.
    20,000 households take a few seconds; 100,000 work too (for benchmarks),
    with the same sites, so more evacuees go unplaced.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    as_of = demo_clock(as_of)
    prefecture_row, counties = _checked_admin(admin)
    prefecture = _multi(prefecture_row.geometry)
    names = ("areas", "incidents", "sites", "depots", "facilities", "households", "ledger", "visits", "reports")
    rngs = dict(zip(names, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(names)))))

    townships, villages = _build_areas(counties, rngs["areas"])
    incidents, transitions = _build_incidents(counties, townships, rngs["incidents"], as_of)
    active = incidents.iloc[:len(_INCIDENT_SPECS)]  # past incidents shape no place nor household
    sites = _build_sites(rngs["sites"], counties, townships, active)
    depots = _build_depots(rngs["depots"], counties, townships)
    facilities = _build_facilities(rngs["facilities"], counties, townships, villages, active)
    hh, affected_hours = _build_households(households, rngs["households"], counties, townships, villages,
                                           active, sites, prefecture, as_of.year)
    stock, distributions = _build_ledger(rngs["ledger"], hh, affected_hours, sites, depots, households, as_of)
    visits = _build_visits(rngs["visits"], hh, facilities, as_of)
    reports = _build_reports(rngs["reports"], incidents, townships, as_of, standards)
    incidents = _with_levels(incidents, reports, standards)
    areas = _areas_frame(prefecture_row, counties, townships, villages, hh)
    return DemoRegion(
        seed=seed, areas=areas, households=_geo(hh), sites=_geo(sites), depots=_geo(depots),
        facilities=_geo(facilities), incidents=_geo(incidents), incident_transitions=transitions,
        statutory_reports=reports, items=_build_items(), stock=stock, distributions=distributions,
        medical_visits=visits, now=as_of,
    )
