"""One aid chain per household: every aid it received from any source, duplicate aid, missed aid, flag review.

An aid record (:data:`AID_COLUMNS`) says who gave (``source``: a programme or an agency, of a
``source_kind``), for what (``purpose``, a :class:`~relief.domain.vocabulary.PurposeClass`), over which
period (``[period_start, period_end)``, tz-aware, the end after the start: the caller gives each aid
the period it covers), how much (``amount`` in yuan, ``quantity`` of ``item``) and when (``given_at``).

Duplicate aid (:data:`DUPLICATE_REASONS`), as the Stafford Act puts it, need minus aid already received:

``overlapping_sources``
    the same household and purpose, from two or more sources, over periods that share more than the
    purpose's ``overlap_grace_hours`` (a handover, the next delivery before the last runs out, is not a
    duplicate); named on the later aid (later start; ties by end, then id) with the earlier ones.
``over_entitlement``
    aid for one purpose, from any sources, adding up to more than the household's need for it
    (an entitlement row, optionally over a period) plus ``entitlement_tolerance_yuan``.

Missed aid (:data:`MISSED_REASONS`): a household due aid of a purpose from ``since`` (eligible for a
programme, or failing a guarantee) has a deadline ``since + missed_window_hours[purpose]``; aid of that
purpose given by the deadline (at it exactly included) whose period reaches past ``since`` answers it.
Otherwise it is ``no_aid`` (overdue once ``as_of`` is past the deadline), or ``aid_late`` when aid came
after the deadline (naming it: the entry closes with that aid given).

Each finding is a reason code with its parameters; the web layer words them. Flags are reviewed along
:data:`STEPS` (kind × status → status; some steps need a reason)::

    duplicate: open → confirmed | not_duplicate | justified_top_up (reason)
    missed:    open → confirmed | aid_given | dismissed (reason);  confirmed → aid_given | dismissed (reason)

The sweep over a prefecture's chain is vectorised (numpy over frames): a million aid records take about
a second.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from relief.domain.frames import require_columns, times_ns, utc_ns
from relief.domain.vocabulary import (
    AID_FLAG_KINDS,
    AID_FLAG_STATUSES,
    PURPOSE_CLASSES,
    AidFlagKind,
    AidFlagStatus,
    ItemGuarantee,
    PurposeClass,
)
from relief.errors import TransitionRefused, ValidationFailed

#: What every aid record carries (``item`` may be added; ``amount`` / ``quantity`` may be empty).
AID_COLUMNS = ("aid_id", "household_id", "source", "source_kind", "purpose", "period_start", "period_end",
               "amount", "quantity", "given_at")
#: What an entitlement row carries; ``period_start`` / ``period_end`` may be empty (all time).
ENTITLEMENT_COLUMNS = ("household_id", "purpose", "need")
#: What a row of households due aid carries: ``basis`` says why (a programme code, a guarantee).
DUE_COLUMNS = ("household_id", "purpose", "since", "basis")

DUPLICATE_REASONS = ("overlapping_sources", "over_entitlement")
MISSED_REASONS = ("no_aid", "aid_late")
OVERLAPPING, OVER_ENTITLEMENT = DUPLICATE_REASONS
NO_AID, AID_LATE = MISSED_REASONS

#: Columns of :func:`sweep_duplicates`' answer, one row per flag.
DUPLICATE_FLAG_COLUMNS = ("flag", "reason", "household_id", "purpose", "aid_id", "earlier_aid_ids", "sources",
                          "period_start", "period_end", "amount", "entitlement", "received", "excess", "since")
#: Columns of :func:`sweep_missed`' answer, one row per flag.
MISSED_FLAG_COLUMNS = ("flag", "reason", "household_id", "purpose", "basis", "since", "deadline", "overdue",
                       "aid_id", "given_at")

_NAT = np.iinfo(np.int64).min
_HOUR_NS = 3_600 * 10**9


# --- figures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The ``aid_chain`` section of the standards: windows and grace per purpose, in nanoseconds."""

    missed_window_ns: Mapping[str, int]
    overlap_grace_ns: Mapping[str, int]
    entitlement_tolerance_yuan: float

    @classmethod
    def of(cls, standards) -> "Figures":
        return cls.from_section(standards.aid_chain)

    @classmethod
    def from_section(cls, section: Any) -> "Figures":
        where = "aid_chain"
        if not isinstance(section, Mapping):
            raise ValidationFailed("aid_chain must be a JSON object", field=where)
        hours = {}
        for key, positive in (("missed_window_hours", True), ("overlap_grace_hours", False)):
            table = section.get(key)
            if not isinstance(table, Mapping) or set(table) != set(PURPOSE_CLASSES):
                raise ValidationFailed(f"{key} must give hours for each of {', '.join(PURPOSE_CLASSES)}",
                                       field=f"{where}.{key}")
            for purpose, value in table.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (
                        value <= 0 if positive else value < 0):
                    raise ValidationFailed(f"{key} must be {'positive' if positive else 'non-negative'} hours",
                                           field=f"{where}.{key}.{purpose}")
            hours[key] = {p: int(round(float(v) * _HOUR_NS)) for p, v in table.items()}
        tolerance = section.get("entitlement_tolerance_yuan", 0)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
            raise ValidationFailed("entitlement_tolerance_yuan must be a non-negative number",
                                   field=f"{where}.entitlement_tolerance_yuan")
        return cls(hours["missed_window_hours"], hours["overlap_grace_hours"], float(tolerance))


