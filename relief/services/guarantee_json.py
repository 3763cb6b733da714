"""The shapes verdicts take outside the rules: kept rows, answers, events, pages and the CSV.

Verdicts come either as :func:`relief.domain.guarantees.evaluate`'s frame
(many households) or as :class:`relief.domain.guarantees.Verdict` records
(a handful, from ``evaluate_few``); each shape below is given for whichever
the callers hold, with the same values either way. Missing figures, NaN and
moments go through :mod:`relief.jsonable`, shortfalls and figures rounded to
3 places.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import numpy as np
import pandas as pd

from relief.domain import spreadsheet
from relief.domain.guarantees import Verdict
from relief.domain.vocabulary import GUARANTEES
from relief.jsonable import moment, number, text

DIGITS = 3


# --- kept rows (``guarantee_status``) --------------------------------------------

def status_rows(result: pd.DataFrame, as_of: datetime, version: str) -> list[dict[str, Any]]:
    """``GuaranteeStatus`` rows for verdicts (reasons as ``{g: {code, text}}``, shortfalls ``{g: number}``,
    ``next_change_at`` from the column of that name when there is one); ``village_code`` from ``result``."""
    words = {g: result[g].to_numpy(dtype=object) for g in GUARANTEES}
    codes = {g: result[f"reason_code_{g}"].to_numpy(dtype=object) for g in GUARANTEES}
    texts = {g: result[f"reason_{g}"].to_numpy(dtype=object) for g in GUARANTEES}
    shortfalls = {g: np.round(result[f"shortfall_{g}"].to_numpy(dtype=float), DIGITS) for g in GUARANTEES}
    villages = result["village_code"].to_numpy(dtype=object)
    changes = _moments(result.get("next_change_at"), len(result))
    rows = []
    for i, hid in enumerate(result.index):
        row = {g: words[g][i] for g in GUARANTEES}
        row.update(household_id=hid, village_code=text(villages[i]), as_of=as_of, standards_version=version,
                   next_change_at=changes[i],
                   reasons={g: {"code": codes[g][i], "text": texts[g][i]} for g in GUARANTEES},
                   shortfalls={g: number(shortfalls[g][i], DIGITS) for g in GUARANTEES})
        rows.append(row)
    return rows


def status_row(verdict: Verdict, household: Mapping[str, Any], as_of: datetime, version: str) -> dict[str, Any]:
    """:func:`status_rows`' row for one record; ``household`` gives the village."""
    return {**verdict.statuses, "household_id": verdict.household_id, "village_code": text(household["village_code"]),
            "as_of": as_of, "standards_version": version,
            "next_change_at": None if verdict.next_change_at is None else verdict.next_change_at.to_pydatetime(),
            "reasons": {g: {"code": verdict.reason_codes[g], "text": verdict.reasons[g]} for g in GUARANTEES},
            "shortfalls": {g: number(np.round(verdict.shortfalls[g], DIGITS), DIGITS) for g in GUARANTEES}}


def _moments(column: pd.Series | None, n: int) -> list[datetime | None]:
    """Aware datetimes (None for NaT) from a column of UTC moments; all None without the column."""
    if column is None:
        return [None] * n
    return [None if m is pd.NaT else m for m in pd.DatetimeIndex(column).to_pydatetime()]


# --- events ----------------------------------------------------------------------

def change(household_id: Any, village_code: Any, county_code: Any, before: Mapping[str, Any],
           after: Mapping[str, str]) -> dict[str, Any]:
    """One household in a ``guarantee.changed`` event: its areas and status words before (None: never
    judged) and after."""
    return {"household_id": household_id, "village_code": text(village_code), "county_code": text(county_code),
            "before": {g: text(before[g]) for g in GUARANTEES}, "after": {g: after[g] for g in GUARANTEES}}


