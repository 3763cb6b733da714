"""The five guarantees (五有) checked for every household at once.

Food, clothing, water, housing and medical care are judged per household
against the standards figures (never literals), as of a moment the caller
gives. The check is vectorised end to end, with no per-household Python, so a
whole prefecture (a million households) is re-judged in about a second
whenever an input changes.

Verdicts are ``met``, ``at_risk``, ``unmet`` or ``not_applicable`` (outside
the relief scope). Every verdict carries a stable reason code, a readable
reason and, where it applies, a shortfall in the standards' own units:

======== ==========================================================
food     kcal still needed to cover the next ``coverage_horizon_hours``
water    litres still needed to cover the next ``coverage_horizon_hours``
housing  m² of covered space missing for the household's members
clothing clothing sets plus bedding pieces missing (the reason says which)
medical  none (always NaN): the verdict is about reach, not quantity
======== ==========================================================

Which distribution counts for what is read from the item's content, not its
label: ``kcal_per_unit`` feeds food, ``litres_per_unit`` water,
``sets_per_unit`` clothing and ``pieces_per_unit`` bedding, so a family kit
with both sets and bedding counts for both. Items missing from the catalogue
and households missing from the frame count for nothing.

Site services (meals, water supply, a medical post) count only while the site
is ``open``; its covered area counts for whoever is recorded there.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from relief.domain.frames import moments_after, require_columns, times_ns, utc_ns
from relief.domain.geo import project_xy
from relief.domain.standards import Standards
from relief.domain.vocabulary import GUARANTEE_STATUSES as STATUSES
from relief.domain.vocabulary import GUARANTEES, HOUSE_DAMAGE, HouseDamage, Shelter, SiteStatus
from relief.domain.vocabulary import SHELTERS as SHELTER
from relief.errors import ValidationFailed

MET, AT_RISK, UNMET, NOT_APPLICABLE = range(4)
_HOME, _SITE, _DISPERSED = (SHELTER.index(s) for s in (Shelter.HOME, Shelter.SITE, Shelter.DISPERSED))
_SEVERE = HOUSE_DAMAGE.index(HouseDamage.SEVERE)  # severe and collapsed are the codes from here up
_DAY_S = 86_400.0
_OVERLAP_FROM = 10_000  # households; below this the check runs on one thread

#: Every reason per guarantee with the verdict it gives; a reason's number is
#: its position, the readable texts (``Figures.reason_texts``) follow the same order.
REASONS: dict[str, tuple[tuple[str, int], ...]] = {
    "food": (("not_in_scope", NOT_APPLICABLE), ("site_meals", MET), ("food_covered", MET),
             ("food_covered_short", AT_RISK), ("food_lapsed", UNMET), ("food_none", UNMET)),
    "water": (("not_in_scope", NOT_APPLICABLE), ("site_water", MET), ("site_water_acute", AT_RISK),
              ("water_covered", MET), ("water_covered_short", AT_RISK), ("water_lapsed", UNMET),
              ("water_none", UNMET)),
    "housing": (("not_in_scope", NOT_APPLICABLE), ("at_home", MET), ("dispersed", MET), ("site_space_ok", MET),
                ("site_space_tight", AT_RISK), ("site_space_crowded", UNMET), ("site_unknown", UNMET),
                ("home_unsafe", UNMET), ("home_evacuated", UNMET), ("no_shelter", UNMET)),
    "clothing": (("not_in_scope", NOT_APPLICABLE), ("own_clothing", MET), ("clothing_full", MET),
                 ("clothing_partial", AT_RISK), ("clothing_missing", UNMET)),
    "medical": (("not_in_scope", NOT_APPLICABLE), ("medical_in_reach", MET), ("medical_visit_due", AT_RISK),
                ("medical_out_of_reach", UNMET), ("location_unknown", UNMET)),
}
REASON_CODES: dict[str, tuple[str, ...]] = {g: tuple(code for code, _ in rows) for g, rows in REASONS.items()}
_VERDICT = {g: np.array([status for _, status in rows], dtype=np.int8) for g, rows in REASONS.items()}
_CODE = {g: {code: i for i, code in enumerate(codes)} for g, codes in REASON_CODES.items()}

_HOUSEHOLD_COLUMNS = ("household_id", "members", "injured", "chronic", "pregnant", "house_damage",
                      "needs_living_aid", "evacuated", "shelter", "site_id", "lon", "lat")
_SITE_COLUMNS = ("site_id", "lon", "lat", "covered_area_m2", "water_l_per_day", "provides_meals",
                 "medical_post", "status")


@dataclass(frozen=True)
class Figures:
    """The figures one check uses, read once from the standards."""

    food_kcal: float
    water_l: float
    water_acute_l: float
    horizon_s: float
    shelter_m2: float
    shelter_floor_m2: float
    sets: float
    sets_floor: float
    bedding: float
    bedding_floor: float
    reach_m: float
    visit_days: float

    @classmethod
    def read(cls, standards: Standards, profile: str = "normal") -> "Figures":
        """Figures for ``profile``; ``bedding_pieces_per_person_floor`` defaults to 1."""
        f = standards.figure
        known = standards.document.get("guarantees", {})
        floor = "bedding_pieces_per_person_floor"  # not in the bundled standards yet
        bedding_floor = f(floor, profile) if floor in known else 1.0
        return cls(
            food_kcal=f("food_kcal_per_person_day", profile),
            water_l=f("water_l_per_person_day", profile),
            water_acute_l=f("water_l_per_person_day_acute", profile),
            horizon_s=f("coverage_horizon_hours", profile) * 3600.0,
            shelter_m2=f("shelter_m2_per_person", profile),
            shelter_floor_m2=f("shelter_m2_per_person_floor", profile),
            sets=f("clothing_sets_per_person", profile),
            sets_floor=f("clothing_sets_per_person_floor", profile),
            bedding=f("bedding_pieces_per_person", profile),
            bedding_floor=bedding_floor,
            reach_m=f("medical_reach_km", profile) * 1000.0,
            visit_days=f("medical_visit_days", profile),
        )

    def reason_texts(self) -> dict[str, tuple[str, ...]]:
        """Readable reasons, aligned with :data:`REASON_CODES`."""
        h = f"{self.horizon_s / 3600:g} h"
        out = ("not in relief scope (not relocated, evacuated, badly damaged or needing living aid)",)
        return {
            "food": out + (
                "the relocation site provides meals",
                f"food received covers the next {h} ({self.food_kcal:g} kcal per person per day)",
                f"food received runs out within the next {h}",
                "food received has run out",
                "no food received",
            ),
            "water": out + (
                f"the site supplies at least {self.water_l:g} L per person per day",
                f"the site supplies {self.water_acute_l:g} to {self.water_l:g} L per person per day (acute phase only)",
                f"water received covers the next {h} ({self.water_l:g} L per person per day)",
                f"water received runs out within the next {h}",
                "water received has run out",
                "no water received",
            ),
            "housing": out + (
                "at home, house usable",
                "placed with a host family or in rented housing",
                f"site gives at least {self.shelter_m2:g} m² covered space per person",
                f"site gives {self.shelter_floor_m2:g} to {self.shelter_m2:g} m² covered space per person",
                f"site gives less than {self.shelter_floor_m2:g} m² covered space per person",
                "recorded at a site that is not known",
                "at home, but the house is severely damaged or collapsed",
                "evacuated, but recorded at home",
                "no shelter",
            ),
            "clothing": out + (
                "house not badly damaged: own clothing and bedding kept",
                f"received at least {self.sets:g} clothing sets and {self.bedding:g} bedding pieces per person",
                f"received at least {self.sets_floor:g} clothing sets and {self.bedding_floor:g} bedding pieces "
                "per person, below the standard",
                f"received fewer than {self.sets_floor:g} clothing sets or {self.bedding_floor:g} bedding pieces "
                "per person",
            ),
            "medical": out + (
                f"operating medical point within {self.reach_m / 1000:g} km",
                f"injured, chronically ill or pregnant member not seen in the last {self.visit_days:g} days",
                f"no operating medical point within {self.reach_m / 1000:g} km",
                "where the household is now is not known",
            ),
        }


@dataclass
class _Households:
    """The columns the checks read, as arrays."""

    ids: pd.Index
    members: np.ndarray
    vulnerable: np.ndarray
    severe: np.ndarray
    evacuated: np.ndarray
    shelter: np.ndarray
    in_scope: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    @classmethod
    def read(cls, households: pd.DataFrame) -> "_Households":
        require_columns(households, _HOUSEHOLD_COLUMNS, "households")
        if len(households) == 0:
            households = pd.DataFrame({c: pd.Series(dtype=object) for c in _HOUSEHOLD_COLUMNS})
        ids = pd.Index(households["household_id"], name="household_id")
        if not ids.is_unique:
            raise ValidationFailed("household_id must be unique", field="households.household_id")
        members = households["members"].to_numpy(dtype=float, na_value=np.nan)
        if not (members >= 1).all():
            raise ValidationFailed("members must be at least 1", field="households.members")
        damage = _codes(households["house_damage"], HOUSE_DAMAGE, "households.house_damage")
        shelter = _codes(households["shelter"], SHELTER, "households.shelter")
        vulnerable = np.zeros(len(ids), dtype=bool)
        for column in ("injured", "chronic", "pregnant"):
            vulnerable |= households[column].to_numpy(dtype=float, na_value=0.0) > 0
        severe = damage >= _SEVERE
        evacuated = _flags(households["evacuated"])
        relocated = (shelter == _SITE) | (shelter == _DISPERSED)
        in_scope = relocated | evacuated | severe | _flags(households["needs_living_aid"])
        return cls(ids, members, vulnerable, severe, evacuated, shelter, in_scope,
                   households["lon"].to_numpy(dtype=float, na_value=np.nan),
                   households["lat"].to_numpy(dtype=float, na_value=np.nan))


def _codes(values: pd.Series, categories: tuple[str, ...], field: str) -> np.ndarray:
    codes = pd.Index(categories).get_indexer(values)
    if (codes < 0).any():
        raise ValidationFailed(f"{field.split('.')[-1]} must be one of {', '.join(categories)}", field=field)
    return codes


def _flags(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype=bool, na_value=False)


@dataclass
class _Sites:
    """Each household's site (index into the sites frame, -1 for none) and the sites' figures."""

    at: np.ndarray  # per household: site index or -1
    occupants: np.ndarray
    x: np.ndarray
    y: np.ndarray
    covered_m2: np.ndarray
    water_l: np.ndarray
    meals: np.ndarray
    medical_post: np.ndarray
    open: np.ndarray

    @classmethod
    def read(cls, sites: pd.DataFrame, hh: _Households, households: pd.DataFrame,
             occupancy: pd.Series | None) -> "_Sites":
        require_columns(sites, _SITE_COLUMNS, "sites")
        if len(sites) == 0:
            sites = pd.DataFrame({c: pd.Series(dtype=object) for c in _SITE_COLUMNS})
        index = pd.Index(sites["site_id"])
        if not index.is_unique:
            raise ValidationFailed("site_id must be unique", field="sites.site_id")
        at = np.full(len(hh.ids), -1, dtype=np.int64)
        there = hh.shelter == _SITE
        if there.any():
            at[there] = index.get_indexer(households["site_id"].to_numpy()[there])
        if occupancy is None:
            known = at >= 0
            occupants = np.bincount(at[known], weights=hh.members[known], minlength=len(index))
        else:
            occupants = occupancy.reindex(index).fillna(0).to_numpy(dtype=float)
        x, y = project_xy(sites["lon"].to_numpy(dtype=float, na_value=np.nan),
                          sites["lat"].to_numpy(dtype=float, na_value=np.nan))
        return cls(at, occupants, x, y,
                   sites["covered_area_m2"].to_numpy(dtype=float, na_value=0.0),
                   sites["water_l_per_day"].to_numpy(dtype=float, na_value=0.0),
                   _flags(sites["provides_meals"]), _flags(sites["medical_post"]),
                   sites["status"].eq("open").to_numpy(dtype=bool, na_value=False))

    def per_person(self, amount: np.ndarray) -> np.ndarray:
        """``amount / occupants`` per site (inf for an empty site)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.occupants > 0, amount / np.maximum(self.occupants, 1e-12), np.inf)

    def gather(self, per_site: np.ndarray, fill: Any) -> np.ndarray:
        """A per-site array spread to households; ``fill`` where not at a known site."""
        return np.append(per_site, fill)[self.at]  # -1 picks the appended fill


