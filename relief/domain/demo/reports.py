"""The incidents' statutory reports (初报/续报/核报) and the response levels they set.

Reports follow the deadlines in force (``report_deadlines``), counted back
from the demo's ``as_of``: an initial report within the first hours, a
continued report shortly before each daily deadline while the incident is
open, a verified report after it stabilised. Most incidents keep every
deadline, so the overdue list opens short and current; the specs'
``reporting`` names the exceptions (``initial_late``: no report yet;
``continued_late``: the latest continued report missing).

Figures are reported at the scale of the real prefecture (about 3.4 million
people), not summed from the generated register, which is only a sample of
it; so a wide snowstorm reaches a level of the national table as it would in
life. Each township's figures grow from report to report (they are
cumulative) and the latest ones add up exactly to :data:`_FIGURES`. The level
is decided by :func:`relief.domain.response.response_level` over the same
aggregation the statutory service uses, so recomputing it changes nothing.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from relief.domain.demo.incidents import _ALL_INCIDENT_SPECS
from relief.domain.indicators import AMOUNT_INDICATORS, COUNT_INDICATORS, INDICATORS, validate_indicators
from relief.domain.reports import NO_REPORTS_STATUSES, DeadlineRules, aggregate
from relief.domain.response import response_level
from relief.domain.standards import Standards

#: The latest figures of each incident, summed over its townships (omitted indicators are 0).
_FIGURES: dict[str, dict[str, float]] = {
    "landslide": dict(affected=3200, evacuated=1860, relocated_centralised=1240, relocated_dispersed=620,
                      emergency_aid=1860, collapsed_rooms=86, collapsed_households=24, severe_rooms=210,
                      severe_households=61, general_rooms=430, general_households=140, crops_affected_ha=35.0,
                      crops_lost_ha=12.0, economic_loss_10k_yuan=4800.0),
    "hail": dict(affected=24000, emergency_aid=600, collapsed_rooms=12, collapsed_households=4, severe_rooms=150,
                 severe_households=48, general_rooms=4800, general_households=1900, crops_affected_ha=3600.0,
                 crops_lost_ha=900.0, economic_loss_10k_yuan=9200.0),
    # collapsed + severely damaged rooms (10,700) and households (3,250) cross level IV of the national table
    "snow": dict(affected=86000, evacuated=2400, relocated_centralised=900, relocated_dispersed=1500,
                 emergency_aid=21000, collapsed_rooms=3800, collapsed_households=1150, severe_rooms=6900,
                 severe_households=2100, general_rooms=14500, general_households=5200, crops_affected_ha=9800.0,
                 crops_lost_ha=2600.0, economic_loss_10k_yuan=38000.0),
    "debris": dict(affected=1100, evacuated=320, relocated_centralised=180, relocated_dispersed=140,
                   emergency_aid=320, collapsed_rooms=28, collapsed_households=7, severe_rooms=45,
                   severe_households=12, general_rooms=90, general_households=30, crops_affected_ha=20.0,
                   crops_lost_ha=8.0, economic_loss_10k_yuan=1600.0),
    "rainstorm": dict(affected=41000, evacuated=6500, relocated_centralised=2100, relocated_dispersed=4400,
                      emergency_aid=9800, transitional_aid=1300, collapsed_rooms=640, collapsed_households=190,
                      severe_rooms=1900, severe_households=580, general_rooms=7600, general_households=2900,
                      crops_affected_ha=5200.0, crops_lost_ha=1300.0, economic_loss_10k_yuan=52000.0),
}
#: Most townships one incident's reports come from (the largest shares of its footprint).
_MAX_TOWNSHIPS = 6
#: A township reports for a zone when it holds at least this share of the footprint.
_MIN_SHARE = 0.02

_COLUMNS = ["id", "client_id", "incident_id", "township_code", "county_code", "kind", "figures_to", "submitted_at",
            "submitted_by", "note", *INDICATORS]


def _reporting_townships(geom, own: str | None, townships: pd.DataFrame) -> list[str]:
    """The townships that report for an incident: those holding a fair share of a zone, or its own for a point."""
    if geom.geom_type == "Point" or own is None:
        return [own] if own else []
    shares = shapely.area(shapely.intersection(townships["geom"].to_numpy(), geom)) / geom.area
    order = np.argsort(-shares, kind="stable")
    codes = [townships["code"].iloc[i] for i in order[:_MAX_TOWNSHIPS] if shares[i] >= _MIN_SHARE]
    return codes or [own]


def _split(total: float, weights: np.ndarray, whole: bool) -> np.ndarray:
    """``total`` shared by ``weights``: whole numbers adding up exactly (largest remainders), or tenths."""
    if not whole:
        return np.round(total * weights, 1)
    exact = total * weights
    out = np.floor(exact)
    short = int(round(total - out.sum()))
    out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def _moments(spec: dict, incident: pd.Series, rules: DeadlineRules, as_of: datetime,
             rng: np.random.Generator) -> list[tuple[str, datetime]]:
    """(kind, submitted_at) of one township's reports, oldest first, all before ``as_of``."""
    if spec["reporting"] == "initial_late":
        return []
    occurred = incident["occurred_at"]
    out = [("initial", occurred + _seconds(rules.initial.total_seconds() * rng.uniform(0.5, 0.85)))]
    stabilised = incident["stabilised_at"]
    open_until = min(as_of, stabilised) if stabilised is not None else as_of
    period = rules.period(spec["kind"])
    deadlines = []
    day = occurred.astimezone(rules.tz).date() + timedelta(days=period)
    while rules.daily(day) < open_until:
        deadlines.append(rules.daily(day))
        day += timedelta(days=period)
    if spec["reporting"] == "continued_late" and deadlines and stabilised is None:
        deadlines.pop()  # the latest one was missed: the overdue list shows it
    out += [("continued", d - _seconds(rng.uniform(20, 90) * 60)) for d in deadlines]
    if stabilised is not None and spec["timeline"][-1][0] == "close":
        due = rules.verified_due(stabilised)
        closed = incident["closed_at"]
        at = min(stabilised + _seconds((due - stabilised).total_seconds() * rng.uniform(0.3, 0.6)),
                 closed - timedelta(hours=1))
        out.append(("verified", at))
    return out


