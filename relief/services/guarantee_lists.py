"""Reading verdicts for people: filtered household lists and counts per area.

Two sources give the same frame shape (``evaluate``'s status, reason,
reason-code and shortfall columns plus ``village_code``/``county_code``):

- ``stored`` — the verdicts the services keep up to date (what the map shows);
- ``computed`` — judged afresh as of a given moment and profile (read only).

Filters and counts are applied to that frame, so both sources behave alike.

For a prefecture these frames hold tens of thousands of rows, so the pandas
work that shapes them (rows of a page, the CSV, counts per area) runs through
``ctx.offload`` — beside the serving loop under ``relief serve`` — while the
reads stay on it; a page holds at most ``MAX_GUARANTEE_ROWS`` rows (config).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from relief.domain import guarantees as rules
from relief.domain.vocabulary import GUARANTEE_STATUSES as STATUSES
from relief.domain.vocabulary import GUARANTEES, AreaLevel
from relief.errors import ValidationFailed
from relief.services import guarantee_json, guarantees
from relief.services.context import Context
from relief.store import areas
from relief.store import verdicts as kept_verdicts

LEVELS = (AreaLevel.VILLAGE.value, AreaLevel.TOWNSHIP.value, AreaLevel.COUNTY.value)


@dataclass
class Verdicts:
    frame: pd.DataFrame  # indexed by household_id
    source: str  # stored | computed
    as_of: str | None
    profile: str | None
    parents: dict[str, str]


def verdicts(ctx: Context, *, as_of: datetime | None = None, profile: str | None = None) -> Verdicts:
    """Kept verdicts, or (given ``as_of`` or ``profile``) verdicts judged afresh."""
    if as_of is not None or profile is not None:
        moment = as_of or ctx.now()
        frame = guarantees.evaluate_all(ctx, as_of=moment, profile=profile or "normal")
        with ctx.reading() as session:
            parents = areas.parents(session)
        return Verdicts(frame, "computed", moment.isoformat(), profile or "normal", parents)
    with ctx.reading() as session:
        stored = kept_verdicts.stored_verdicts(session)
        parents = areas.parents(session)
    latest = stored["as_of"].max() if len(stored) else None
    return Verdicts(ctx.offload(_from_stored, stored), "stored", None if latest is None else latest.isoformat(), None,
                    parents)


def _from_stored(stored: pd.DataFrame) -> pd.DataFrame:
    out: dict[str, Any] = {"village_code": stored["village_code"].to_numpy(dtype=object),
                           "county_code": stored["county_code"].to_numpy(dtype=object)}
    reasons = [json.loads(text) if text else None for text in stored["reasons_json"].to_list()]
    shortfalls = [json.loads(text) if text else None for text in stored["shortfalls_json"].to_list()]
    for g in GUARANTEES:
        out[g] = stored[g].to_numpy(dtype=object)
        out[f"reason_{g}"] = np.array([(r or {}).get(g, {}).get("text") for r in reasons], dtype=object)
        out[f"reason_code_{g}"] = np.array([(r or {}).get(g, {}).get("code") for r in reasons], dtype=object)
        out[f"shortfall_{g}"] = np.array([(s or {}).get(g) for s in shortfalls], dtype=float)
    return pd.DataFrame(out, index=pd.Index(stored["household_id"].to_numpy(dtype=object), name="household_id"))


def _township(frame: pd.DataFrame, parents: dict[str, str]) -> np.ndarray:
    return np.array([parents.get(v) if v else None for v in frame["village_code"].to_numpy(dtype=object)],
                    dtype=object)


def select(v: Verdicts, *, area: str | None = None, statuses: list[str] | None = None,
           only: list[str] | None = None) -> pd.DataFrame:
    """Households in ``area`` (county, township or village code, or a code prefix) having any of
    ``statuses`` in any of the guarantees ``only`` (all five by default)."""
    frame = v.frame
    keep = np.ones(len(frame), dtype=bool)
    if area:
        village = frame["village_code"].astype(object).fillna("").to_numpy(dtype=str)
        county = frame["county_code"].astype(object).fillna("").to_numpy(dtype=str)
        keep &= (np.char.startswith(village, area) | (county == area) | (_township(frame, v.parents) == area))
    if statuses:
        hit = np.zeros(len(frame), dtype=bool)
        for g in only or GUARANTEES:
            hit |= frame[g].astype(object).isin(statuses).to_numpy()
        keep &= hit
    return frame.loc[keep]


def page(ctx: Context, frame: pd.DataFrame, *, offset: int, limit: int) -> list[dict[str, Any]]:
    """:func:`relief.services.guarantee_json.page_rows` run through ``ctx.offload``."""
    return ctx.offload(guarantee_json.page_rows, frame, offset, limit)


def csv_text(ctx: Context, frame: pd.DataFrame) -> str:
    """Every row of ``frame`` as the CSV ``relief guarantees`` prints (formula-like cells neutralised)."""
    return ctx.offload(guarantee_json.csv_text, frame)


def counts(ctx: Context, v: Verdicts, frame: pd.DataFrame, by: str) -> dict[str, Any]:
    """Households per area of level ``by``, guarantee and status (no personal data)."""
    if by not in LEVELS:
        raise ValidationFailed(f"by must be one of {', '.join(LEVELS)}", field="by")
    if by == AreaLevel.VILLAGE:
        groups = frame["village_code"]
    elif by == AreaLevel.COUNTY:
        groups = frame["county_code"]
    else:
        groups = pd.Series(_township(frame, v.parents), index=frame.index)
    groups = pd.Series(groups.to_numpy(dtype=object), index=frame.index, name="area")
    table = ctx.offload(_summarised, frame, groups)
    found: dict[str, dict[str, Any]] = {}
    for code, guarantee, status, households in table.itertuples(index=False, name=None):
        entry = found.setdefault(code, {"households": 0, "guarantees": {g: {} for g in GUARANTEES}})
        entry["guarantees"][guarantee][status] = int(households)
    with ctx.reading() as session:
        names = areas.names(session, found)
    for code, entry in found.items():
        entry["households"] = sum(entry["guarantees"][GUARANTEES[0]].values())
        entry["name"] = names.get(code)
    total = {g: {s: int(frame[g].astype(object).eq(s).sum()) for s in STATUSES} for g in GUARANTEES}
    return {"by": by, "statuses": list(STATUSES), "guarantees": list(GUARANTEES), "areas": found,
            "total": {"households": int(len(frame)), "guarantees": total}}


def _summarised(frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    return rules.summarise(_as_categories(frame), groups)


def _as_categories(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({g: pd.Categorical(frame[g].astype(object), categories=STATUSES) for g in GUARANTEES},
                        index=frame.index)
