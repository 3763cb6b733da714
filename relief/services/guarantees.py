"""The five guarantees as a use case: judge households from the store, keep and push verdicts.

The rules live in :mod:`relief.domain.guarantees`; this module only loads
their inputs (``store.guarantee_inputs``), calls ``evaluate`` and keeps one
``GuaranteeStatus`` row per household so that changes can be detected and
published as ``guarantee.changed`` events (topic ``guarantees``, one event
per county listing the households whose status words changed; ids and area
codes only, never a name).

"Now" is always a parameter (``as_of``), so any verdict can be reproduced.

A recheck of a handful of households (``rules.judged_row_by_row``) loads
plain rows and judges them with ``evaluate_few``; more go through frames and
``evaluate``. Both give the same verdicts; the shapes they are kept, answered
and announced in are :mod:`relief.services.guarantee_json`'s.

Other services call :func:`recheck_households` inside their own transaction
whenever they change a guarantee's input (check-in/out, a distribution, a
medical visit), so the map never shows a stale verdict::

    with ctx.transaction() as unit:
        ...record the distribution...
        recheck_households(unit, [household_id])
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable

import numpy as np
import pandas as pd

from relief.domain import guarantees as rules
from relief.domain.audience import Audience
from relief.domain.standards import Standards
from relief.domain.vocabulary import GUARANTEES, GuaranteeStatus, Topic
from relief.errors import NotFound
from relief.services import guarantee_counts, guarantee_json
from relief.services.context import Context, Unit
from relief.store import guarantee_inputs as inputs
from relief.store import standards as standards_store
from relief.store import verdicts as kept_verdicts

EVENT_KIND = "guarantee.changed"
EVENT_TOPIC = Topic.GUARANTEES


def _food_cash(standards: Standards, fig: rules.Figures) -> inputs.FoodCash | None:
    """Paid living cash counts toward food (§6) at the standards' food cost per person per day; None without it."""
    yuan = (standards.document.get("assistance") or {}).get("food_yuan_per_person_day")
    return inputs.FoodCash(float(yuan), fig.food_kcal) if yuan else None


def _judge(session, standards: Standards, *, as_of: datetime, profile: str,
           household_ids: Iterable[str] | None = None) -> tuple[pd.DataFrame, inputs.GuaranteeInputs]:
    """(verdicts indexed by household_id, the inputs they were judged from) for all or some households."""
    fig = rules.Figures.read(standards, profile)
    loaded = inputs.load_inputs(session, household_ids, as_of=as_of, visit_window_days=fig.visit_days,
                                food_cash=_food_cash(standards, fig))
    result = rules.evaluate(**loaded.frames(), as_of=as_of, standards=standards, profile=profile)
    return result, loaded


def _judge_few(session, standards: Standards, *, as_of: datetime, profile: str,
               household_ids: Iterable[str]) -> tuple[list[rules.Verdict], list[dict[str, Any]]]:
    """(a verdict per known household, their rows with area codes and kept verdicts), in one order."""
    fig = rules.Figures.read(standards, profile)
    loaded = inputs.load_rows(session, household_ids, as_of=as_of, visit_window_days=fig.visit_days,
                              food_cash=_food_cash(standards, fig))
    return rules.evaluate_few(**loaded.rows(), as_of=as_of, standards=standards, profile=profile), loaded.households