@dataclass
class _Received:
    """What each household has received up to ``as_of``."""

    food_end_s: np.ndarray   # seconds after as_of when food coverage ends (-inf: never any)
    water_end_s: np.ndarray
    sets: np.ndarray
    pieces: np.ndarray


def _received(distributions: pd.DataFrame, items: pd.DataFrame, hh: _Households, now_ns: int,
              fig: Figures) -> _Received:
    n = len(hh.ids)
    none = _Received(np.full(n, -np.inf), np.full(n, -np.inf), np.zeros(n), np.zeros(n))
    require_columns(distributions, ("household_id", "item_code", "quantity", "distributed_at"), "distributions")
    contents = ("kcal_per_unit", "litres_per_unit", "sets_per_unit", "pieces_per_unit")
    require_columns(items, ("item_code", *contents), "items")
    if len(distributions) == 0 or len(items) == 0 or n == 0:
        return none
    t_ns = times_ns(distributions["distributed_at"], "distributions.distributed_at")
    quantity = distributions["quantity"].to_numpy(dtype=float, na_value=np.nan)
    if not (quantity >= 0).all():
        raise ValidationFailed("quantity must be a non-negative number", field="distributions.quantity")
    catalogue = pd.Index(items["item_code"])
    if not catalogue.is_unique:
        raise ValidationFailed("item_code must be unique", field="items.item_code")
    if (t_ns == np.iinfo(np.int64).min).any():
        raise ValidationFailed("every distribution needs its time", field="distributions.distributed_at")
    # content per unit, with a last slot of zeros that get_indexer's -1 (unknown item) picks
    per_unit = {c: np.append(items[c].to_numpy(dtype=float, na_value=0.0), 0.0) for c in contents}
    useful = sum(per_unit.values()) > 0
    item = catalogue.get_indexer(distributions["item_code"])
    keep = (t_ns <= now_ns) & useful[item]
    ids = distributions["household_id"].to_numpy()  # a plain array hashes faster than a Series
    if not keep.all():
        t_ns, quantity, item, ids = t_ns[keep], quantity[keep], item[keep], ids[keep]
    return _supplied(hh.ids.get_indexer(ids), t_ns, quantity, item, per_unit, hh.members, now_ns, fig)


