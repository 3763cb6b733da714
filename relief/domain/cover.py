"""How long each site's stock lasts, and what each site still needs.

Which guarantee an item serves is read from its content, as in
``relief.domain.guarantees``: ``kcal_per_unit`` → food,
``litres_per_unit`` → water, ``sets_per_unit`` → clothing,
``pieces_per_unit`` → bedding. What a site *holds* of a guarantee counts
every item with that content (a family kit with clothes and a quilt counts
for both); a stock row's *days of cover* is measured against the first
guarantee in that order its item has content for.

A site's own water supply (``water_l_per_day``, counted only while the site
is open, as the guarantees verdict counts it) is drawn before its stock:
water stock is consumed only at the shortfall ``occupants × litres per person
− supply``. Where the supply alone gives every occupant the standard litres
(the test ``relief.domain.guarantees`` uses for ``site_water``), water is
*supplied*: nothing is drawn, its cover is unlimited (days = inf) and the
``supplied`` flag says why, so that cover and verdict never disagree.

Site needs are stated in the standards' units (kcal, litres, sets, pieces)
and converted to a quantity of one *designated* item per guarantee: the
caller's choice, or else the catalogue item with the most content per unit
(ties by item_code), since a dispatch of the densest item moves the least
weight. Clothing and bedding needs count every occupant, less what the site
holds: what was already handed out to households is not known here.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from relief.domain.frames import moments_after, require_columns, utc_ns
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

#: Guarantee → the item column holding its content per unit, in classing order.
CONTENT = {"food": "kcal_per_unit", "water": "litres_per_unit", "clothing": "sets_per_unit",
           "bedding": "pieces_per_unit"}
#: Guarantee → the unit its needs are stated in.
UNITS = {"food": "kcal", "water": "L", "clothing": "sets", "bedding": "pieces"}
#: Guarantees consumed every day, so they can run out (clothing and bedding are handed out once).
DAILY = ("food", "water")
_ITEM_COLUMNS = ("item_code", *CONTENT.values())


def _catalogue(items: pd.DataFrame) -> pd.DataFrame:
    """Items indexed by item_code, contents as floats (missing → 0)."""
    require_columns(items, _ITEM_COLUMNS, "items")
    if len(items) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in CONTENT.values()},
                            index=pd.Index([], name="item_code"))
    table = items.set_index("item_code")[list(CONTENT.values())].astype(float).fillna(0.0)
    if not table.index.is_unique:
        raise ValidationFailed("item_code must be unique", field="items.item_code")
    return table


def _holdings(stock: pd.DataFrame) -> pd.DataFrame:
    """Stock summed per site and item; negative quantities are refused."""
    require_columns(stock, ("site_id", "item_code", "quantity"), "stock")
    if len(stock) == 0:
        return pd.DataFrame({"site_id": pd.Series(dtype=object), "item_code": pd.Series(dtype=object),
                             "quantity": pd.Series(dtype=float)})
    quantity = pd.to_numeric(stock["quantity"], errors="coerce").astype(float)
    if not (quantity >= 0).all():
        raise ValidationFailed("quantity must be a non-negative number", field="stock.quantity")
    summed = stock.assign(quantity=quantity).groupby(["site_id", "item_code"], as_index=False, sort=True)
    return summed["quantity"].sum()


def item_guarantees(items: pd.DataFrame) -> pd.Series:
    """The guarantee each item's days of cover are measured against (None: no content), by item_code."""
    table = _catalogue(items)
    has = table[list(CONTENT.values())].to_numpy() > 0
    first = np.where(has.any(axis=1), has.argmax(axis=1), -1)
    names = np.array([*CONTENT, None], dtype=object)
    return pd.Series(names[first], index=table.index, name="guarantee")