def _evaluate(session, standards: Standards, *, as_of: datetime, profile: str,
              household_ids: Iterable[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(verdicts indexed by household_id, the households frame) for all or some households."""
    result, loaded = _judge(session, standards, as_of=as_of, profile=profile, household_ids=household_ids)
    return result, loaded.households


def evaluate_all(ctx: Context, *, as_of: datetime, profile: str = "normal") -> pd.DataFrame:
    """Every household's verdicts as of ``as_of`` (nothing is written).

    The frame is ``evaluate``'s output plus ``village_code`` and ``county_code``.
    """
    rules.utc_ns(as_of)  # refuse a naive moment before loading anything
    with ctx.reading() as session:
        result, households = _evaluate(session, ctx.standards, as_of=as_of, profile=profile)
    return _with_areas(result, households)


def household_guarantees(ctx: Context, household_id: str, *, as_of: datetime, profile: str = "normal") -> dict:
    """One household's verdicts, reasons and shortfalls as of ``as_of``."""
    rules.utc_ns(as_of)
    standards = ctx.standards
    with ctx.reading() as session:
        verdicts, households = _judge_few(session, standards, as_of=as_of, profile=profile,
                                          household_ids=[household_id])
    if not verdicts:
        raise NotFound(f"no household {household_id!r}", field="household_id")
    return guarantee_json.household_answer(verdicts[0], households[0], as_of=as_of, profile=profile,
                                           version=standards.version)


def recompute_all(ctx: Context, *, as_of: datetime | None = None, profile: str = "normal") -> dict[str, int]:
    """Judge every household, keep every verdict, and publish the changes (one event per county)."""
    standards = ctx.standards
    if as_of is not None:
        rules.utc_ns(as_of)
    with ctx.transaction() as unit:
        judged, changed = recheck(unit, None, profile=profile, standards=standards, as_of=as_of)
    return {"households": judged, "changed": changed}


def recheck_households(unit: Unit, household_ids: Iterable[str], *, profile: str = "normal",
                       standards: Standards | None = None) -> int:
    """The hook: re-judge these households as of ``unit.now`` inside the caller's transaction.

    Upserts their ``GuaranteeStatus`` rows and ``unit.emit``s the households
    whose status words changed (nothing else is rechecked). Unknown ids are
    ignored. Returns how many changed. Pass ``standards`` (``ctx.standards``)
    when at hand; otherwise the active version is read through the unit's session.
    """
    ids = sorted({str(h) for h in household_ids if h is not None})
    return recheck(unit, ids, profile=profile, standards=standards)[1] if ids else 0


def recheck(unit: Unit, household_ids: Iterable[str] | None, *, profile: str = "normal",
            standards: Standards | None = None, as_of: datetime | None = None) -> tuple[int, int]:
    """Re-judge some households (``None``: all) as of ``as_of`` (default ``unit.now``); (judged, changed).

    Each kept row also says when its verdict next changes with time alone
    (``next_change_at``), for :mod:`relief.services.aging` to re-judge it then.
    """
    standards = standards or _active_standards(unit.session)
    as_of = as_of or unit.now
    ids = None if household_ids is None else sorted(set(household_ids))
    if ids is not None and not ids:
        return 0, 0
    if ids is not None and rules.judged_row_by_row(len(ids)):
        verdicts, households = _judge_few(unit.session, standards, as_of=as_of, profile=profile, household_ids=ids)
        rows = [guarantee_json.status_row(v, h, as_of, standards.version) for v, h in zip(verdicts, households)]
        changes = [c for c in (guarantee_json.change_of(v, h) for v, h in zip(verdicts, households)) if c]
        return len(verdicts), _keep_and_announce(unit, rows, changes)
    result, loaded = _judge(unit.session, standards, as_of=as_of, profile=profile, household_ids=ids)
    result["next_change_at"] = rules.next_change_at(result, loaded.households, loaded.medical_visits, as_of=as_of,
                                                    standards=standards, profile=profile).array
    return len(result), _store_and_announce(unit, result, loaded.households, as_of, standards.version,
                                            everyone=ids is None)


_STANDARDS_KEY = "guarantees.standards"


def _active_standards(session) -> Standards:
    """The standards in force, parsed once per store (``Store.memo``) and version (a published version never
    changes); for callers that have no ``ctx.standards`` at hand."""
    memo = session.info.get("memo")
    parsed = {} if memo is None else memo.setdefault(_STANDARDS_KEY, {})
    key = standards_store.active_version(session)
    if key not in parsed:
        document = standards_store.active_document(session) if key else None
        parsed[key] = Standards(document) if document else Standards.bundled()
    return parsed[key]


# --- keeping and announcing verdicts -------------------------------------------

def _store_and_announce(unit: Unit, result: pd.DataFrame, households: pd.DataFrame, as_of: datetime,
                        version: str, *, everyone: bool = False) -> int:
    if result.empty:
        return 0
    result = _with_areas(result, households)
    before = _kept(households)
    changes = _changes(result, before)
    if everyone:
        # Most households are outside the relief scope and stay so: their rows differ only in the
        # moment and version, which one UPDATE restamps; only the others are written row by row.
        kept_verdicts.restamp_statuses(unit.session, as_of, version)
        result = result.loc[~_unchanged_out_of_scope(result, before)]
    return _keep_and_announce(unit, guarantee_json.status_rows(result, as_of, version), changes)


def _keep_and_announce(unit: Unit, rows: list[dict[str, Any]], changes: list[dict[str, Any]]) -> int:
    """Upsert the verdict rows and emit the changes (one event per county); how many households changed."""
    kept_verdicts.upsert_statuses(unit.session, rows)
    by_county: dict[str | None, list[dict]] = defaultdict(list)
    for change in changes:
        by_county[change["county_code"]].append(change)
    for county in sorted(by_county, key=lambda c: (c is None, c or "")):
        unit.emit(EVENT_KIND, EVENT_TOPIC, {"changes": by_county[county]}, area_code=county, audience=Audience.STAFF)
        counts = guarantee_counts.village_deltas(by_county[county])
        if counts["villages"]:
            unit.emit(guarantee_counts.KIND, EVENT_TOPIC, counts, area_code=county, audience=Audience.PUBLIC)
    return len(changes)


def _kept(households: pd.DataFrame) -> pd.DataFrame:
    """The verdicts kept before this check (loaded with the households), indexed by household_id."""
    return pd.DataFrame({c: households[f"kept_{c}"].to_numpy(dtype=object) for c in ("village_code", *GUARANTEES)},
                        index=pd.Index(households["household_id"].to_numpy(dtype=object), name="household_id"))


def _unchanged_out_of_scope(result: pd.DataFrame, before: pd.DataFrame) -> np.ndarray:
    """Households outside the scope now and in their kept row, in the same village."""
    previous = before.reindex(result.index)
    same = ~result["in_scope"].to_numpy(dtype=bool)
    for g in GUARANTEES:
        same &= previous[g].to_numpy(dtype=object) == GuaranteeStatus.NOT_APPLICABLE
    old, new = previous["village_code"].to_numpy(dtype=object), result["village_code"].to_numpy(dtype=object)
    return same & ((old == new) | (pd.isna(old) & pd.isna(new)))


def _changes(result: pd.DataFrame, before: pd.DataFrame) -> list[dict[str, Any]]:
    """Households whose status words differ from the kept row (or that had none)."""
    previous = before.reindex(result.index)
    after = {g: result[g].to_numpy(dtype=object) for g in GUARANTEES}
    old = {g: previous[g].to_numpy(dtype=object) for g in GUARANTEES}
    differs = np.zeros(len(result), dtype=bool)
    for g in GUARANTEES:
        differs |= after[g] != old[g]
    villages, counties = result["village_code"].to_numpy(dtype=object), result["county_code"].to_numpy(dtype=object)
    return [guarantee_json.change(result.index[i], villages[i], counties[i], {g: old[g][i] for g in GUARANTEES},
                                  {g: after[g][i] for g in GUARANTEES})
            for i in np.flatnonzero(differs)]


def _with_areas(result: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Add the households' village and county codes (``evaluate`` keeps the households' order)."""
    if "village_code" in result.columns:
        return result
    if not result.index.equals(pd.Index(households["household_id"])):
        households = households.set_index("household_id").reindex(result.index).reset_index()
    result["village_code"] = households["village_code"].to_numpy(dtype=object)  # evaluate's frame is fresh
    result["county_code"] = households["county_code"].to_numpy(dtype=object)
    return result