def _supplied(who: np.ndarray, t_ns: np.ndarray, quantity: np.ndarray, item: np.ndarray,
              per_unit: dict[str, np.ndarray], members: np.ndarray, now_ns: int, fig: Figures) -> _Received:
    """What the counted distributions give: ``who`` receives ``quantity`` of ``item`` (position in ``per_unit``,
    whose last slot is zeros) at ``t_ns``; -1 for a household not judged. Shared by both paths."""
    n = len(members)
    mine = who >= 0
    who, t_ns, quantity, item = who[mine], t_ns[mine], quantity[mine], item[mine]

    def content(column: str) -> np.ndarray:
        return per_unit[column][item] * quantity

    kcal, litres = content("kcal_per_unit"), content("litres_per_unit")
    is_food, is_water = kcal > 0, litres > 0
    members = members[who]
    days = np.concatenate([kcal[is_food] / (members[is_food] * fig.food_kcal),
                           litres[is_water] / (members[is_water] * fig.water_l)])
    group = np.concatenate([who[is_food] * 2, who[is_water] * 2 + 1])  # food and water of a household
    arrival = np.concatenate([t_ns[is_food], t_ns[is_water]]) - now_ns
    end = coverage_end(group, arrival, days * _DAY_S * 1e9, 2 * n) / 1e9
    return _Received(end[0::2], end[1::2],
                     np.bincount(who, weights=content("sets_per_unit"), minlength=n),
                     np.bincount(who, weights=content("pieces_per_unit"), minlength=n))


def coverage_end(group: np.ndarray, t: np.ndarray, duration: np.ndarray, n_groups: int) -> np.ndarray:
    """When each group's coverage ends, given supplies ``duration`` long arriving at ``t``.

    Coverage runs from a supply's arrival or from the end of the coverage
    still running, whichever is later, so a lapse is never made up:
    ``end_k = max(end_{k-1}, t_k) + d_k``. Unrolled, that is
    ``max_k (t_k + sum_{j>=k} d_j)`` over the time-ordered supplies, which
    one sort and a few cumulative sums compute for all groups at once.

    Parameters
    ----------
    group : int array
        Group (0 ≤ group < n_groups) of each supply.
    t : int array
        Arrival of each supply (any integer time unit, e.g. ns after as_of).
    duration : float array
        How long each supply lasts, in the unit of ``t``.
    n_groups : int
        Number of groups.

    Returns
    -------
    float array of length ``n_groups``: end of coverage, ``-inf`` where a group had no supply.
    """
    out = np.full(n_groups, -np.inf)
    if len(group) == 0:
        return out
    order = np.argsort(_sort_key(group, t, n_groups))
    g, start_t, d = group[order], t[order].astype(float), duration[order]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    last = np.r_[first[1:], len(g)] - 1
    running = np.cumsum(d)
    after = np.repeat(running[last], last - first + 1) - running + d  # sum_{j>=k} d_j within the group
    out[g[first]] = np.maximum.reduceat(start_t + after, first)
    return out


def _sort_key(group: np.ndarray, t: np.ndarray, n_groups: int) -> np.ndarray:
    """One int64 key ordering by group, then time: a single sort instead of a lexsort.

    If the time span does not fit beside the group bits, time is coarsened by
    a right shift; supplies closer together than that step may swap, which
    moves an end by less than the step (about a second at a million groups).
    """
    group_bits = max(int(n_groups - 1).bit_length(), 1)
    room = 62 - group_bits
    rel = t - t.min()
    shift = max(int(rel.max()).bit_length() - room, 0)
    return (group.astype(np.int64) << room) | (rel >> shift)


def _food(hh: _Households, sites: _Sites, got: _Received, fig: Figures):
    reason, shortfall = _coverage(got.food_end_s, hh.members * fig.food_kcal, fig, "food")
    meals = sites.gather(sites.meals & sites.open, False)
    reason[meals], shortfall[meals] = _CODE["food"]["site_meals"], 0.0
    return reason, shortfall


def _coverage(end_s: np.ndarray, daily_need: np.ndarray, fig: Figures, g: str) -> tuple[np.ndarray, np.ndarray]:
    """Reason (``<g>_covered``, ``_covered_short``, ``_lapsed``, ``_none``) from when coverage
    ends, and the units still needed to cover the horizon."""
    code = _CODE[g]
    reason = np.select([end_s >= fig.horizon_s, end_s > 0, np.isfinite(end_s)],
                       [code[f"{g}_covered"], code[f"{g}_covered_short"], code[f"{g}_lapsed"]], code[f"{g}_none"])
    missing_s = fig.horizon_s - np.clip(end_s, 0.0, fig.horizon_s)
    return reason.astype(np.int8), daily_need * missing_s / _DAY_S


def _water(hh: _Households, sites: _Sites, got: _Received, fig: Figures):
    """The better of the household's own water and its open site's supply per occupant."""
    code = _CODE["water"]
    reason, shortfall = _coverage(got.water_end_s, hh.members * fig.water_l, fig, "water")
    per_person = sites.gather(np.where(sites.open, sites.per_person(sites.water_l), -np.inf), -np.inf)
    site_met = per_person >= fig.water_l
    site_counts = site_met | (per_person >= fig.water_acute_l)
    helps = site_counts & (np.where(site_met, MET, AT_RISK) <= _VERDICT["water"][reason])  # ties go to the site
    site_short = hh.members * np.maximum(fig.water_l - per_person, 0.0) * fig.horizon_s / _DAY_S
    reason = np.where(helps, np.where(site_met, code["site_water"], code["site_water_acute"]), reason)
    return reason.astype(np.int8), np.where(helps, np.minimum(site_short, shortfall), shortfall)


