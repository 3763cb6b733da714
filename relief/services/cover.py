"""Days of cover per site and item, and when each site's food and water run out.

The rule is ``relief.domain.cover.days_of_cover``; this module loads its
inputs (site balances, occupancy, the catalogue) and shapes the answer for
JSON, where inf and NaN have no spelling: both become null
(:func:`relief.jsonable.number`), and the field docs below say which applies.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

import pandas as pd

from relief.domain import cover as cover_rules
from relief.domain.standards import Standards
from relief.errors import NotFound
from relief.jsonable import moment, number
from relief.services.context import Context
from relief.store import sites as site_store
from relief.store import stock_queries as queries

#: Days and litres are shown to this many decimal places.
DIGITS = 3


def _after(as_of: datetime, days: float | None) -> str | None:
    """``as_of`` plus ``days``, or None when that never comes (or lies beyond the calendar)."""
    if days is None:
        return None
    try:
        return moment(as_of + timedelta(days=days))
    except OverflowError:
        return None


def cover_table(session, standards: Standards, as_of: datetime, sites: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """``domain.cover.days_of_cover`` for these sites, and their occupancy."""
    ids = sites["site_id"].tolist()
    occupants = site_store.occupancy_series(session, ids)
    stock = queries.holdings_frame(session, "site", ids)
    items = queries.items_frame(session)
    table = cover_rules.days_of_cover(stock, occupants, items, standards=standards, as_of=as_of,
                                      water_supply=cover_rules.own_water_supply(sites))
    return table, occupants


def forecast_table(table: pd.DataFrame, occupants: pd.Series, sites: pd.DataFrame,
                   standards: Standards) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``domain.cover.run_out_forecast`` for these sites (every one of them), and their daily needs."""
    needs = cover_rules.daily_needs(occupants, cover_rules.own_water_supply(sites), standards=standards)
    return cover_rules.run_out_forecast(table, needs), needs


def site_cover_view(site: Mapping[str, Any], rows: pd.DataFrame, occupants: float, as_of: datetime,
                    items: Mapping[str, Mapping[str, str]], standards: Standards) -> dict[str, Any]:
    """Days of cover per item and the run-out forecast per daily guarantee for one site.

    Per item: ``days`` this item alone lasts, ``guarantee_days`` all the
    site's items of its guarantee together; null when not consumed daily
    (clothing, bedding; ``consumed_daily`` false), nobody is there to
    consume it, or the site's own water supply already gives every occupant
    the standard litres (``supplied`` true). The forecast takes each daily
    guarantee's ``guarantee_days``; a site with occupants and no stock of it
    has 0 days. Water is drawn from stock only at what the site's own supply
    (open sites only, as the guarantees verdict counts it) leaves short
    (``shortfall_l_per_day``), so a partial supply lengthens the stock's
    cover; where the supply meets the standard, water's ``days`` and
    ``run_out_at`` are null with ``supplied`` true (``supply_covers_need``,
    the older name, says the same).
    """
    site_id = site["site_id"]
    forecast, needs = forecast_table(rows, pd.Series({site_id: float(occupants)}), pd.DataFrame([site]), standards)
    return _view(site, rows, forecast, float(needs.at[site_id, "water"]), as_of, items)


def _view(site: Mapping[str, Any], rows: pd.DataFrame, forecast: pd.DataFrame, shortfall_l: float, as_of: datetime,
          items: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """One site's items and forecast as JSON (see ``site_cover_view``)."""
    lines = []
    for row in rows.itertuples(index=False):
        label = items.get(row.item_code, {})
        lines.append({"item_code": row.item_code, "item_name": label.get("name"), "unit": label.get("unit"),
                      "guarantee": row.guarantee, "quantity": float(row.quantity),
                      "daily_need": number(row.daily_need, DIGITS), "consumed_daily": not pd.isna(row.daily_need),
                      "days": number(row.days, DIGITS), "guarantee_days": number(row.guarantee_days, DIGITS),
                      "run_out_at": moment(row.run_out_at), "supplied": bool(row.supplied)})
    entries = []
    for entry in forecast.itertuples(index=False):
        days = number(entry.days, DIGITS)
        out = {"guarantee": entry.guarantee, "days": days, "run_out_at": _after(as_of, days),
               "supplied": bool(entry.supplied)}
        if entry.guarantee == "water":
            out["site_supply_l_per_day"] = float(site.get("water_l_per_day") or 0.0)
            out["shortfall_l_per_day"] = number(shortfall_l, DIGITS)
            out["supply_covers_need"] = out["supplied"]
        entries.append(out)
    return {"items": lines, "forecast": entries}


def sites_cover(ctx: Context, *, county_code: str | None = None, site_id: str | None = None) -> dict[str, Any]:
    """Days of cover and run-out forecast for every site (open or closed) in the county or everywhere.

    ``site_id`` narrows the answer to that one site (an unknown one is
    ``NotFound`` on ``site_id``); with ``county_code`` too, a site of another
    county gives an empty list, as the county filter alone would.
    """
    standards, as_of = ctx.standards, ctx.now()
    with ctx.reading() as session:
        sites = site_store.sites_frame(session, county_code=county_code or None,
                                       site_ids=[site_id] if site_id else None)
        if site_id and sites.empty and site_store.site(session, site_id) is None:
            raise NotFound(f"no site {site_id!r}", field="site_id")
        table, occupants = cover_table(session, standards, as_of, sites)
        items = queries.item_labels(session, table["item_code"])
    forecast, needs = forecast_table(table, occupants, sites, standards)
    by_site = dict(tuple(table.groupby("site_id", sort=False))) if len(table) else {}
    forecast_by_site = dict(tuple(forecast.groupby("site_id", sort=False))) if len(forecast) else {}
    out = []
    for site in sites.to_dict("records"):
        code = site["site_id"]
        persons = float(occupants.get(code, 0.0))
        view = _view(site, by_site.get(code, table.iloc[0:0]), forecast_by_site.get(code, forecast.iloc[0:0]),
                     float(needs.at[code, "water"]), as_of, items)
        out.append({"site_id": code, "name": site["name"], "county_code": site["county_code"],
                    "status": site["status"], "occupants": int(persons), **view})
    return {"as_of": moment(as_of), "standards_version": standards.version, "sites": out}
