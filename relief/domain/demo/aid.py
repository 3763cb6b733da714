"""The demo's aid chain: a partner charity's aid list, one planted duplicate and one planted miss.

A charity (:data:`AGENCY`) sends its list the way a partner does: the ID number only as the salted hash
(:func:`relief.domain.identity.hash_id` with the prefecture's salt), never a name, a phone or a clear
number. Most of its rows are quiet: food and warm clothes handed to households the county has not
served, over periods that ended before the demo's moment, so nothing overlaps. Two cases are planted:

- **duplicate**: a household at home, not otherwise served, gets a week of rice from its county depot
  :data:`DUPLICATE_GIVEN_HOURS` before ``as_of``; the charity gave the same household food over
  ``[as_of - 2 days, as_of + 5 days)``, so the two overlap by days, far beyond the food grace. A third
  hand-out of food to it from the depot in the next days overlaps the charity's week again.
- **missed**: a household that needs aid (its house damaged, not collapsed, so no assistance case is
  built for it), not at a site (whose meals would feed it) and served by no one: no distribution, no
  partner row. Its food guarantee fails from the start, so the sweep finds it due and unanswered past the window.

Pure and deterministic for ``seed`` and ``as_of``: a generator of its own
(``SeedSequence(seed, spawn_key=(AID_STREAM,))``), households chosen from the region's frames in id
order. The stock ledger gains the depot's receipt and outflow for the planted hand-out, so balances
stay the ledger's sums and never go negative.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import numpy as np
import pandas as pd

from relief.domain.demo.frames import _with_none
from relief.domain.vocabulary import HouseDamage, MatchVerdict, PurposeClass, Shelter

#: The seed stream of the aid chain (the region's parts use 0…8, houses 100, assistance 101).
AID_STREAM = 102
#: The partner agency of the demo (Enshi Prefecture Charity Federation).
AGENCY = "恩施州慈善总会"
#: The depot's item of the planted duplicate, how many days of food it holds, and when it was given.
DUPLICATE_ITEM = "rice_10kg"
DUPLICATE_DAYS = 7
DUPLICATE_GIVEN_HOURS = 20
#: The charity's food over the planted household: from ``as_of`` minus / plus these days.
CHARITY_FOOD_DAYS = (2, 5)
#: Extra bags the depot receives with the planted hand-out, so a later hand-out is refused for the
#: duplicate, not for want of stock.
SPARE_BAGS = 20
#: Quiet charity rows: one per this many households (at least :data:`QUIET_MIN`).
QUIET_PER = 150
QUIET_MIN = 6
#: Daily food energy per person the planted quantity is counted in (the guarantees' normal figure).
KCAL_PER_PERSON_DAY = 2100

PARTNER_COLUMNS = ("agency", "row_no", "id_hash", "village_code", "purpose", "item", "quantity", "amount",
                   "period_start", "period_end", "household_id", "match_score", "match_verdict", "match_evidence")


@dataclass(frozen=True)
class DemoAid:
    """The ledger and distributions with the planted hand-out, the charity's rows, the planted households."""

    stock: pd.DataFrame
    distributions: pd.DataFrame
    partner: pd.DataFrame
    """``partner_aid`` rows without ``id`` / ``import_id`` (:data:`PARTNER_COLUMNS`), matched on the hash."""
    duplicate_household: str | None
    missed_household: str | None
    depot_id: str | None
    """The county depot of the planted hand-out (a later hand-out from it is the third attempt)."""

    def counts(self) -> dict[str, int]:
        return {"partner_aid": len(self.partner)}


def _quiet_candidates(households: pd.DataFrame, served: set[str]) -> pd.DataFrame:
    """Households at home with an ID number, no distribution: the charity's usual beneficiaries."""
    hh = households.sort_values("id", kind="stable")
    keep = (~hh["id"].isin(served)) & hh["id_number"].notna() & (hh["shelter"] == Shelter.HOME.value)
    return hh[keep]