def _seconds(amount: float) -> timedelta:
    """Whole seconds, so report times read as a person would have typed them."""
    return timedelta(seconds=round(float(amount)))


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _build_reports(rng: np.random.Generator, incidents: pd.DataFrame, townships: pd.DataFrame, as_of: datetime,
                   standards: Standards) -> pd.DataFrame:
    """Every statutory report of the demo incidents (``statutory_reports`` columns), ids in submission order."""
    rules = DeadlineRules.parse(standards.report_deadlines)
    parent = dict(zip(townships["code"], townships["parent_code"]))
    rows: list[dict[str, Any]] = []
    for spec, (_, incident) in zip(_ALL_INCIDENT_SPECS, incidents.iterrows()):
        codes = _reporting_townships(incident["geom"], incident["township_code"], townships)
        weights = rng.dirichlet(np.full(len(codes), 3.0)) if len(codes) > 1 else np.ones(1)
        figures = _FIGURES.get(spec["key"], {})  # none for an incident that has not reported yet
        shares = {name: _split(float(figures.get(name, 0)), weights, name in COUNT_INDICATORS) for name in INDICATORS}
        for t, code in enumerate(codes):
            series = _moments(spec, incident, rules, as_of, rng)
            growth = np.linspace(0.4, 1.0, len(series)) if len(series) > 1 else np.ones(1)
            for (kind, at), fraction in zip(series, growth):
                values = {name: (math.floor(shares[name][t] * fraction) if name in COUNT_INDICATORS
                                 else round(float(shares[name][t]) * fraction, 1)) for name in INDICATORS}
                rows.append(dict(client_id=None, incident_id=int(incident["id"]), township_code=code,
                                 county_code=parent.get(code, incident["county_code"]), kind=kind,
                                 figures_to=_floor_hour(at), submitted_at=at, submitted_by=None, note=None,
                                 **validate_indicators(values)))
    frame = pd.DataFrame(rows, columns=_COLUMNS[1:])
    frame = frame.sort_values(["submitted_at", "incident_id", "township_code"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    for name in COUNT_INDICATORS:
        frame[name] = frame[name].astype("int64")
    for name in AMOUNT_INDICATORS:
        frame[name] = frame[name].astype(float)
    for name in ("client_id", "submitted_by", "note"):
        frame[name] = pd.Series([None] * len(frame), dtype=object)
    return frame


def _with_levels(incidents: pd.DataFrame, reports: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Incidents with the response level their counted figures reach, its reasons, and ``updated_at``
    moved to their latest report; as the statutory service decides and words them."""
    table = standards.response_levels
    totals = {}
    if not reports.empty:
        totals = {int(r["incident_id"]): r for r in aggregate(reports).by_incident.to_dict("records")}
    last = reports.groupby("incident_id")["submitted_at"].max().to_dict() if not reports.empty else {}
    levels, reasons, updated = [], [], []
    for row in incidents.itertuples():
        decided = None
        if row.status not in NO_REPORTS_STATUSES and row.id in totals:
            decided = response_level(totals[row.id], table)
        levels.append(decided.level if decided else None)
        reasons.append([{**r, "table": table.get("name"), "standards_version": standards.version}
                        for r in decided.reasons] if decided and decided.reasons else None)
        updated.append(max(row.updated_at, last.get(row.id, row.updated_at)))
    out = incidents.copy()
    out["response_level"] = pd.Series(levels, dtype=object, index=out.index)
    out["response_reason"] = pd.Series(reasons, dtype=object, index=out.index)
    out["updated_at"] = updated
    return out