# --- the chain -------------------------------------------------------------------------

def _purpose_codes(values: pd.Series, field: str) -> np.ndarray:
    known = values.isin(PURPOSE_CLASSES).to_numpy()
    if not known.all():
        bad = values[~known].iloc[0]
        raise ValidationFailed(f"unknown purpose {bad!r}; one of {', '.join(PURPOSE_CLASSES)}", field=field)
    return pd.Categorical(values, categories=PURPOSE_CLASSES).codes.astype(np.int64)


def _periods(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    start = times_ns(frame["period_start"], f"{name}.period_start")
    end = times_ns(frame["period_end"], f"{name}.period_end")
    bad = (start == _NAT) | (end == _NAT) | (end <= start)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        who = frame["aid_id"].iloc[i] if "aid_id" in frame.columns else i
        raise ValidationFailed(f"aid {who}: a period needs a start and an end after it", field=f"{name}.period_end",
                               detail={"aid_id": who})
    return start, end


def chain(aid: pd.DataFrame) -> pd.DataFrame:
    """The aid records checked and in time order, household by household (by period start, then given)."""
    require_columns(aid, AID_COLUMNS, "aid")
    if not len(aid):
        return pd.DataFrame(columns=list(AID_COLUMNS))
    _purpose_codes(aid["purpose"], "aid.purpose")
    _periods(aid, "aid")
    amount = pd.to_numeric(aid["amount"], errors="coerce").to_numpy(dtype=float)
    if (amount < 0).any():
        raise ValidationFailed("an amount is never negative", field="aid.amount")
    return aid.sort_values(["household_id", "period_start", "given_at", "aid_id"], kind="stable").reset_index(drop=True)


# --- the period an in-kind distribution covers -------------------------------------------------

#: The purpose an item serves, by its guarantee: bedding is the clothing guarantee's (衣被), other
#: stock (tents, tarpaulins) shelters.
ITEM_PURPOSE: Mapping[str, str] = {
    ItemGuarantee.FOOD: PurposeClass.FOOD, ItemGuarantee.WATER: PurposeClass.WATER,
    ItemGuarantee.CLOTHING: PurposeClass.CLOTHING, ItemGuarantee.BEDDING: PurposeClass.CLOTHING,
    ItemGuarantee.MEDICAL: PurposeClass.MEDICAL, ItemGuarantee.OTHER: PurposeClass.HOUSING,
}
#: What :func:`distribution_periods` reads of each distribution.
DISTRIBUTION_PERIOD_COLUMNS = ("distributed_at", "purpose", "quantity", "members", "kcal_per_unit",
                               "litres_per_unit")
_DAY_NS = 24 * _HOUR_NS


@dataclass(frozen=True)
class PeriodFigures:
    """How long in-kind aid covers a household: food and water from the guarantees' daily figures, the
    other purposes (and food or water whose item says nothing) ``in_kind_days`` of the ``aid_chain``
    section. A reconstruction tranche covers ``in_kind_days.reconstruction`` from its payment."""

    kcal_per_person_day: float
    litres_per_person_day: float
    in_kind_days: Mapping[str, float]

    @classmethod
    def of(cls, standards, profile: str = "normal") -> "PeriodFigures":
        return cls.from_section(standards.aid_chain, standards.figure("food_kcal_per_person_day", profile),
                                standards.figure("water_l_per_person_day", profile))

    @classmethod
    def from_section(cls, section: Any, kcal_per_person_day: float, litres_per_person_day: float) -> "PeriodFigures":
        field = "aid_chain.in_kind_days"
        table = section.get("in_kind_days") if isinstance(section, Mapping) else None
        if not isinstance(table, Mapping) or set(table) != set(PURPOSE_CLASSES):
            raise ValidationFailed(f"in_kind_days must give days for each of {', '.join(PURPOSE_CLASSES)}",
                                   field=field)
        for purpose, value in table.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValidationFailed("in_kind_days must be positive days", field=f"{field}.{purpose}")
        for value, name in ((kcal_per_person_day, "food_kcal_per_person_day"),
                            (litres_per_person_day, "water_l_per_person_day")):
            if not 0 < float(value) < math.inf:
                raise ValidationFailed(f"{name} must be positive", field=f"guarantees.{name}")
        return cls(float(kcal_per_person_day), float(litres_per_person_day),
                   {p: float(v) for p, v in table.items()})


def distribution_periods(distributions: pd.DataFrame, figures: PeriodFigures) -> pd.DataFrame:
    """The period each in-kind distribution covers its household: ``period_start`` (when given) and
    ``period_end``, UTC, in the order given.

    Food lasts ``quantity × kcal_per_unit ÷ (members × daily kcal)`` days, water ``quantity ×
    litres_per_unit ÷ (members × daily litres)``; other purposes, and food or water that would cover
    nothing (no kcal or litres on the item, no members), ``in_kind_days`` of their purpose. ``purpose``
    is the item's purpose (:data:`ITEM_PURPOSE`).
    """
    require_columns(distributions, DISTRIBUTION_PERIOD_COLUMNS, "distributions")
    start = times_ns(distributions["distributed_at"], "distributions.distributed_at")
    if (start == _NAT).any():
        raise ValidationFailed("a distribution needs the moment it was given", field="distributions.distributed_at")
    purpose = _purpose_codes(distributions["purpose"], "distributions.purpose")
    number = {c: pd.to_numeric(distributions[c], errors="coerce").to_numpy(dtype=float)
              for c in ("quantity", "members", "kcal_per_unit", "litres_per_unit")}
    end = start + covered_ns(purpose, number["quantity"], number["members"], number["kcal_per_unit"],
                             number["litres_per_unit"], figures)
    return pd.DataFrame({"period_start": _utc(start), "period_end": _utc(end)}, index=distributions.index)


def covered_ns(purpose: np.ndarray, quantity: np.ndarray, members: np.ndarray, kcal_per_unit: np.ndarray,
               litres_per_unit: np.ndarray, figures: PeriodFigures) -> np.ndarray:
    """How long each distribution covers its household, in nanoseconds (at least 1), by the rule of
    :func:`distribution_periods`, from plain arrays: ``purpose`` as codes of :data:`PURPOSE_CLASSES`, the
    numbers as floats (NaN: missing)."""
    people = np.where(members > 0, members, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        food = quantity * kcal_per_unit / (people * figures.kcal_per_person_day)
        water = quantity * litres_per_unit / (people * figures.litres_per_person_day)
    days = np.array([figures.in_kind_days[p] for p in PURPOSE_CLASSES], dtype=float)[purpose]
    food_code, water_code = PURPOSE_CLASSES.index(PurposeClass.FOOD), PURPOSE_CLASSES.index(PurposeClass.WATER)
    for code, lasting in ((food_code, food), (water_code, water)):
        counted = (purpose == code) & np.isfinite(lasting) & (lasting > 0)
        days = np.where(counted, lasting, days)
    return np.maximum(np.rint(days * _DAY_NS), 1).astype(np.int64)


# --- duplicate aid: the sweep ----------------------------------------------------------------

def _group_codes(household: pd.Series, purpose: np.ndarray) -> np.ndarray:
    codes, _ = pd.factorize(household, sort=False)
    return codes.astype(np.int64) * len(PURPOSE_CLASSES) + purpose


def overlapping_pairs(aid: pd.DataFrame, figures: Figures) -> pd.DataFrame:
    """Every (earlier, later) pair of aids of one household and purpose from different sources whose
    periods share more than the purpose's grace: positions in ``aid`` and the overlap.

    Sorted by household and purpose and start, each aid is compared only with the aids before it whose
    periods could still reach it (start before the running latest end), walking back one step at a time:
    a chain without overlaps costs one pass.
    """
    purpose = _purpose_codes(aid["purpose"], "aid.purpose")
    start, end = _periods(aid, "aid")
    group = _group_codes(aid["household_id"], purpose)
    source, _ = pd.factorize(aid["source"])
    grace = np.array([figures.overlap_grace_ns[p] for p in PURPOSE_CLASSES], dtype=np.int64)[purpose]
    order = np.lexsort((np.arange(len(aid)), end, start, group))
    g, s, e, src, gr = group[order], start[order], end[order], source[order], grace[order]
    n = len(order)
    new_group = np.r_[True, g[1:] != g[:-1]] if n else np.zeros(0, dtype=bool)
    # The latest end among the aids before each one in its group (int64 min for the first of a group).
    group_id = np.cumsum(new_group) - 1
    running = pd.Series(e).groupby(group_id).cummax().to_numpy()
    before = np.r_[_NAT, running[:-1]] if n else running
    before[new_group] = _NAT
    active = np.flatnonzero(s + gr < before)  # only these can overlap an earlier aid by more than the grace
    found_i, found_j = [], []
    d = 1
    while len(active):
        j = active - d
        same = (j >= 0) & (g[np.maximum(j, 0)] == g[active])
        active, j = active[same], j[same]
        overlap = np.minimum(e[active], e[j]) - s[active]
        hit = (overlap > gr[active]) & (src[active] != src[j])
        found_i.append(active[hit])
        found_j.append(j[hit])
        d += 1
    later = np.concatenate(found_i) if found_i else np.empty(0, dtype=np.int64)
    earlier = np.concatenate(found_j) if found_j else np.empty(0, dtype=np.int64)
    return pd.DataFrame({"earlier": order[earlier], "later": order[later],
                         "overlap_start": s[later], "overlap_end": np.minimum(e[later], e[earlier])})


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC")


def _overlap_flags(aid: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    if not len(pairs):
        return pd.DataFrame(columns=list(DUPLICATE_FLAG_COLUMNS))
    ids = aid["aid_id"].to_numpy()
    sources = aid["source"].to_numpy(dtype=object)
    pairs = pairs.sort_values(["later", "earlier"], kind="stable")
    grouped = pairs.groupby("later", sort=True)
    later = grouped["earlier"].size().index.to_numpy()
    earlier_lists = grouped["earlier"].agg(list)
    out = pd.DataFrame({
        "flag": AidFlagKind.DUPLICATE.value,
        "reason": OVERLAPPING,
        "household_id": aid["household_id"].to_numpy()[later],
        "purpose": aid["purpose"].to_numpy(dtype=object)[later],
        "aid_id": ids[later],
        "earlier_aid_ids": [tuple(ids[j] for j in js) for js in earlier_lists],
        "sources": [tuple(dict.fromkeys([*(sources[j] for j in js), sources[i]]))
                    for i, js in zip(later, earlier_lists)],
        "period_start": _utc(grouped["overlap_start"].min().to_numpy()),
        "period_end": _utc(grouped["overlap_end"].max().to_numpy()),
        "amount": pd.to_numeric(aid["amount"], errors="coerce").to_numpy(dtype=float)[later],
        "entitlement": np.nan, "received": np.nan, "excess": np.nan,
        "since": _utc(times_ns(aid["given_at"], "aid.given_at")[later]),
    })
    return out


def _optional_times(frame: pd.DataFrame, column: str, name: str) -> np.ndarray:
    """A column of moments that may be missing or empty (int64 min where empty)."""
    if column not in frame.columns or frame[column].isna().all():
        return np.full(len(frame), _NAT, dtype=np.int64)
    return times_ns(frame[column], f"{name}.{column}")


def _entitlement_flags(aid: pd.DataFrame, entitlements: pd.DataFrame, figures: Figures) -> pd.DataFrame:
    require_columns(entitlements, ENTITLEMENT_COLUMNS, "entitlements")
    if not len(entitlements) or not len(aid):
        return pd.DataFrame(columns=list(DUPLICATE_FLAG_COLUMNS))
    ent = entitlements.reset_index(drop=True)
    _purpose_codes(ent["purpose"], "entitlements.purpose")
    need = pd.to_numeric(ent["need"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(need).any() or (need < 0).any():
        raise ValidationFailed("a need is a non-negative number of yuan", field="entitlements.need")
    n = len(ent)
    lo = _optional_times(ent, "period_start", "entitlements")  # no start: from the beginning
    hi = _optional_times(ent, "period_end", "entitlements")
    hi = np.where(hi == _NAT, np.iinfo(np.int64).max, hi)  # no end: for good
    start, end = _periods(aid, "aid")
    given = times_ns(aid["given_at"], "aid.given_at")
    left = pd.DataFrame({"row": np.arange(n), "household_id": ent["household_id"].to_numpy(),
                         "purpose": ent["purpose"].to_numpy(dtype=object)})
    right = pd.DataFrame({"pos": np.arange(len(aid)), "household_id": aid["household_id"].to_numpy(),
                          "purpose": aid["purpose"].to_numpy(dtype=object)})
    joined = left.merge(right, on=["household_id", "purpose"])
    r, p = joined["row"].to_numpy(), joined["pos"].to_numpy()
    inside = (start[p] < hi[r]) & (end[p] > lo[r])
    r, p = r[inside], p[inside]
    amount = np.nan_to_num(pd.to_numeric(aid["amount"], errors="coerce").to_numpy(dtype=float))
    # In the order given: the aid that took the sum past the need is when the duplicate arose.
    order = np.lexsort((p, given[p], r))
    r, p = r[order], p[order]
    running = pd.Series(amount[p]).groupby(r).cumsum().to_numpy()
    received = np.bincount(r, weights=amount[p], minlength=n)
    over = received > need + figures.entitlement_tolerance_yuan
    if not over.any():
        return pd.DataFrame(columns=list(DUPLICATE_FLAG_COLUMNS))
    crossing = over[r] & (running > need[r] + figures.entitlement_tolerance_yuan)
    first = pd.Series(p[crossing]).groupby(r[crossing]).first()
    rows = np.flatnonzero(over)
    keep = np.isin(r, rows)
    members = pd.Series(p[keep]).groupby(r[keep]).agg(list)
    ids = aid["aid_id"].to_numpy()
    sources = aid["source"].to_numpy(dtype=object)
    crossed = first.reindex(rows).to_numpy()
    return pd.DataFrame({
        "flag": AidFlagKind.DUPLICATE.value,
        "reason": OVER_ENTITLEMENT,
        "household_id": ent["household_id"].to_numpy()[rows],
        "purpose": ent["purpose"].to_numpy(dtype=object)[rows],
        "aid_id": ids[crossed],
        "earlier_aid_ids": [tuple(ids[j] for j in js if j != c) for js, c in zip(members.reindex(rows), crossed)],
        "sources": [tuple(dict.fromkeys(sources[j] for j in js)) for js in members.reindex(rows)],
        "period_start": _utc(start[[min(js, key=lambda j: start[j]) for js in members.reindex(rows)]]),
        "period_end": _utc(end[[max(js, key=lambda j: end[j]) for js in members.reindex(rows)]]),
        "amount": received[rows],
        "entitlement": need[rows],
        "received": received[rows],
        "excess": np.round(received[rows] - need[rows], 2),
        "since": _utc(given[crossed]),
    })


def sweep_duplicates(aid: pd.DataFrame, figures: Figures, entitlements: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every duplicate-aid flag in ``aid`` (:data:`DUPLICATE_FLAG_COLUMNS`).

    ``overlapping_sources``: one row per later aid, naming the earlier aids it overlaps (``period_start``
    / ``period_end``: the overlap). ``over_entitlement``: one row per entitlement exceeded, ``aid_id``
    the aid that took the sum past the need, ``earlier_aid_ids`` the others counted.
    """
    require_columns(aid, AID_COLUMNS, "aid")
    aid = aid.reset_index(drop=True)
    frames = [_overlap_flags(aid, overlapping_pairs(aid, figures)) if len(aid) else None]
    if entitlements is not None:
        frames.append(_entitlement_flags(aid, entitlements, figures))
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=list(DUPLICATE_FLAG_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(DUPLICATE_FLAG_COLUMNS)]


# --- duplicate aid: one proposed aid -----------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """A reason code and its parameters (aid ids, sources, moments, yuan)."""

    reason: str
    params: Mapping[str, Any]


def check_proposed(proposed: Mapping[str, Any], household_chain: pd.DataFrame, figures: Figures, *,
                   need: float | None = None, need_period: tuple[Any, Any] | None = None) -> list[Finding]:
    """Whether giving ``proposed`` would duplicate aid already in the household's chain; [] when not.

    ``proposed``: ``purpose``, ``source``, ``period_start``, ``period_end``, ``amount`` and ``household_id``
    (optional; when given, other households' rows in ``household_chain`` are ignored).
    ``need``: the household's need for the purpose in yuan (over ``need_period``, else all time), for
    ``over_entitlement``. The rules are the sweep's: the same purpose, another source, periods sharing
    more than the grace; aid counted against the need plus this one above the need and tolerance.
    """
    purpose = proposed.get("purpose")
    if purpose not in PURPOSE_CLASSES:
        raise ValidationFailed(f"purpose must be one of {', '.join(PURPOSE_CLASSES)}", field="purpose")
    start, end = utc_ns(proposed.get("period_start"), "period_start"), utc_ns(proposed.get("period_end"),
                                                                               "period_end")
    if end <= start:
        raise ValidationFailed("a period needs an end after its start", field="period_end")
    require_columns(household_chain, AID_COLUMNS, "chain")
    same = household_chain
    if len(same) and proposed.get("household_id") is not None:
        same = same[same["household_id"] == proposed["household_id"]]
    same = same[same["purpose"] == purpose] if len(same) else same
    findings: list[Finding] = []
    if len(same):
        s, e = _periods(same, "chain")
        shared = np.minimum(e, end) - np.maximum(s, start)
        other = same["source"].to_numpy(dtype=object) != proposed.get("source")
        hit = other & (shared > figures.overlap_grace_ns[purpose])
        if hit.any():
            rows = same[hit]
            findings.append(Finding(OVERLAPPING, {
                "purpose": purpose,
                "earlier_aid_ids": tuple(rows["aid_id"].tolist()),
                "sources": tuple(dict.fromkeys([*rows["source"].tolist(), proposed.get("source")])),
                "overlap_start": _utc([int(np.maximum(s[hit], start).min())])[0],
                "overlap_end": _utc([int(np.minimum(e[hit], end).max())])[0],
            }))
    if need is not None:
        lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
        if need_period is not None:
            lo = utc_ns(need_period[0], "need_period") if need_period[0] is not None else lo
            hi = utc_ns(need_period[1], "need_period") if need_period[1] is not None else hi
        counted = same.iloc[0:0]
        if len(same):
            s, e = _periods(same, "chain")
            counted = same[(s < hi) & (e > lo)]
        received = float(np.nansum(pd.to_numeric(counted["amount"], errors="coerce").to_numpy(dtype=float)))
        amount = float(proposed.get("amount") or 0.0)
        if start < hi and end > lo and received + amount > need + figures.entitlement_tolerance_yuan:
            findings.append(Finding(OVER_ENTITLEMENT, {
                "purpose": purpose,
                "earlier_aid_ids": tuple(counted["aid_id"].tolist()),
                "sources": tuple(dict.fromkeys(counted["source"].tolist())),
                "entitlement": float(need),
                "received": received,
                "amount": amount,
                "left": round(max(float(need) - received, 0.0), 2),
                "excess": round(received + amount - float(need), 2),
            }))
    return findings


# --- missed aid -----------------------------------------------------------------------

def sweep_missed(due: pd.DataFrame, aid: pd.DataFrame, figures: Figures, as_of: Any) -> pd.DataFrame:
    """Every household due aid that it did not get in the window (:data:`MISSED_FLAG_COLUMNS`).

    ``due``: :data:`DUE_COLUMNS`, one row per household and purpose from the moment it was due; rows
    due after ``as_of`` are not judged yet. ``no_aid``: nothing yet, ``overdue`` once ``as_of`` is past
    the deadline. ``aid_late``: aid came after the deadline (``aid_id``, ``given_at``), by ``as_of``.
    Answered in time (aid given by the deadline whose period reaches past ``since``): no row.
    """
    now = utc_ns(as_of)
    require_columns(due, DUE_COLUMNS, "due")
    if not len(due):
        return pd.DataFrame(columns=list(MISSED_FLAG_COLUMNS))
    due = due.reset_index(drop=True)
    purpose = _purpose_codes(due["purpose"], "due.purpose")
    since = times_ns(due["since"], "due.since")
    if (since == _NAT).any():
        raise ValidationFailed("each due row needs the moment it was due", field="due.since")
    window = np.array([figures.missed_window_ns[p] for p in PURPOSE_CLASSES], dtype=np.int64)[purpose]
    deadline = since + window
    judged = since <= now
    answered_in_time = np.zeros(len(due), dtype=bool)
    late_at = np.full(len(due), np.iinfo(np.int64).max)
    late_pos = np.full(len(due), -1)
    require_columns(aid, AID_COLUMNS, "aid")
    if len(aid):
        aid = aid.reset_index(drop=True)
        start, end = _periods(aid, "aid")
        given = times_ns(aid["given_at"], "aid.given_at")
        left = pd.DataFrame({"row": np.arange(len(due)), "household_id": due["household_id"].to_numpy(),
                             "purpose": due["purpose"].to_numpy(dtype=object)})
        right = pd.DataFrame({"pos": np.arange(len(aid)), "household_id": aid["household_id"].to_numpy(),
                              "purpose": aid["purpose"].to_numpy(dtype=object)})
        joined = left.merge(right, on=["household_id", "purpose"])
        r, p = joined["row"].to_numpy(), joined["pos"].to_numpy()
        counts = (end[p] > since[r]) & (given[p] <= now)  # reaches past the moment due, and known by now
        r, p = r[counts], p[counts]
        in_time = given[p] <= deadline[r]
        answered_in_time[r[in_time]] = True
        late = ~in_time
        if late.any():
            lr, lp = r[late], p[late]
            order = np.lexsort((lp, given[lp], lr))
            lr, lp = lr[order], lp[order]
            firsts = np.r_[True, lr[1:] != lr[:-1]]
            late_at[lr[firsts]] = given[lp[firsts]]
            late_pos[lr[firsts]] = lp[firsts]
    rows = np.flatnonzero(judged & ~answered_in_time)
    is_late = late_pos[rows] >= 0
    ids = aid["aid_id"].to_numpy(dtype=object) if len(aid) else np.empty(0, dtype=object)
    return pd.DataFrame({
        "flag": AidFlagKind.MISSED.value,
        "reason": np.where(is_late, AID_LATE, NO_AID).astype(object),
        "household_id": due["household_id"].to_numpy()[rows],
        "purpose": due["purpose"].to_numpy(dtype=object)[rows],
        "basis": due["basis"].to_numpy(dtype=object)[rows],
        "since": _utc(since[rows]),
        "deadline": _utc(deadline[rows]),
        "overdue": now > deadline[rows],
        "aid_id": np.array([ids[i] if i >= 0 else None for i in late_pos[rows]], dtype=object),
        "given_at": _utc(np.where(is_late, late_at[rows], _NAT)),
    })[list(MISSED_FLAG_COLUMNS)]


# --- review ------------------------------------------------------------------------------

K, F = AidFlagKind, AidFlagStatus


@dataclass(frozen=True)
class Step:
    """One row of the table: a ``kind`` flag in ``source`` may be put in ``target``."""

    kind: str
    source: str
    target: str
    needs_reason: bool = False


STEPS: tuple[Step, ...] = (
    Step(K.DUPLICATE, F.OPEN, F.CONFIRMED),
    Step(K.DUPLICATE, F.OPEN, F.NOT_DUPLICATE),
    Step(K.DUPLICATE, F.OPEN, F.JUSTIFIED_TOP_UP, needs_reason=True),
    Step(K.MISSED, F.OPEN, F.CONFIRMED),
    Step(K.MISSED, F.OPEN, F.AID_GIVEN),
    Step(K.MISSED, F.OPEN, F.DISMISSED, needs_reason=True),
    Step(K.MISSED, F.CONFIRMED, F.AID_GIVEN),
    Step(K.MISSED, F.CONFIRMED, F.DISMISSED, needs_reason=True),
)
_BY_KEY: dict[tuple[str, str, str], Step] = {(s.kind, s.source, s.target): s for s in STEPS}
INITIAL_STATUS = F.OPEN


def allowed_targets(kind: str, status: str) -> list[str]:
    """The statuses a ``kind`` flag in ``status`` may go to, table order ([]: resolved)."""
    return [s.target for s in STEPS if s.kind == kind and s.source == status]


def is_resolved(kind: str, status: str) -> bool:
    return not allowed_targets(kind, status)


@dataclass(frozen=True)
class Decision:
    kind: str
    source: str
    target: str
    reason: str | None


def transition(kind: Any, status: Any, target: Any, *, reason: str | None = None) -> Decision:
    """Whether a ``kind`` flag in ``status`` may go to ``target``.

    Raises :class:`ValidationFailed` (an unknown kind, status or target; a missing reason, field
    ``reason``) and :class:`TransitionRefused` (the step is not in :data:`STEPS`, field ``status``, with
    the allowed statuses in its detail).
    """
    if kind not in AID_FLAG_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(AID_FLAG_KINDS)}", field="kind")
    for value, field in ((status, "current status"), (target, "status")):
        if value not in AID_FLAG_STATUSES:
            raise ValidationFailed(f"{field} must be one of {', '.join(AID_FLAG_STATUSES)}", field="status")
    step = _BY_KEY.get((kind, status, target))
    if step is None:
        options = allowed_targets(kind, status)
        raise TransitionRefused(f"a {kind} flag that is {status} cannot go to {target}; "
                                f"next: {', '.join(options) or 'none'}", field="status",
                                detail={"kind": kind, "status": status, "requested": target,
                                        "allowed_statuses": options})
    text = reason.strip() if isinstance(reason, str) else None
    if step.needs_reason and not text:
        raise ValidationFailed(f"{target} needs a reason", field="reason")
    return Decision(kind, status, target, text or None)
