"""Days of cover per site and item, and when each site's food and water run out.

The rule is ``relief.domain.cover.days_of_cover``; this module loads its
inputs (site balances, occupancy, the catalogue) and shapes the answer for
JSON, where inf and NaN have no spelling: both become null, and the field
docs below say which applies.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Mapping

import pandas as pd

from relief.domain import cover as cover_rules
from relief.domain.standards import Standards
from relief.services.context import Context
from relief.store import sites as site_store
from relief.store import stock_queries as queries

#: Guarantees consumed every day, so they can run out (clothing and bedding are handed out once).
DAILY_GUARANTEES = ("food", "water")


def _number(value: Any) -> float | None:
    """JSON has no inf/NaN: both become null (the field docs say which applies)."""
    if value is None:
        return None
    value = float(value)
    return round(value, 3) if math.isfinite(value) else None


def _moment(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def _after(as_of: datetime, days: float | None) -> str | None:
    """``as_of`` plus ``days``, or None when that never comes (or lies beyond the calendar)."""
    if days is None:
        return None
    try:
        return (as_of + timedelta(days=days)).isoformat()
    except OverflowError:
        return None


def cover_table(session, standards: Standards, as_of: datetime, sites: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``domain.cover.days_of_cover`` for these sites, and their occupancy."""
    ids = sites["site_id"].tolist()
    occupants = site_store.occupancy_series(session, ids)
    stock = queries.holdings_frame(session, "site", ids)
    items = queries.items_frame(session)
    table = cover_rules.days_of_cover(stock, occupants, items, standards=standards, as_of=as_of)
    return table, occupants


def site_cover_view(site: Mapping[str, Any], rows: pd.DataFrame, occupants: float, as_of: datetime,
                    items: Mapping[str, Mapping[str, str]], standards: Standards) -> dict[str, Any]:
    """Days of cover per item and the run-out forecast per daily guarantee for one site.

    Per item: ``days`` this item alone lasts, ``guarantee_days`` all the
    site's items of its guarantee together; null when not consumed daily
    (clothing, bedding; ``consumed_daily`` false) or nobody is there to
    consume it. The forecast takes each daily guarantee's ``guarantee_days``;
    a site with occupants and no stock of it has 0 days. Water days count
    stock only: ``supply_covers_need`` says when the site's own supply
    already gives the standard litres per person.
    """
    lines = []
    for row in rows.itertuples(index=False):
        label = items.get(row.item_code, {})
        lines.append({"item_code": row.item_code, "item_name": label.get("name"), "unit": label.get("unit"),
                      "guarantee": row.guarantee, "quantity": float(row.quantity),
                      "daily_need": _number(row.daily_need), "consumed_daily": not pd.isna(row.daily_need),
                      "days": _number(row.days), "guarantee_days": _number(row.guarantee_days),
                      "run_out_at": _moment(row.run_out_at)})
    forecast = []
    for guarantee in DAILY_GUARANTEES:
        mine = rows.loc[rows["guarantee"] == guarantee]
        if len(mine):
            days = _number(mine["guarantee_days"].iloc[0])
            at = _after(as_of, days)
        elif occupants > 0:
            days, at = 0.0, as_of.isoformat()
        else:
            days, at = None, None
        entry = {"guarantee": guarantee, "days": days, "run_out_at": at}
        if guarantee == "water":
            need = occupants * standards.figure("water_l_per_person_day")
            entry["site_supply_l_per_day"] = float(site.get("water_l_per_day") or 0.0)
            entry["supply_covers_need"] = bool(occupants > 0 and entry["site_supply_l_per_day"] >= need)
        forecast.append(entry)
    return {"items": lines, "forecast": forecast}


def sites_cover(ctx: Context, *, county_code: str | None = None) -> dict[str, Any]:
    """Days of cover and run-out forecast for every site (open or closed) in the county or everywhere."""
    standards, as_of = ctx.standards, ctx.now()
    with ctx.reading() as session:
        sites = site_store.sites_frame(session, county_code=county_code or None)
        table, occupants = cover_table(session, standards, as_of, sites)
        items = queries.item_labels(session, table["item_code"])
    by_site = dict(tuple(table.groupby("site_id", sort=False))) if len(table) else {}
    out = []
    for site in sites.to_dict("records"):
        rows = by_site.get(site["site_id"], table.iloc[0:0])
        persons = float(occupants.get(site["site_id"], 0.0))
        view = site_cover_view(site, rows, persons, as_of, items, standards)
        out.append({"site_id": site["site_id"], "name": site["name"], "county_code": site["county_code"],
                    "status": site["status"], "occupants": int(persons), **view})
    return {"as_of": as_of.isoformat(), "standards_version": standards.version, "sites": out}