def _housing(hh: _Households, sites: _Sites, fig: Figures):
    code = _CODE["housing"]
    at_site, at_home = hh.shelter == _SITE, hh.shelter == _HOME
    known = sites.at >= 0
    m2 = np.where(at_site & known, sites.gather(sites.per_person(sites.covered_m2), np.nan), np.nan)
    rules = [
        (at_home & hh.severe, "home_unsafe"), (at_home & hh.evacuated, "home_evacuated"), (at_home, "at_home"),
        (hh.shelter == _DISPERSED, "dispersed"), (at_site & ~known, "site_unknown"),
        (m2 >= fig.shelter_m2, "site_space_ok"), (m2 >= fig.shelter_floor_m2, "site_space_tight"),
        (at_site, "site_space_crowded"),
    ]
    reason = np.select([when for when, _ in rules], [code[c] for _, c in rules], code["no_shelter"]).astype(np.int8)
    # short by the standard minus what the site gives (all of it without a usable shelter)
    given = np.where(np.isnan(m2), 0.0, np.minimum(m2, fig.shelter_m2))
    missing = np.where(_VERDICT["housing"][reason] == MET, 0.0, hh.members * (fig.shelter_m2 - given))
    return reason, missing, m2


def _clothing(hh: _Households, got: _Received, fig: Figures):
    code = _CODE["clothing"]
    sets_pp, pieces_pp = got.sets / hh.members, got.pieces / hh.members
    full = (sets_pp >= fig.sets) & (pieces_pp >= fig.bedding)
    partial = (sets_pp >= fig.sets_floor) & (pieces_pp >= fig.bedding_floor)
    reason = np.select([~hh.severe, full, partial],
                       [code["own_clothing"], code["clothing_full"], code["clothing_partial"]],
                       code["clothing_missing"])
    missing = (np.maximum(fig.sets * hh.members - got.sets, 0.0)
               + np.maximum(fig.bedding * hh.members - got.pieces, 0.0))
    return reason.astype(np.int8), np.where(hh.severe, missing, 0.0)


def _medical_km(hh: _Households, sites: _Sites, facilities: pd.DataFrame) -> np.ndarray:
    """Km from where each in-scope household is now to the nearest operating medical point.

    Operating points are open sites' medical posts and operating facilities.
    NaN where the household's position is unknown or no point operates.
    """
    require_columns(facilities, ("facility_id", "lon", "lat", "operating"), "facilities")
    if not len(facilities):
        return _km_to_points(hh, sites, None)
    working = _flags(facilities["operating"])
    return _km_to_points(hh, sites, (facilities["lon"].to_numpy(dtype=float, na_value=np.nan)[working],
                                     facilities["lat"].to_numpy(dtype=float, na_value=np.nan)[working]))


def _km_to_points(hh: _Households, sites: _Sites, facilities: tuple[np.ndarray, np.ndarray] | None, *,
                  few: bool = False) -> np.ndarray:
    """:func:`_medical_km` given the operating facilities' (lon, lat), None when there are no facilities.

    ``few``: a handful of households, whose distances are taken pair by pair (:func:`_nearest_pairwise`).
    """
    post = sites.open & sites.medical_post
    px, py = [sites.x[post]], [sites.y[post]]
    if facilities is not None:
        fx, fy = project_xy(*facilities)
        px.append(fx)
        py.append(fy)
    points = np.column_stack([np.concatenate(px), np.concatenate(py)])
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) == 0:
        return np.full(len(hh.ids), np.nan)
    nearest = _nearest_pairwise(points) if few else _nearest_in_tree(points)
    site_xy = np.column_stack([sites.x, sites.y])
    site_known = np.isfinite(site_xy).all(axis=1)
    site_km = np.full(len(site_xy), np.nan)
    if site_known.any():
        site_km[site_known] = nearest(site_xy[site_known]) / 1000.0
    km = sites.gather(site_km, np.nan)
    own = hh.in_scope & (hh.shelter != _SITE) & np.isfinite(hh.lon) & np.isfinite(hh.lat)
    if own.any():
        x, y = project_xy(hh.lon[own], hh.lat[own])
        km[own] = nearest(np.column_stack([x, y])) / 1000.0
    return km


