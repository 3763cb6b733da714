"""The five guarantees as a use case: judge households from the store, keep and push verdicts.

The rules live in :mod:`relief.domain.guarantees`; this module only loads
their inputs (``store.guarantee_inputs``), calls ``evaluate`` and keeps one
``GuaranteeStatus`` row per household so that changes can be detected and
published as ``guarantee.changed`` events (topic ``guarantees``, one event
per county listing the households whose status words changed; ids and area
codes only, never a name).

"Now" is always a parameter (``as_of``), so any verdict can be reproduced.

Other services call :func:`recheck_households` inside their own transaction
whenever they change a guarantee's input (check-in/out, a distribution, a
medical visit), so the map never shows a stale verdict::

    with ctx.transaction() as unit:
        ...record the distribution...
        recheck_households(unit, [household_id])
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable

import numpy as np
import pandas as pd

from relief.domain import guarantees as rules
from relief.domain.audience import Audience
from relief.domain.standards import Standards
from relief.errors import NotFound
from relief.services import guarantee_counts
from relief.services.context import Context, Unit
from relief.store import guarantee_inputs as inputs
from relief.store import standards as standards_store

GUARANTEES = rules.GUARANTEES
EVENT_KIND = "guarantee.changed"
EVENT_TOPIC = "guarantees"


def _judge(session, standards: Standards, *, as_of: datetime, profile: str,
           household_ids: Iterable[str] | None = None) -> tuple[pd.DataFrame, inputs.GuaranteeInputs]:
    """(verdicts indexed by household_id, the inputs they were judged from) for all or some households."""
    window = rules.Figures.read(standards, profile).visit_days
    loaded = inputs.load_inputs(session, household_ids, as_of=as_of, visit_window_days=window)
    result = rules.evaluate(**loaded.frames(), as_of=as_of, standards=standards, profile=profile)
    return result, loaded


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
        result, households = _evaluate(session, standards, as_of=as_of, profile=profile,
                                       household_ids=[household_id])
    if household_id not in result.index:
        raise NotFound(f"no household {household_id!r}", field="household_id")
    row = _with_areas(result, households).loc[household_id]
    body = verdict_row(row)
    body.update({"household_id": household_id, "village_code": _text(row["village_code"]),
                 "county_code": _text(row["county_code"]), "as_of": as_of.isoformat(), "profile": profile,
                 "standards_version": standards.version, "in_scope": bool(row["in_scope"]),
                 "food_covered_until": _moment(row["food_covered_until"]),
                 "water_covered_until": _moment(row["water_covered_until"]),
                 "housing_m2_per_person": _number(row["housing_m2_per_person"]),
                 "medical_km": _number(row["medical_km"])})
    return body


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
    result, loaded = _judge(unit.session, standards, as_of=as_of, profile=profile, household_ids=ids)
    result["next_change_at"] = rules.next_change_at(result, loaded.households, loaded.medical_visits, as_of=as_of,
                                                    standards=standards, profile=profile).array
    return len(result), _store_and_announce(unit, result, loaded.households, as_of, standards.version,
                                            everyone=ids is None)


_parsed_standards: dict[tuple, Standards] = {}


def _active_standards(session) -> Standards:
    """The standards in force, parsed once per database and version (a published version never changes)."""
    key = (str(session.get_bind().url), inputs.active_standards_version(session))
    if key not in _parsed_standards:
        document = standards_store.active_document(session) if key[1] else None
        _parsed_standards[key] = Standards(document) if document else Standards()
    return _parsed_standards[key]


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
        inputs.restamp_statuses(unit.session, as_of, version)
        result = result.loc[~_unchanged_out_of_scope(result, before)]
    inputs.upsert_statuses(unit.session, status_rows(result, as_of, version))
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
        same &= previous[g].to_numpy(dtype=object) == "not_applicable"
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
    return [{"household_id": result.index[i], "village_code": _text(villages[i]), "county_code": _text(counties[i]),
             "before": {g: _text(old[g][i]) for g in GUARANTEES}, "after": {g: after[g][i] for g in GUARANTEES}}
            for i in np.flatnonzero(differs)]


def status_rows(result: pd.DataFrame, as_of: datetime, version: str) -> list[dict[str, Any]]:
    """``GuaranteeStatus`` rows for verdicts (reasons as ``{g: {code, text}}``, shortfalls ``{g: number}``,
    ``next_change_at`` from the column of that name when there is one)."""
    words = {g: result[g].to_numpy(dtype=object) for g in GUARANTEES}
    codes = {g: result[f"reason_code_{g}"].to_numpy(dtype=object) for g in GUARANTEES}
    texts = {g: result[f"reason_{g}"].to_numpy(dtype=object) for g in GUARANTEES}
    shortfalls = {g: np.round(result[f"shortfall_{g}"].to_numpy(dtype=float), 3) for g in GUARANTEES}
    villages = result["village_code"].to_numpy(dtype=object)
    changes = _moments(result.get("next_change_at"), len(result))
    rows = []
    for i, hid in enumerate(result.index):
        row = {g: words[g][i] for g in GUARANTEES}
        row.update(household_id=hid, village_code=_text(villages[i]), as_of=as_of, standards_version=version,
                   next_change_at=changes[i],
                   reasons={g: {"code": codes[g][i], "text": texts[g][i]} for g in GUARANTEES},
                   shortfalls={g: _number(shortfalls[g][i]) for g in GUARANTEES})
        rows.append(row)
    return rows


def _moments(column: pd.Series | None, n: int) -> list[datetime | None]:
    """Aware datetimes (None for NaT) from a column of UTC moments; all None without the column."""
    if column is None:
        return [None] * n
    return [None if m is pd.NaT else m for m in pd.DatetimeIndex(column).to_pydatetime()]


def verdict_row(row: pd.Series) -> dict[str, Any]:
    """Statuses, readable reasons, reason codes and shortfalls of one ``evaluate`` row."""
    return {
        **{g: str(row[g]) for g in GUARANTEES},
        "reasons": {g: str(row[f"reason_{g}"]) for g in GUARANTEES},
        "reason_codes": {g: str(row[f"reason_code_{g}"]) for g in GUARANTEES},
        "shortfalls": {g: _number(row[f"shortfall_{g}"]) for g in GUARANTEES},
    }


def _with_areas(result: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Add the households' village and county codes (``evaluate`` keeps the households' order)."""
    if "village_code" in result.columns:
        return result
    if not result.index.equals(pd.Index(households["household_id"])):
        households = households.set_index("household_id").reindex(result.index).reset_index()
    result["village_code"] = households["village_code"].to_numpy(dtype=object)  # evaluate's frame is fresh
    result["county_code"] = households["county_code"].to_numpy(dtype=object)
    return result


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 3)


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _moment(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


# --- output shapes shared by the command line and the API --------------------------

FLAT_COLUMNS = ("household_id", *GUARANTEES, *(f"reason_{g}" for g in GUARANTEES),
                *(f"shortfall_{g}" for g in GUARANTEES))


def flat_table(result: pd.DataFrame) -> pd.DataFrame:
    """One row per household: id, the five status words, readable reasons, shortfalls (CSV shape)."""
    out = {"household_id": result.index.to_numpy(dtype=object)}
    for g in GUARANTEES:
        out[g] = result[g].to_numpy(dtype=object)
    for g in GUARANTEES:
        out[f"reason_{g}"] = result[f"reason_{g}"].to_numpy(dtype=object)
    for g in GUARANTEES:
        out[f"shortfall_{g}"] = np.round(result[f"shortfall_{g}"].to_numpy(dtype=float), 3)
    return pd.DataFrame(out, columns=list(FLAT_COLUMNS))


def json_rows(result: pd.DataFrame) -> list[dict[str, Any]]:
    """One object per household: id, the five status words, ``reasons`` and ``shortfalls`` by guarantee."""
    flat = flat_table(result)
    columns = {c: flat[c].to_numpy() for c in flat.columns}
    return [{"household_id": hid,
             **{g: columns[g][i] for g in GUARANTEES},
             "reasons": {g: columns[f"reason_{g}"][i] for g in GUARANTEES},
             "shortfalls": {g: _number(columns[f"shortfall_{g}"][i]) for g in GUARANTEES}}
            for i, hid in enumerate(columns["household_id"])]