def build_aid(households: pd.DataFrame, stock: pd.DataFrame, distributions: pd.DataFrame, depots: pd.DataFrame,
              items: pd.DataFrame, *, hash_id: Callable[[str], str], seed: int, as_of: datetime,
              excluded: set[str] = frozenset()) -> DemoAid:
    """Plant the demo's aid chain on the region's frames (see the module's text); ``hash_id`` hashes an
    ID number with the prefecture's salt; ``excluded``: households other demo parts aid (assistance cases),
    never chosen as the planted miss nor the quiet rows."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(AID_STREAM,)))
    served = set(distributions["household_id"]) | set(excluded)
    county_depot = dict(zip(depots.loc[depots["kind"] == "county", "county_code"],
                            depots.loc[depots["kind"] == "county", "id"]))
    pool = _quiet_candidates(households, served)
    at_depot = pool[pool["county_code"].isin(county_depot) & pool["members"].between(2, 6)
                    & (pool["house_damage"] != HouseDamage.COLLAPSED.value)]
    everyone = households.sort_values("id", kind="stable")
    missed_pool = everyone[(~everyone["id"].isin(served)) & everyone["id_number"].notna()
                           & (everyone["house_damage"] != HouseDamage.COLLAPSED.value)
                           & (everyone["shelter"] != Shelter.SITE.value)  # a site's meals would feed it
                           & everyone["needs_living_aid"].astype(bool)]

    stock, distributions = stock.copy(), distributions.copy()
    duplicate = depot = missed = None
    rows: list[tuple] = []
    if len(at_depot):
        chosen = at_depot.iloc[int(rng.integers(len(at_depot)))]
        duplicate, depot = str(chosen["id"]), county_depot[chosen["county_code"]]
        kcal = float(items.loc[items["code"] == DUPLICATE_ITEM, "kcal_per_unit"].iloc[0])
        bags = float(math.ceil(int(chosen["members"]) * KCAL_PER_PERSON_DAY * DUPLICATE_DAYS / kcal))
        given = as_of - timedelta(hours=DUPLICATE_GIVEN_HOURS)
        stock, distributions = _hand_out(stock, distributions, depot, duplicate, bags, given, as_of)
        before, after = CHARITY_FOOD_DAYS
        rows.append((duplicate, chosen, PurposeClass.FOOD.value, "大米 rice", 2.0, None,
                     as_of - timedelta(days=before), as_of + timedelta(days=after)))
    if len(missed_pool):
        missed = str(missed_pool.iloc[int(rng.integers(len(missed_pool)))]["id"])
    quiet = pool[~pool["id"].isin([duplicate, missed])]
    n = min(len(quiet), max(QUIET_MIN, len(households) // QUIET_PER))
    picks = quiet.iloc[np.sort(rng.choice(len(quiet), n, replace=False))] if n else quiet.iloc[0:0]
    for _, h in picks.iterrows():
        food = rng.random() < 0.5
        start = as_of - timedelta(days=float(np.round(rng.uniform(10, 14), 2)))
        days = 3 if food else 1
        rows.append((str(h["id"]), h, PurposeClass.FOOD.value if food else PurposeClass.CLOTHING.value,
                     "食品包 food parcel" if food else "棉衣 winter coat", float(int(h["members"])),
                     None, start, start + timedelta(days=days)))
    partner = pd.DataFrame([{
        "agency": AGENCY, "row_no": i + 1, "id_hash": hash_id(str(h["id_number"])),
        "village_code": h["village_code"], "purpose": purpose, "item": item, "quantity": quantity,
        "amount": amount, "period_start": start, "period_end": end, "household_id": household,
        "match_score": None, "match_verdict": MatchVerdict.MATCHED.value,
        "match_evidence": {"id": "exact", "village": "same"},
    } for i, (household, h, purpose, item, quantity, amount, start, end) in enumerate(rows)],
        columns=list(PARTNER_COLUMNS))
    return DemoAid(stock, distributions, partner, duplicate, missed, depot)


def _hand_out(stock: pd.DataFrame, distributions: pd.DataFrame, depot: str, household: str, bags: float,
              given: datetime, as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The depot receives the bags (and spares) ten days before ``as_of`` and hands ``bags`` out at ``given``."""
    first = int(stock["id"].max()) + 1 if len(stock) else 1
    lines = pd.DataFrame([
        {"id": first, "at": as_of - timedelta(days=10), "kind": "receipt", "source": "reserve", "holder_kind": "depot",
         "holder_id": depot, "item_code": DUPLICATE_ITEM, "quantity": bags + SPARE_BAGS, "household_id": None,
         "reason": "demo opening stock"},
        {"id": first + 1, "at": given, "kind": "distribution", "source": None, "holder_kind": "depot",
         "holder_id": depot, "item_code": DUPLICATE_ITEM, "quantity": -bags, "household_id": household,
         "reason": "demo distribution"},
    ], columns=stock.columns)
    out = pd.DataFrame([{"id": int(distributions["id"].max()) + 1 if len(distributions) else 1,
                         "household_id": household, "item_code": DUPLICATE_ITEM, "quantity": bags,
                         "distributed_at": given, "movement_id": first + 1}], columns=distributions.columns)
    return (_with_none(pd.concat([stock, lines], ignore_index=True), "source", "household_id"),
            pd.concat([distributions, out], ignore_index=True))
