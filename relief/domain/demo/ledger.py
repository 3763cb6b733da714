"""Past distributions and the stock ledger that funds them.

Households in need were served fully, partly, days ago, a day's water that
runs out within the next hours, or not at all, so the guarantees show a mix
as of the demo's ``as_of`` and some turn unmet as the hours pass; receipts are dated before each holder's first outflow
so the ledger is never overdrawn at any time.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from relief.domain.demo.frames import _with_none

# Reserve held at the prefecture depot per 20,000 households; county depots hold half as much in all.
_RESERVE = {"rice_10kg": 1500, "instant_noodles": 800, "biscuits": 600, "water_5l": 3000,
            "water_550ml_case": 1200, "clothing_set": 4000, "winter_coat": 2500, "quilt": 4000,
            "blanket": 3000, "sleeping_mat": 2000, "medical_kit": 300, "tent": 400}


def _packages(profile: str, m: int, at_site_with_meals: bool, vulnerable: bool, tent: bool) -> list[tuple[str, int]]:
    """What one household got in one visit, by how well it has been served."""
    if profile == "full":
        food = ("biscuits", 1) if at_site_with_meals else ("rice_10kg", max(1, math.ceil(m * 2100 * 3 / 36000)))
        out = [food, ("water_5l", math.ceil(m * 15 * 2 / 5)), ("clothing_set", 2 * m), ("winter_coat", m),
               ("quilt", m), ("blanket", m)]
        if vulnerable:
            out.append(("medical_kit", 1))
        if tent:
            out.append(("tent", 1))
        return out
    if profile == "partial":
        return [("instant_noodles", 1), ("water_550ml_case", 1), ("clothing_set", m)]
    if profile == "old":
        return [("rice_10kg", 1), ("water_5l", 3 * m), ("clothing_set", 2 * m), ("quilt", m)]
    if profile == "running_low":  # one day of water at 15 L a person, and a day or more of food
        return [("instant_noodles", math.ceil(m * 2100 / 11000)), ("water_5l", 3 * m), ("clothing_set", m)]
    return []


def _build_ledger(rng: np.random.Generator, households: pd.DataFrame, affected_hours: np.ndarray,
                  sites: pd.DataFrame, depots: pd.DataFrame, n_households: int,
                  as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Past distributions and the ledger that funds them, never overdrawn at any time.

    Households needing aid were served fully, partly, days ago, or not yet,
    so the guarantees show a mix. Each holder's receipt comes before its
    first outflow and covers all of them plus an opening reserve.
    """
    hh = households
    needy = np.flatnonzero(hh["needs_living_aid"].to_numpy())
    profiles = rng.choice(np.array(["full", "partial", "old", "running_low", "none"], dtype=object), len(needy),
                          p=[0.35, 0.20, 0.15, 0.12, 0.18])
    ago = np.select([profiles == "old", profiles == "running_low"],
                    [rng.uniform(50, 110, len(needy)), 24 - rng.uniform(1, 8, len(needy))],
                    rng.uniform(1, 20, len(needy)))
    ago = np.minimum(ago, np.maximum(affected_hours[needy] - 0.5, 0.5))
    at_site = (hh["shelter"].to_numpy()[needy] == "site")
    ago = np.where(at_site, np.minimum(ago, 40.0), ago)
    meals = dict(zip(sites["id"], sites["provides_meals"]))
    county_depot = dict(zip(depots.loc[depots["kind"] == "county", "county_code"],
                            depots.loc[depots["kind"] == "county", "id"]))
    vulnerable = ((hh[["infants", "elderly", "disabled", "chronic", "pregnant", "injured"]].sum(axis=1)) > 0).to_numpy()

    rows = []
    ids, members, site_ids = hh["id"].to_numpy(), hh["members"].to_numpy(), hh["site_id"].to_numpy()
    counties, kinds = hh["county_code"].to_numpy(), hh["dispersed_kind"].to_numpy()
    for j, h in enumerate(needy):
        site = site_ids[h]
        items = _packages(profiles[j], int(members[h]), bool(site is not None and meals.get(site, False)),
                          bool(vulnerable[h]), kinds[h] == "other")
        when = as_of - timedelta(hours=float(np.round(ago[j], 2)))
        holder = ("site", site) if site is not None else ("depot", county_depot[counties[h]])
        for code, qty in items:
            rows.append((ids[h], code, float(qty), when, holder[0], holder[1]))
    dist = pd.DataFrame(rows, columns=["household_id", "item_code", "quantity", "distributed_at",
                                       "holder_kind", "holder_id"])
    dist = dist.sort_values(["distributed_at", "household_id", "item_code"], kind="stable").reset_index(drop=True)

    scale = n_households / 20000.0
    county_share = hh["county_code"].value_counts(normalize=True).sort_index()
    reserve = {}
    for _, d in depots.iterrows():
        share = 1.0 if d["kind"] == "prefecture" else 0.5 * float(county_share.get(d["county_code"], 0.0))
        for code, q in _RESERVE.items():
            reserve[("depot", d["id"], code)] = float(round(q * scale * share))
    open_sites = sites[sites["status"] == "open"]
    stocked = open_sites[rng.random(len(open_sites)) < 0.5]
    for _, s in stocked.iterrows():  # about a day of water and food for a third of the capacity
        people = s["capacity_persons"] / 3
        reserve[("site", s["id"], "water_5l")] = float(math.ceil(people * 15 / 5))
        reserve[("site", s["id"], "instant_noodles")] = float(math.ceil(people * 2100 / 11000))
        reserve[("site", s["id"], "blanket")] = float(math.ceil(people))

    outflow = dist.groupby(["holder_kind", "holder_id", "item_code"], sort=True)["quantity"].sum()
    first_out = dist.groupby(["holder_kind", "holder_id"], sort=True)["distributed_at"].min()
    keys = sorted(set(reserve) | set(outflow.index))
    receipts = []
    for kind, holder, code in keys:
        quantity = reserve.get((kind, holder, code), 0.0) + float(outflow.get((kind, holder, code), 0.0))
        if quantity <= 0:
            continue
        if kind == "depot":
            at = as_of - timedelta(days=10)
        else:
            first = first_out.get((kind, holder))
            at = (first if first is not None and not pd.isna(first) else as_of - timedelta(hours=24)) \
                - timedelta(hours=2)
        source = "reserve" if kind == "depot" else "allocation"
        receipts.append((at, "receipt", source, kind, holder, code, quantity, None, "demo opening stock"))
    outs = [(r.distributed_at, "distribution", None, r.holder_kind, r.holder_id, r.item_code, -r.quantity,
             r.household_id, "demo distribution") for r in dist.itertuples()]
    ledger = pd.DataFrame(receipts + outs, columns=["at", "kind", "source", "holder_kind", "holder_id",
                                                    "item_code", "quantity", "household_id", "reason"])
    ledger.insert(0, "id", np.arange(1, len(ledger) + 1))
    ledger = _with_none(ledger, "source", "household_id")
    dist.insert(0, "id", np.arange(1, len(dist) + 1))
    dist["movement_id"] = np.arange(len(receipts) + 1, len(ledger) + 1)
    return ledger, dist.drop(columns=["holder_kind", "holder_id"])