def _nearest_in_tree(points: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Metres from each position to the nearest of ``points``, through a k-d tree (many positions)."""
    tree = cKDTree(points)
    return lambda xy: tree.query(xy, k=1, workers=-1)[0]


def _nearest_pairwise(points: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`_nearest_in_tree` pair by pair, for a handful of positions: building the tree and starting its
    worker threads cost far more (~1 ms) than the pairs. The same sum of squares under the root, so the same
    metres (``test_guarantees_few`` compares them)."""
    def nearest(xy: np.ndarray) -> np.ndarray:
        d = xy[:, None, :] - points[None, :, :]
        return np.sqrt((d * d).sum(axis=2)).min(axis=1)
    return nearest


def _seen(hh: _Households, medical_visits: pd.DataFrame, now_ns: int, fig: Figures) -> np.ndarray:
    """Whether each household was visited within the visit window."""
    require_columns(medical_visits, ("household_id", "visited_at"), "medical_visits")
    seen = np.zeros(len(hh.ids), dtype=bool)
    if len(medical_visits):
        t_ns = times_ns(medical_visits["visited_at"], "medical_visits.visited_at")
        recent = (t_ns <= now_ns) & (t_ns >= now_ns - int(fig.visit_days * _DAY_S * 1e9))
        who = hh.ids.get_indexer(medical_visits["household_id"].to_numpy()[recent])
        seen[who[who >= 0]] = True
    return seen


def _medical(hh: _Households, sites: _Sites, km: np.ndarray, seen: np.ndarray, fig: Figures):
    n = len(hh.ids)
    located = (sites.at >= 0) | ((hh.shelter != _SITE) & np.isfinite(hh.lon) & np.isfinite(hh.lat))
    code = _CODE["medical"]
    reason = np.select([~located, ~(km <= fig.reach_m / 1000.0), hh.vulnerable & ~seen],
                       [code["location_unknown"], code["medical_out_of_reach"], code["medical_visit_due"]],
                       code["medical_in_reach"])
    return reason.astype(np.int8), np.full(n, np.nan)


def _verdicts(hh: _Households, site: _Sites, got: _Received, km: np.ndarray, seen: np.ndarray,
              fig: Figures) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """(reason numbers and shortfalls by guarantee, housing m² per person): the rules both paths apply.

    Households outside the scope get ``not_in_scope`` here; their shortfalls are left for the caller to blank.
    """
    housing = _housing(hh, site, fig)
    verdicts = {
        "food": _food(hh, site, got, fig),
        "clothing": _clothing(hh, got, fig),
        "water": _water(hh, site, got, fig),
        "housing": housing[:2],
        "medical": _medical(hh, site, km, seen, fig),
    }
    outside = ~hh.in_scope
    for g, (reason, _) in verdicts.items():
        reason[outside] = _CODE[g]["not_in_scope"]
    return verdicts, housing[2]


def evaluate(households: pd.DataFrame, sites: pd.DataFrame, facilities: pd.DataFrame,
             distributions: pd.DataFrame, items: pd.DataFrame, medical_visits: pd.DataFrame, *,
             as_of: Any, standards: Standards, profile: str = "normal",
             occupancy: pd.Series | None = None) -> pd.DataFrame:
    """Judge the five guarantees for every household as of ``as_of``.

    Parameters
    ----------
    households, sites, facilities, distributions, items, medical_visits : DataFrame
        As described in the module and ``relief.store`` tables; positions in
        WGS 84 ``lon``/``lat``. The last four may be empty frames.
    as_of : datetime
        The moment judged (tz-aware). Only distributions and visits at or
        before it count.
    standards : Standards
        Where every figure comes from.
    profile : str
        Standards profile, ``"normal"`` or ``"cold"``.
    occupancy : Series, optional
        Persons by site_id. Defaults to the members of ``households``
        recorded at each site; pass it when judging only some households.

    Returns
    -------
    DataFrame indexed by household_id: ``food, clothing, water, housing,
    medical`` (categorical, :data:`STATUSES`), ``reason_<g>`` (readable),
    ``reason_code_<g>`` (:data:`REASON_CODES`), ``shortfall_<g>`` (float,
    NaN when not applicable), and the figures behind them: ``in_scope``,
    ``food_covered_until``, ``water_covered_until``,
    ``housing_m2_per_person``, ``medical_km``.
    """
    fig = Figures.read(standards, profile)
    now_ns = utc_ns(as_of)
    hh = _Households.read(households)
    site = _Sites.read(sites, hh, households, occupancy)
    if len(households) < _OVERLAP_FROM:  # a thread costs more than it saves on small rechecks
        got = _received(distributions, items, hh, now_ns, fig)
        km = _medical_km(hh, site, facilities)
    else:
        # Projection and nearest-point search release the GIL: overlap them with
        # the string joins of the distributions (about 0.1 s on a million rows).
        with ThreadPoolExecutor(max_workers=1) as pool:
            distances = pool.submit(_medical_km, hh, site, facilities)
            got = _received(distributions, items, hh, now_ns, fig)
            km = distances.result()

    verdicts, m2 = _verdicts(hh, site, got, km, _seen(hh, medical_visits, now_ns, fig), fig)
    texts = fig.reason_texts()
    out: dict[str, Any] = {}
    outside = ~hh.in_scope
    for g, (reason, shortfall) in verdicts.items():
        out[g] = pd.Categorical.from_codes(_VERDICT[g][reason], categories=STATUSES)
        out[f"reason_{g}"] = pd.Categorical.from_codes(reason, categories=texts[g])
        out[f"reason_code_{g}"] = pd.Categorical.from_codes(reason, categories=REASON_CODES[g])
        out[f"shortfall_{g}"] = np.where(outside, np.nan, shortfall)
    out["in_scope"] = hh.in_scope
    for g, end_s in (("food", got.food_end_s), ("water", got.water_end_s)):
        out[f"{g}_covered_until"] = moments_after(now_ns, np.where(hh.in_scope, end_s, -np.inf))
    out["housing_m2_per_person"] = np.where(outside, np.nan, m2)
    out["medical_km"] = np.where(outside, np.nan, km)
    return pd.DataFrame(out, index=hh.ids, copy=False)  # every column is a fresh array



# --- verdicts that change with time alone ---------------------------------------

_US_NS = 1_000  # the stores keep moments to the microsecond
_NEVER_NS = np.iinfo(np.int64).max


def next_change_at(result: pd.DataFrame, households: pd.DataFrame, medical_visits: pd.DataFrame, *,
                   as_of: Any, standards: Standards, profile: str = "normal") -> pd.Series:
    """When each household's verdict would next change if nothing new were recorded.

    Only the clock moves three reasons on their own: food or water received
    stops covering the whole horizon (``<g>_covered`` → ``<g>_covered_short``,
    met → at risk), then runs out (``_covered_short`` → ``_lapsed``, at risk →
    unmet), and a vulnerable household's last medical visit leaves the visit
    window (``medical_in_reach`` → ``medical_visit_due``). Every other reason
    waits for new input: outside the scope, site meals or water (the site's
    supply does not run down), already lapsed, never received, housing,
    clothing, reach.

    Each moment is the first microsecond (the stores' resolution) at which
    :func:`evaluate` gives the new reason, and always after ``as_of``: judging
    again at it changes the verdict, so a scheduler re-judging households
    whose moment has come never re-judges the same moment twice.

    Parameters
    ----------
    result : DataFrame
        :func:`evaluate`'s output for ``as_of``.
    households : DataFrame
        The households judged (``household_id``, ``injured``, ``chronic``,
        ``pregnant``): who has a vulnerable member.
    medical_visits : DataFrame
        The visits ``evaluate`` was given (``household_id``, ``visited_at``);
        may be empty.
    as_of : datetime
        The moment ``result`` was judged at (tz-aware).
    standards : Standards
        The same standards (horizon, visit window) ``evaluate`` used.
    profile : str
        The same profile.

    Returns
    -------
    Series of UTC moments indexed like ``result``, named ``next_change_at``;
    NaT where the verdict never changes by itself.
    """
    fig = Figures.read(standards, profile)
    now_ns = utc_ns(as_of)
    columns = ("food_covered_until", "water_covered_until", "reason_code_food", "reason_code_water",
               "reason_code_medical")
    require_columns(result, columns, "result")
    n = len(result)
    if n == 0:
        return pd.Series(pd.DatetimeIndex([], tz="UTC"), index=result.index, name="next_change_at")
    reasons = {g: _reason_codes(result, g) for g in ("food", "water", "medical")}
    ends = {g: (_utc_ns_column(result[f"{g}_covered_until"], f"result.{g}_covered_until")
                if _ages(reasons[g], g).any() else None) for g in ("food", "water")}
    in_reach = reasons["medical"] == _CODE["medical"]["medical_in_reach"]
    require_columns(households, ("household_id", "injured", "chronic", "pregnant"), "households")
    require_columns(medical_visits, ("household_id", "visited_at"), "medical_visits")
    seen_until = None
    if in_reach.any() and len(medical_visits):
        seen_until = _last_visit_window_end(result.index, households, medical_visits, now_ns, fig, in_reach)
    ns = _soonest_change(reasons, ends, seen_until, now_ns, fig)
    moments = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    return pd.Series(moments, index=result.index, name="next_change_at")


def _ages(reason: np.ndarray, g: str) -> np.ndarray:
    """Households whose food or water coverage still runs (``<g>_covered`` or ``_covered_short``)."""
    return (reason == _CODE[g][f"{g}_covered"]) | (reason == _CODE[g][f"{g}_covered_short"])


def _soonest_change(reasons: dict[str, np.ndarray], ends: dict[str, np.ndarray | None],
                    seen_until: np.ndarray | None, now_ns: int, fig: Figures) -> np.ndarray:
    """:func:`next_change_at` as UTC ns (int64 min where never), from the reason numbers of food, water and
    medical, when food and water coverage ends (ns; None when neither runs) and when each household's
    latest counted visit stops counting (None when no visit counts). Shared by both paths."""
    n = len(reasons["medical"])
    soonest = np.full(n, _NEVER_NS, dtype=np.int64)
    horizon_ns = int(round(fig.horizon_s * 1e9))
    for g in ("food", "water"):
        reason, end = reasons[g], ends[g]
        covered, short = reason == _CODE[g][f"{g}_covered"], reason == _CODE[g][f"{g}_covered_short"]
        if end is not None:
            _earliest(soonest, covered, _just_after(end[covered] - horizon_ns))  # still met at exactly the horizon
            _earliest(soonest, short, _from(end[short]))  # lapsed from the end itself
    if seen_until is not None:
        in_reach = reasons["medical"] == _CODE["medical"]["medical_in_reach"]
        lapses = in_reach & (seen_until != _NEVER_NS)
        _earliest(soonest, lapses, _just_after(seen_until[lapses]))  # a visit exactly visit_days ago still counts
    changes = soonest != _NEVER_NS
    soonest[changes] = np.maximum(soonest[changes], _just_after(np.int64(now_ns)))
    return np.where(changes, soonest, np.iinfo(np.int64).min)


def _reason_codes(result: pd.DataFrame, g: str) -> np.ndarray:
    """Reason numbers (positions in :data:`REASON_CODES`) of ``reason_code_<g>``; -1 where unknown."""
    values = result[f"reason_code_{g}"].array
    if isinstance(values, pd.Categorical) and tuple(values.categories) == REASON_CODES[g]:
        return values.codes  # evaluate's own column: no string compared
    return pd.Categorical(np.asarray(values, dtype=object), categories=REASON_CODES[g]).codes


def _utc_ns_column(values: pd.Series, field: str) -> np.ndarray:
    """A column of UTC moments as nanoseconds; evaluate's (UTC, ns) read as they are."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) and values.dtype.unit == "ns" and str(values.dtype.tz) == "UTC":
        return values.array.asi8
    return times_ns(values, field)


def _earliest(soonest: np.ndarray, where: np.ndarray, moments: np.ndarray) -> None:
    soonest[where] = np.minimum(soonest[where], moments)


def _from(ns: np.ndarray) -> np.ndarray:
    """The first microsecond at or after ``ns``."""
    return -((-ns) // _US_NS) * _US_NS


def _just_after(ns: np.ndarray) -> np.ndarray:
    """The first microsecond strictly after ``ns``."""
    return (ns // _US_NS + 1) * _US_NS


def _last_visit_window_end(ids: pd.Index, households: pd.DataFrame, medical_visits: pd.DataFrame, now_ns: int,
                           fig: Figures, asked: np.ndarray) -> np.ndarray:
    """For the ``asked`` households with a vulnerable member seen within the window: when their latest
    visit stops counting (ns). :data:`_NEVER_NS` for the others."""
    out = np.full(len(ids), _NEVER_NS, dtype=np.int64)
    window_ns = int(fig.visit_days * _DAY_S * 1e9)  # as _medical counts it
    who = ids.get_indexer(medical_visits["household_id"].to_numpy())
    t_ns = _utc_ns_column(medical_visits["visited_at"], "medical_visits.visited_at")
    counted = (who >= 0) & (t_ns <= now_ns) & (t_ns >= now_ns - window_ns)
    counted[counted] = asked[who[counted]]
    if not counted.any() or len(households) == 0:
        return out
    at = ids.get_indexer(households["household_id"].to_numpy())
    vulnerable = np.zeros(len(ids), dtype=bool)
    for column in ("injured", "chronic", "pregnant"):
        vulnerable[at[(at >= 0) & (_numbers(households[column]) > 0)]] = True
    none = np.iinfo(np.int64).min
    latest = np.full(len(ids), none, dtype=np.int64)
    np.maximum.at(latest, who[counted], t_ns[counted])
    seen = vulnerable & (latest != none)
    out[seen] = latest[seen] + window_ns
    return out


def _numbers(values: pd.Series) -> np.ndarray:
    """A column as floats, missing values NaN (never counted as above zero)."""
    try:
        return values.to_numpy(dtype=float)
    except (TypeError, ValueError):  # pd.NA and the like
        return values.to_numpy(dtype=float, na_value=np.nan)


# --- a handful of households, row by row -----------------------------------------

#: Up to this many households :func:`judged_row_by_row` is true and a recheck uses :func:`evaluate_few`.
#: :func:`evaluate` pays a fixed cost (some 140 small pandas objects, ~8 ms) that is most of a
#: recheck after one write; the rows' cost grows with the households instead, and meets evaluate's
#: at about 300 households. 128 covers a check-in, which rechecks everyone at the site.
FEW_HOUSEHOLDS = 128


def judged_row_by_row(households: int) -> bool:
    """Whether ``households`` are few enough for :func:`evaluate_few`: the one place the size decides."""
    return households <= FEW_HOUSEHOLDS


@dataclass(frozen=True)
class Verdict:
    """One household's verdicts: the values of its :func:`evaluate` row and of :func:`next_change_at`."""

    household_id: Any
    statuses: dict[str, str]
    reasons: dict[str, str]
    reason_codes: dict[str, str]
    shortfalls: dict[str, float]  # NaN when not applicable
    in_scope: bool
    food_covered_until: pd.Timestamp | None
    water_covered_until: pd.Timestamp | None
    housing_m2_per_person: float
    medical_km: float
    next_change_at: pd.Timestamp | None


Row = Mapping[str, Any]


def evaluate_few(households: Sequence[Row], sites: Sequence[Row], facilities: Sequence[Row],
                 distributions: Sequence[Row], items: Sequence[Row], medical_visits: Sequence[Row], *,
                 as_of: Any, standards: Standards, profile: str = "normal",
                 occupancy: Mapping[Any, float] | None = None) -> list[Verdict]:
    """:func:`evaluate` then :func:`next_change_at` for a handful of households given as rows.

    Each row is a mapping with the column names of :func:`evaluate`'s frames, times tz-aware;
    ``occupancy`` maps site_id to persons. No pandas object is built per row: the rows become the
    arrays the shared rules (:func:`_verdicts`, :func:`_supplied`, :func:`_km_to_points`,
    :func:`_soonest_change`) take, in the frames' order, so the verdicts, reasons, shortfalls and
    moments are the very values :func:`evaluate` gives. One :class:`Verdict` per household, in order.
    """
    fig = Figures.read(standards, profile)
    now_ns = utc_ns(as_of)
    hh = _households_of(households)
    site = _sites_of(sites, hh, households, occupancy)
    got = _received_of(distributions, items, hh, now_ns, fig)
    km = _km_to_points(hh, site, _operating(facilities), few=True)
    who, visited_ns = _visits_of(medical_visits, hh, now_ns, fig)
    seen = np.zeros(len(hh.ids), dtype=bool)
    seen[who] = True
    verdicts, m2 = _verdicts(hh, site, got, km, seen, fig)
    outside = ~hh.in_scope
    ends = {g: _after_ns(now_ns, np.where(hh.in_scope, end_s, -np.inf))
            for g, end_s in (("food", got.food_end_s), ("water", got.water_end_s))}
    reasons = {g: reason for g, (reason, _) in verdicts.items()}
    in_reach = reasons["medical"] == _CODE["medical"]["medical_in_reach"]
    seen_until = None
    if in_reach.any() and len(medical_visits):
        seen_until = _visit_window_ends(who, visited_ns, hh.vulnerable & in_reach, fig)
    changes = _soonest_change(reasons, {g: ends[g] if _ages(reasons[g], g).any() else None for g in ends},
                              seen_until, now_ns, fig)
    texts = fig.reason_texts()
    out = []
    for i, household_id in enumerate(hh.ids):
        codes = {g: int(verdicts[g][0][i]) for g in GUARANTEES}
        out.append(Verdict(
            household_id=household_id,
            statuses={g: STATUSES[_VERDICT[g][codes[g]]] for g in GUARANTEES},
            reasons={g: texts[g][codes[g]] for g in GUARANTEES},
            reason_codes={g: REASON_CODES[g][codes[g]] for g in GUARANTEES},
            shortfalls={g: np.nan if outside[i] else float(verdicts[g][1][i]) for g in GUARANTEES},
            in_scope=bool(hh.in_scope[i]),
            food_covered_until=_stamp(ends["food"][i]), water_covered_until=_stamp(ends["water"][i]),
            housing_m2_per_person=np.nan if outside[i] else float(m2[i]),
            medical_km=np.nan if outside[i] else float(km[i]),
            next_change_at=_stamp(changes[i])))
    return out


_NAT_NS = np.iinfo(np.int64).min


def _after_ns(now_ns: int, after_s: np.ndarray) -> np.ndarray:
    """:func:`relief.domain.frames.moments_after` as ns (int64 min where not finite)."""
    finite = np.isfinite(after_s)
    ns = np.full(after_s.shape, _NAT_NS, dtype=np.int64)
    ns[finite] = now_ns + np.rint(after_s[finite] * 1e9).astype(np.int64)
    return ns


def _stamp(ns: int) -> pd.Timestamp | None:
    return None if ns == _NAT_NS else pd.Timestamp(int(ns), tz="UTC")


def _require_keys(rows: Sequence[Row], keys: tuple[str, ...], name: str) -> None:
    """:func:`relief.domain.frames.require_columns` for rows."""
    for key in keys:
        if any(key not in row for row in rows):
            raise ValidationFailed(f"{name} lacks column {key!r}", field=f"{name}.{key}")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _number(value: Any, missing: float = np.nan) -> float:
    return missing if _missing(value) else float(value)


def _flag(value: Any) -> bool:
    return False if _missing(value) else bool(value)


def _code(value: Any, categories: tuple[str, ...], field: str) -> int:
    if isinstance(value, str) and value in categories:
        return categories.index(value)
    raise ValidationFailed(f"{field.split('.')[-1]} must be one of {', '.join(categories)}", field=field)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)