def own_water_supply(sites: pd.DataFrame) -> pd.Series:
    """Litres a day each site supplies itself, by site_id; a closed site's supply does not count."""
    require_columns(sites, ("site_id", "water_l_per_day", "status"), "sites")
    litres = pd.to_numeric(sites["water_l_per_day"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    counted = np.where(sites["status"].eq("open").to_numpy(dtype=bool), litres, 0.0)
    return pd.Series(counted, index=pd.Index(sites["site_id"], name="site_id"), name="water_l_per_day")


def daily_needs(occupants: pd.Series, water_supply: pd.Series | None = None, *, standards: Standards,
                profile: str = "normal") -> pd.DataFrame:
    """What each site must draw from its stock every day, by site_id.

    Returns
    -------
    DataFrame indexed by site_id (the union of both inputs): ``occupants``,
    ``food`` (kcal a day), ``water`` (litres a day the site's own supply
    leaves short, never negative) and ``water_supplied`` (occupants there and
    the supply alone gives each the standard litres).
    """
    supply = pd.Series(dtype=float) if water_supply is None else water_supply.astype(float)
    index = occupants.index.union(supply.index) if len(supply) else occupants.index
    persons = occupants.reindex(index).fillna(0).to_numpy(dtype=float)
    litres = supply.reindex(index).fillna(0).to_numpy(dtype=float)
    water_l = standards.figure("water_l_per_person_day", profile)
    with np.errstate(divide="ignore", invalid="ignore"):
        supplied = (persons > 0) & (litres / np.where(persons > 0, persons, 1.0) >= water_l)  # as the verdict judges
    return pd.DataFrame({
        "occupants": persons,
        "food": persons * standards.figure("food_kcal_per_person_day", profile),
        "water": np.where(supplied, 0.0, np.maximum(persons * water_l - litres, 0.0)),
        "water_supplied": supplied,
    }, index=pd.Index(index, name="site_id"))


def days_of_cover(stock: pd.DataFrame, occupants: pd.Series, items: pd.DataFrame, *, standards: Standards,
                  as_of: Any, profile: str = "normal", water_supply: pd.Series | None = None) -> pd.DataFrame:
    """Days each site's stock of each item lasts at its current occupancy, and when it runs out.

    Parameters
    ----------
    stock : DataFrame
        site_id, item_code, quantity (units held at the site).
    occupants : Series
        Persons by site_id (e.g. ``guarantees.site_occupancy``).
    items : DataFrame
        The catalogue: item_code and the four content columns.
    standards : Standards
        Daily needs per person (food kcal, water litres).
    as_of : datetime
        Tz-aware moment the stock was counted.
    water_supply : Series, optional
        Litres a day each site supplies itself, by site_id (``own_water_supply``);
        none when not given.

    Returns
    -------
    DataFrame, one row per site and item: site_id, item_code, guarantee,
    quantity, occupants, daily_need (units per day), days (this item alone),
    guarantee_days (all the site's items of that guarantee together),
    run_out_at (as_of + days), supplied (water the site's own supply already
    gives: nothing drawn, days = inf). Clothing and bedding are not consumed
    daily: their daily_need, days and run_out_at are NaN/NaT. An empty site
    never runs out (days = inf, run_out_at NaT).
    """
    now_ns = utc_ns(as_of)
    table = _catalogue(items)
    held = _holdings(stock)
    needs = daily_needs(occupants, water_supply, standards=standards, profile=profile)
    guarantee = item_guarantees(items).reindex(held["item_code"]).to_numpy()
    content = np.zeros(len(held))
    for g, column in CONTENT.items():
        mine = guarantee == g
        content[mine] = table[column].reindex(held["item_code"][mine]).to_numpy()
    site_needs_now = needs.reindex(held["site_id"])
    persons = site_needs_now["occupants"].fillna(0).to_numpy(dtype=float)
    need_per_day = np.full(len(held), np.nan)  # in content units; NaN: not consumed daily
    for g in DAILY:
        mine = guarantee == g
        need_per_day[mine] = site_needs_now[g].fillna(0).to_numpy(dtype=float)[mine]
    supplied = (guarantee == "water") & site_needs_now["water_supplied"].eq(True).to_numpy()
    quantity = held["quantity"].to_numpy(dtype=float)
    units = quantity * content
    site_units = pd.Series(units).groupby([held["site_id"].to_numpy(), guarantee]).transform("sum").to_numpy()
    days = _days(units, need_per_day)
    return pd.DataFrame({
        "site_id": held["site_id"].to_numpy(), "item_code": held["item_code"].to_numpy(),
        "guarantee": guarantee, "quantity": quantity, "occupants": persons,
        "daily_need": need_per_day / np.where(content > 0, content, np.nan), "days": days,
        "guarantee_days": _days(site_units, need_per_day),
        "run_out_at": moments_after(now_ns, days * 86_400.0), "supplied": supplied,
    })


def run_out_forecast(cover: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Days each site's food and water last, all its items of that guarantee together.

    Parameters
    ----------
    cover : DataFrame
        ``days_of_cover`` of these sites.
    needs : DataFrame
        ``daily_needs`` of the same sites (with the same water supply).

    Returns
    -------
    DataFrame, one row per site of ``needs`` and daily guarantee (in ``DAILY``
    order): site_id, guarantee, days, supplied. A site with something to draw
    and no stock of it has 0 days; one with nothing to draw (nobody there, or
    water supplied) has inf.
    """
    require_columns(cover, ("site_id", "guarantee", "guarantee_days"), "cover")
    held = cover.drop_duplicates(["site_id", "guarantee"]).set_index(["site_id", "guarantee"])["guarantee_days"]
    frames = []
    for g in DAILY:
        need = needs[g].to_numpy(dtype=float)
        wanted = pd.MultiIndex.from_arrays([needs.index, np.full(len(needs), g, dtype=object)])
        days = np.array(held.reindex(wanted).to_numpy(dtype=float))  # a copy: filled in below
        nothing_held = np.isnan(days)
        days[nothing_held] = np.where(need[nothing_held] > 0, 0.0, np.inf)
        supplied = needs["water_supplied"].to_numpy(dtype=bool) if g == "water" else np.zeros(len(needs), dtype=bool)
        frames.append(pd.DataFrame({"site_id": needs.index.to_numpy(), "guarantee": g, "days": days,
                                    "supplied": supplied}))
    return pd.concat(frames, ignore_index=True).sort_values("site_id", kind="stable", ignore_index=True)


def _days(amount: np.ndarray, per_day: np.ndarray) -> np.ndarray:
    """``amount / per_day``: inf when nothing is used, NaN when use is not daily."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(per_day > 0, amount / per_day, np.where(per_day == 0, np.inf, np.nan))


def designated_items(items: pd.DataFrame, designated: Mapping[str, str] | None = None) -> dict[str, str]:
    """The item each guarantee's needs are expressed in (see the module docs).

    Guarantees with no item of that content in the catalogue are left out.
    """
    table = _catalogue(items)
    chosen: dict[str, str] = {}
    for g, column in CONTENT.items():
        if designated and g in designated:
            code = designated[g]
            if code not in table.index or not table.at[code, column] > 0:
                raise ValidationFailed(f"item {code!r} has no {column} to serve {g}", field=f"designated.{g}")
            chosen[g] = code
            continue
        candidates = table.loc[table[column] > 0, column]
        if len(candidates):
            best = candidates[candidates == candidates.max()]
            chosen[g] = sorted(best.index)[0]
    return chosen


def site_needs(sites: pd.DataFrame, occupants: pd.Series, stock: pd.DataFrame, items: pd.DataFrame, *,
               standards: Standards, horizon_days: float = 3, profile: str = "normal",
               designated: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What each open site lacks to keep its occupants for ``horizon_days``.

    Food: occupants × daily kcal × horizon. Water: what the site's own
    supply (``water_l_per_day``) leaves short of occupants × daily litres,
    × horizon. Clothing: occupants × clothing sets. Bedding: occupants ×
    bedding pieces (profile-dependent). Each less what the site holds.

    Parameters
    ----------
    sites : DataFrame
        site_id, water_l_per_day, status; only ``open`` sites are planned.
    occupants : Series
        Persons by site_id.
    stock : DataFrame
        site_id, item_code, quantity held at the sites.
    items : DataFrame
        The catalogue: item_code and the four content columns.
    horizon_days : float
        Days of food and water to plan for.
    profile : str
        Standards profile (``"cold"`` raises shelter and bedding figures).
    designated : mapping, optional
        guarantee → item_code to express that guarantee's gap in.

    Returns
    -------
    DataFrame, one row per open site and guarantee with a designated item:
    site_id, guarantee, item_code, unit, need, held, gap (in ``unit``) and
    quantity (whole units of item_code covering the gap; 0 when none).
    """
    require_columns(sites, ("site_id", "water_l_per_day", "status"), "sites")
    if not horizon_days > 0:
        raise ValidationFailed("horizon_days must be positive", field="horizon_days")
    table = _catalogue(items)
    chosen = designated_items(items, designated)
    if len(sites) == 0:
        sites = pd.DataFrame({"site_id": pd.Series(dtype=object), "water_l_per_day": [], "status": []})
    open_sites = sites.loc[sites["status"].eq("open")]
    site_ids = open_sites["site_id"].to_numpy()
    persons = occupants.reindex(site_ids).fillna(0).to_numpy(dtype=float)
    supply = open_sites["water_l_per_day"].to_numpy(dtype=float, na_value=0.0)
    need = {
        "food": persons * standards.figure("food_kcal_per_person_day", profile) * horizon_days,
        "water": np.maximum(persons * standards.figure("water_l_per_person_day", profile) - supply, 0.0) * horizon_days,
        "clothing": persons * standards.figure("clothing_sets_per_person", profile),
        "bedding": persons * standards.figure("bedding_pieces_per_person", profile),
    }
    held_rows = _holdings(stock)
    frames = []
    for g, code in chosen.items():
        column = CONTENT[g]
        per_unit_held = table[column].reindex(held_rows["item_code"]).fillna(0.0).to_numpy()
        units = pd.Series(held_rows["quantity"].to_numpy() * per_unit_held)
        held = units.groupby(held_rows["site_id"].to_numpy()).sum().reindex(site_ids).fillna(0.0).to_numpy()
        gap = np.maximum(need[g] - held, 0.0)
        per_unit = float(table.at[code, column])
        frames.append(pd.DataFrame({
            "site_id": site_ids, "guarantee": g, "item_code": code, "unit": UNITS[g],
            "need": need[g], "held": held, "gap": gap,
            "quantity": np.ceil(np.round(gap / per_unit, 9)),
        }))
    if not frames:
        return pd.DataFrame(columns=["site_id", "guarantee", "item_code", "unit", "need", "held", "gap", "quantity"])
    # by site, guarantees in CONTENT order within each (a stable sort keeps the order they were built in)
    return pd.concat(frames, ignore_index=True).sort_values("site_id", kind="stable", ignore_index=True)