def change_of(verdict: Verdict, household: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`change` for a record against the kept verdict loaded with its household; None when no word changed."""
    before = {g: household[f"kept_{g}"] for g in GUARANTEES}
    if all(before[g] == verdict.statuses[g] for g in GUARANTEES):
        return None
    return change(verdict.household_id, household["village_code"], household["county_code"], before,
                  verdict.statuses)


# --- answers ---------------------------------------------------------------------

def verdict_row(row: pd.Series) -> dict[str, Any]:
    """Statuses, readable reasons, reason codes and shortfalls of one ``evaluate`` row."""
    return {
        **{g: str(row[g]) for g in GUARANTEES},
        "reasons": {g: str(row[f"reason_{g}"]) for g in GUARANTEES},
        "reason_codes": {g: str(row[f"reason_code_{g}"]) for g in GUARANTEES},
        "shortfalls": {g: number(row[f"shortfall_{g}"], DIGITS) for g in GUARANTEES},
    }


def household_answer(verdict: Verdict, household: Mapping[str, Any], *, as_of: datetime, profile: str,
                     version: str) -> dict[str, Any]:
    """One household's verdicts, reasons, shortfalls and the figures behind them, as the API answers."""
    return {
        **verdict.statuses,
        "reasons": dict(verdict.reasons),
        "reason_codes": dict(verdict.reason_codes),
        "shortfalls": {g: number(verdict.shortfalls[g], DIGITS) for g in GUARANTEES},
        "household_id": verdict.household_id, "village_code": text(household["village_code"]),
        "county_code": text(household["county_code"]), "as_of": as_of.isoformat(), "profile": profile,
        "standards_version": version, "in_scope": verdict.in_scope,
        "food_covered_until": moment(verdict.food_covered_until),
        "water_covered_until": moment(verdict.water_covered_until),
        "housing_m2_per_person": number(verdict.housing_m2_per_person, DIGITS),
        "medical_km": number(verdict.medical_km, DIGITS),
    }


def page_rows(frame: pd.DataFrame, offset: int, limit: int) -> list[dict[str, Any]]:
    """API rows: household_id, village_code, the five statuses, reasons, reason_codes, shortfalls.

    The same values as :func:`verdict_row` gives for each row, taken a column
    at a time (a row at a time took 7 s for 20,000 households).
    """
    part = frame.iloc[offset:offset + limit]

    def texts(column: str) -> list[str]:
        return [str(v) for v in part[column].to_numpy(dtype=object)]

    status = {g: texts(g) for g in GUARANTEES}
    reasons = {g: texts(f"reason_{g}") for g in GUARANTEES}
    codes = {g: texts(f"reason_code_{g}") for g in GUARANTEES}
    shortfalls = {g: [number(v, DIGITS) for v in part[f"shortfall_{g}"].to_numpy(dtype=object)] for g in GUARANTEES}
    villages = [text(v) for v in part["village_code"].to_numpy(dtype=object)]
    return [{"household_id": hid, "village_code": villages[i], **{g: status[g][i] for g in GUARANTEES},
             "reasons": {g: reasons[g][i] for g in GUARANTEES},
             "reason_codes": {g: codes[g][i] for g in GUARANTEES},
             "shortfalls": {g: shortfalls[g][i] for g in GUARANTEES}}
            for i, hid in enumerate(part.index.to_numpy(dtype=object))]


# --- the command line's and the API's tables -------------------------------------------

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
        out[f"shortfall_{g}"] = np.round(result[f"shortfall_{g}"].to_numpy(dtype=float), DIGITS)
    return pd.DataFrame(out, columns=list(FLAT_COLUMNS))


def csv_text(result: pd.DataFrame) -> str:
    """:func:`flat_table` as CSV, formula-like cells neutralised."""
    return spreadsheet.to_csv(flat_table(result))


def json_rows(result: pd.DataFrame) -> list[dict[str, Any]]:
    """One object per household: id, the five status words, ``reasons`` and ``shortfalls`` by guarantee."""
    flat = flat_table(result)
    columns = {c: flat[c].to_numpy() for c in flat.columns}
    return [{"household_id": hid,
             **{g: columns[g][i] for g in GUARANTEES},
             "reasons": {g: columns[f"reason_{g}"][i] for g in GUARANTEES},
             "shortfalls": {g: number(columns[f"shortfall_{g}"][i], DIGITS) for g in GUARANTEES}}
            for i, hid in enumerate(columns["household_id"])]