def _ns(value: Any, field: str) -> int:
    """A tz-aware moment as UTC ns, exactly as :func:`relief.domain.frames.times_ns` reads it (None: int64 min)."""
    if _missing(value):
        return _NAT_NS
    if isinstance(value, datetime) and not isinstance(value, pd.Timestamp):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationFailed(f"{field} must carry a time zone", field=field)
        return (value - _EPOCH) // _ONE_US * _US_NS
    return utc_ns(value, field)


def _households_of(rows: Sequence[Row]) -> _Households:
    _require_keys(rows, _HOUSEHOLD_COLUMNS, "households")
    ids = [row["household_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("household_id must be unique", field="households.household_id")
    members = np.array([_number(row["members"]) for row in rows], dtype=float)
    if not (members >= 1).all():
        raise ValidationFailed("members must be at least 1", field="households.members")
    damage = np.array([_code(row["house_damage"], HOUSE_DAMAGE, "households.house_damage") for row in rows],
                      dtype=np.int64)
    shelter = np.array([_code(row["shelter"], SHELTER, "households.shelter") for row in rows], dtype=np.int64)
    vulnerable = np.array([any(_number(row[c], 0.0) > 0 for c in ("injured", "chronic", "pregnant"))
                           for row in rows], dtype=bool)
    severe = damage >= _SEVERE
    evacuated = np.array([_flag(row["evacuated"]) for row in rows], dtype=bool)
    relocated = (shelter == _SITE) | (shelter == _DISPERSED)
    in_scope = relocated | evacuated | severe | np.array([_flag(row["needs_living_aid"]) for row in rows], dtype=bool)
    return _Households(ids, members, vulnerable, severe, evacuated, shelter, in_scope,
                       np.array([_number(row["lon"]) for row in rows], dtype=float),
                       np.array([_number(row["lat"]) for row in rows], dtype=float))


def _sites_of(rows: Sequence[Row], hh: _Households, households: Sequence[Row],
              occupancy: Mapping[Any, float] | None) -> _Sites:
    _require_keys(rows, _SITE_COLUMNS, "sites")
    index = {row["site_id"]: i for i, row in enumerate(rows)}
    if len(index) != len(rows):
        raise ValidationFailed("site_id must be unique", field="sites.site_id")
    at = np.array([index.get(row["site_id"], -1) if shelter == _SITE else -1
                   for row, shelter in zip(households, hh.shelter)], dtype=np.int64)
    if occupancy is None:
        known = at >= 0
        occupants = np.bincount(at[known], weights=hh.members[known], minlength=len(rows))
    else:
        occupants = np.array([_number(occupancy.get(row["site_id"]), 0.0) for row in rows], dtype=float)
    x, y = project_xy(np.array([_number(row["lon"]) for row in rows], dtype=float),
                      np.array([_number(row["lat"]) for row in rows], dtype=float))

    def flags(key: str) -> np.ndarray:
        return np.array([_flag(row[key]) for row in rows], dtype=bool)

    return _Sites(at, occupants, x, y,
                  np.array([_number(row["covered_area_m2"], 0.0) for row in rows], dtype=float),
                  np.array([_number(row["water_l_per_day"], 0.0) for row in rows], dtype=float),
                  flags("provides_meals"), flags("medical_post"),
                  np.array([row["status"] == SiteStatus.OPEN for row in rows], dtype=bool))


def _received_of(rows: Sequence[Row], items: Sequence[Row], hh: _Households, now_ns: int,
                 fig: Figures) -> _Received:
    """:func:`_received` for rows."""
    n = len(hh.ids)
    _require_keys(rows, ("household_id", "item_code", "quantity", "distributed_at"), "distributions")
    contents = ("kcal_per_unit", "litres_per_unit", "sets_per_unit", "pieces_per_unit")
    _require_keys(items, ("item_code", *contents), "items")
    if len(rows) == 0 or len(items) == 0 or n == 0:
        return _Received(np.full(n, -np.inf), np.full(n, -np.inf), np.zeros(n), np.zeros(n))
    t_ns = np.array([_ns(row["distributed_at"], "distributions.distributed_at") for row in rows], dtype=np.int64)
    quantity = np.array([_number(row["quantity"]) for row in rows], dtype=float)
    if not (quantity >= 0).all():
        raise ValidationFailed("quantity must be a non-negative number", field="distributions.quantity")
    catalogue = {row["item_code"]: i for i, row in enumerate(items)}
    if len(catalogue) != len(items):
        raise ValidationFailed("item_code must be unique", field="items.item_code")
    if (t_ns == _NAT_NS).any():
        raise ValidationFailed("every distribution needs its time", field="distributions.distributed_at")
    per_unit = {c: np.append(np.array([_number(row[c], 0.0) for row in items], dtype=float), 0.0) for c in contents}
    useful = sum(per_unit.values()) > 0
    item = np.array([catalogue.get(row["item_code"], -1) for row in rows], dtype=np.int64)
    keep = (t_ns <= now_ns) & useful[item]
    at = {household_id: i for i, household_id in enumerate(hh.ids)}
    who = np.array([at.get(row["household_id"], -1) for row in rows], dtype=np.int64)
    return _supplied(who[keep], t_ns[keep], quantity[keep], item[keep], per_unit, hh.members, now_ns, fig)


def _operating(rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray] | None:
    """The operating facilities' (lon, lat); None when there are no facilities at all."""
    _require_keys(rows, ("facility_id", "lon", "lat", "operating"), "facilities")
    if not rows:
        return None
    working = [row for row in rows if _flag(row["operating"])]
    return (np.array([_number(row["lon"]) for row in working], dtype=float),
            np.array([_number(row["lat"]) for row in working], dtype=float))


def _visits_of(rows: Sequence[Row], hh: _Households, now_ns: int, fig: Figures) -> tuple[np.ndarray, np.ndarray]:
    """(household position, visit ns) of the visits to judged households within the visit window."""
    _require_keys(rows, ("household_id", "visited_at"), "medical_visits")
    window_ns = int(fig.visit_days * _DAY_S * 1e9)
    at = {household_id: i for i, household_id in enumerate(hh.ids)}
    who, when = [], []
    for row in rows:
        t_ns = _ns(row["visited_at"], "medical_visits.visited_at")
        i = at.get(row["household_id"], -1)
        if i >= 0 and now_ns - window_ns <= t_ns <= now_ns:
            who.append(i)
            when.append(t_ns)
    return np.array(who, dtype=np.int64), np.array(when, dtype=np.int64)


def _visit_window_ends(who: np.ndarray, visited_ns: np.ndarray, asked: np.ndarray, fig: Figures) -> np.ndarray:
    """:func:`_last_visit_window_end` from the counted visits; ``asked``: vulnerable and in reach."""
    out = np.full(len(asked), _NEVER_NS, dtype=np.int64)
    window_ns = int(fig.visit_days * _DAY_S * 1e9)
    for i, t_ns in zip(who.tolist(), visited_ns.tolist()):
        if asked[i]:
            out[i] = t_ns + window_ns if out[i] == _NEVER_NS else max(out[i], t_ns + window_ns)
    return out


def site_occupancy(households: pd.DataFrame) -> pd.Series:
    """Persons recorded at each site (``shelter == "site"``), by site_id."""
    require_columns(households, ("members", "shelter", "site_id"), "households")
    if len(households) == 0:
        return pd.Series(dtype=float, name="occupants", index=pd.Index([], name="site_id"))
    there = households["shelter"].eq("site") & households["site_id"].notna()
    persons = households.loc[there].groupby("site_id")["members"].sum()
    return persons.rename("occupants").rename_axis("site_id")


def summarise(result: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Households per group, guarantee and status, zeros included, for dashboards.

    Parameters
    ----------
    result : DataFrame
        The output of :func:`evaluate`.
    by : Series
        Group of each household (e.g. village_code), indexed by household_id.
        Households without a group are left out.

    Returns
    -------
    DataFrame with columns ``<by.name or "group">, guarantee, status, households``.
    """
    name = by.name or "group"
    if not by.index.equals(result.index):
        by = by.reindex(result.index)
    codes, groups = pd.factorize(by, sort=True)
    known = codes >= 0
    frames = []
    for g in GUARANTEES:
        status = pd.Categorical(result[g], categories=STATUSES).codes
        counts = np.bincount(codes[known] * len(STATUSES) + status[known], minlength=len(groups) * len(STATUSES))
        frames.append(pd.DataFrame({
            name: np.repeat(np.asarray(groups, dtype=object), len(STATUSES)),
            "guarantee": g,
            "status": np.tile(STATUSES, len(groups)),
            "households": counts.astype(np.int64),
        }))
    return pd.concat(frames, ignore_index=True)
