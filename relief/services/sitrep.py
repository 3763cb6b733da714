"""The daily situation report: one snapshot at ``as_of``, numbered and kept when issued.

``snapshot(ctx, as_of)`` reads everything a sitrep shows and returns it as plain JSON-ready data (the
same dict is stored with an issued report, rendered to HTML and PDF, and answered by
``GET /api/sitrep``). Each figure names the API query that reproduces it. Figures from the statutory
reports are those known at ``as_of`` (reports submitted by then); people relocated, sites, stock and the
five guarantees are the register as it stands when the snapshot is taken, so a sitrep is meant for the
moment it is made (the command centre's morning report), and an issued one is kept as it was.

``issue(ctx, as_of)`` stores the snapshot with the next number; issuing again for the same ``as_of``
gives back the same report. Changes (Δ) are against the latest sitrep issued before ``as_of``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import quote

import numpy as np

from relief.domain import sitrep as domain
from relief.domain.indicators import INDICATORS
from relief.domain.reports import NO_REPORTS_STATUSES
from relief.domain.vocabulary import GUARANTEES, OPEN_STATUSES
from relief.errors import NotFound
from relief.jsonable import jsonable, moment
from relief.services import cover, statutory
from relief.services import reconstruction as reconstruction_service
from relief.services.context import Context
from relief.store import areas as area_store
from relief.store import incidents as incident_store
from relief.store import key_figure_queries, stock_queries
from relief.store import sites as site_store
from relief.store import sitrep_queries as queries

#: Rows a table of the report lists before the rest are summed into one line (≤ 20 pages in all).
TOWNSHIP_ROWS = 25
SITE_ROWS = 15
GUARANTEE_ROWS = 20
STOCK_ROWS = 25


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _q(value: datetime) -> str:
    return quote(moment(value), safe="")


def check_as_of(ctx: Context, as_of: datetime | None) -> datetime:
    """``as_of`` (default now) checked against the clock and the data: a 400 naming ``as_of`` otherwise."""
    with ctx.reading() as session:
        first = queries.first_data_at(session)
    now = ctx.now()
    return _utc(domain.check_as_of(as_of or now, now=now, first_data_at=first))


def snapshot(ctx: Context, as_of: datetime | None = None) -> dict[str, Any]:
    """Everything the sitrep at ``as_of`` shows (see the module docs); unchecked ``as_of`` → 400."""
    as_of = check_as_of(ctx, as_of)
    with ctx.reading() as session:
        kept = queries.by_as_of(session, as_of)
        previous = queries.latest_before(session, as_of)
        number = kept.number if kept is not None else queries.next_number(session)
        before = dict(previous.figures) if previous is not None else None
        previous_number = previous.number if previous is not None else None
        issued = kept is not None
        base = _read(ctx, session, as_of)
    return _assemble(ctx, base, as_of=as_of, number=number, issued=issued, previous=before,
                     previous_number=previous_number)


def _read(ctx: Context, session, as_of: datetime) -> dict[str, Any]:
    standards = ctx.standards
    counted = [i.id for i in incident_store.all_incidents(session) if i.status not in NO_REPORTS_STATUSES]
    reports = domain.reports_by(incident_store.reports_frame(session, counted), as_of)
    first = queries.first_data_at(session)
    outlines = queries.county_outlines(session)
    relocated = queries.relocated_now(session)
    sites = queries.sites_occupancy(session)
    open_sites = site_store.sites_frame(session, open_only=True)
    table, _ = cover.cover_table(session, standards, as_of, open_sites)
    items = stock_queries.item_labels(session, table["item_code"])
    unmet = key_figure_queries.households_unmet(session)
    points = queries.incident_points(session, as_of, sorted(OPEN_STATUSES))
    codes = {*reports["county_code"].dropna(), *reports["township_code"].dropna(), *relocated,
             *(s["county_code"] for s in sites if s["county_code"])}
    names = area_store.names(session, sorted(c for c in codes if c))
    for code, zh, en, _ in outlines:
        names.setdefault(code, {"zh": zh, "en": en})
    return {"reports": reports, "first": first, "outlines": outlines, "relocated": relocated, "sites": sites,
            "cover": table, "items": items, "unmet": unmet, "points": points, "names": names}


def _assemble(ctx: Context, base: Mapping[str, Any], *, as_of: datetime, number: int, issued: bool,
              previous: Mapping[str, Any] | None, previous_number: int | None) -> dict[str, Any]:
    standards = ctx.standards
    names = base["names"]
    view = statutory.figures_view(base["reports"], names)
    total = view["total"]
    relocated = base["relocated"]
    now_centralised = sum(v.get("site_persons", 0) for v in relocated.values())
    now_dispersed = sum(v.get("dispersed_persons", 0) for v in relocated.values())
    values = {**{name: total.get(name, 0) for name in INDICATORS},
              "relocated_centralised_now": now_centralised, "relocated_dispersed_now": now_dispersed}
    before_values = {row["name"]: row["value"] for row in (previous or {}).get("key", [])} if previous else None
    changes = domain.deltas(values, before_values)
    key = [{"name": name, "source": source, "value": jsonable(values[name]),
            "previous": None if before_values is None else before_values.get(name), "delta": changes[name],
            "query": domain.SOURCE_QUERIES[source]}
           for name, source in domain.KEY_FIGURES]

    counties = _counties(view["by_county"], relocated, names, previous)
    townships = _townships(view["by_township"], names)
    sites = _sites(base["sites"], names)
    stock = _stock(base["cover"], base["items"], standards.figure("coverage_horizon_hours"))
    guarantees = _guarantees(ctx, base["unmet"])
    overdue = statutory.overdue(ctx, as_of)
    rebuilding = _reconstruction(ctx, as_of)
    due = domain.next_report_due(as_of, standards.report_deadlines)
    levels = [entry["level"] for entry in standards.response_levels.get("levels", [])]
    points = [{"id": p["id"], "level": p["level"], "kind": p["kind"], "lon": p["lon"], "lat": p["lat"]}
              for p in base["points"]]
    drawn = domain.map_shapes([(code, geom) for code, _, _, geom in base["outlines"]], points)
    for county in drawn["counties"]:
        county["name"] = names.get(county["code"], {})
    prev_as_of = (previous or {}).get("as_of")
    period_from = prev_as_of or (moment(base["first"]) if base["first"] is not None else None)
    snap = {
        "number": number,
        "issued": issued,
        "as_of": moment(as_of),
        "period": {"from": period_from, "to": moment(as_of)},
        "previous": None if previous is None else {"number": previous_number, "as_of": prev_as_of},
        "standards_version": standards.version,
        "key": key,
        "highlights": domain.highlights(values, changes, counties, has_previous=previous is not None,
                                        unmet_any=guarantees["total"].get("any", 0),
                                        overdue=len(overdue["items"]), sites_full=sites["full"]),
        "counties": counties,
        "townships": townships,
        "sites": sites,
        "stock": stock,
        "guarantees": guarantees,
        "reconstruction": rebuilding,
        "overdue": {"count": len(overdue["items"]), "by_county": [
            {**{k: row[k] for k in ("county_code", "count", "initial", "continued", "verified",
                                     "max_overdue_seconds")}, "name": names.get(row["county_code"] or "", {})}
            for row in overdue["by_county"]], "query": f"/api/reports/overdue?as_of={_q(as_of)}"},
        "next_due": moment(due),
        "levels": levels,
        "map": drawn,
        "queries": {
            "counties": "/api/reports/summary", "townships": "/api/reports/summary",
            "sites": "/api/key-figures", "stock": "/api/cover", "guarantees": "/api/guarantees?summary=township",
            "reconstruction": f"/api/reconstruction/summary?by=county&as_of={_q(as_of)}",
        },
    }
    return jsonable(snap)


def _counties(by_county: list[dict[str, Any]], relocated: Mapping[str, Mapping[str, int]],
              names: Mapping[str, Mapping[str, str]], previous: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for row in by_county:
        code = row["county_code"] or ""
        rows[code] = {"code": code, "townships": row["townships"],
                      **{name: row[name] for name in domain.COUNTY_FIGURES}}
    for code, now in relocated.items():
        entry = rows.setdefault(code, {"code": code, "townships": 0, **{n: 0 for n in domain.COUNTY_FIGURES}})
        entry["relocated_centralised_now"] = now.get("site_persons", 0)
        entry["relocated_dispersed_now"] = now.get("dispersed_persons", 0)
    before = {c["code"]: c for c in (previous or {}).get("counties", [])}
    out = []
    for code in sorted(rows):
        entry = rows[code]
        entry.setdefault("relocated_centralised_now", 0)
        entry.setdefault("relocated_dispersed_now", 0)
        entry["name"] = names.get(code, {})
        entry["delta"] = domain.deltas(entry, before.get(code) if previous is not None else None,
                                       domain.COUNTY_FIGURES) if previous is not None and code in before else None
        out.append(entry)
    return out


def _townships(by_township: list[dict[str, Any]], names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    summed: dict[str, dict[str, Any]] = {}
    for row in by_township:
        code = row["township_code"] or ""
        entry = summed.setdefault(code, {"code": code, "county_code": row["county_code"],
                                         **{n: 0 for n in domain.COUNTY_FIGURES}})
        for name in domain.COUNTY_FIGURES:
            entry[name] += row[name] or 0
    for entry in summed.values():
        entry["name"] = names.get(entry["code"], {})
        entry["county_name"] = names.get(entry["county_code"] or "", {})
    rows, rest = domain.top_with_rest(list(summed.values()), "affected", TOWNSHIP_ROWS, domain.COUNTY_FIGURES)
    return {"rows": rows, "rest": rest, "count": len(summed)}


def _sites(sites: list[dict[str, Any]], names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    by_county: dict[str, dict[str, Any]] = {}
    for site in sites:
        entry = by_county.setdefault(site["county_code"] or "", {"code": site["county_code"] or "", "sites": 0,
                                                                  "capacity": 0, "persons": 0, "full": 0})
        entry["sites"] += 1
        entry["capacity"] += site["capacity"]
        entry["persons"] += site["persons"]
        entry["full"] += int(site["persons"] >= site["capacity"])
    for code, entry in by_county.items():
        entry["name"] = names.get(code, {})
    ranked = sorted(sites, key=lambda s: (-(s["persons"] / s["capacity"] if s["capacity"] else 0), s["site_id"]))
    fullest = [{**s, "county_name": names.get(s["county_code"] or "", {}),
                "share": round(s["persons"] / s["capacity"], 4) if s["capacity"] else None}
               for s in ranked[:SITE_ROWS] if s["persons"] > 0]
    return {"open": len(sites), "capacity": sum(s["capacity"] for s in sites),
            "persons": sum(s["persons"] for s in sites), "full": sum(int(s["persons"] >= s["capacity"]) for s in sites),
            "by_county": [by_county[c] for c in sorted(by_county)], "fullest": fullest}


def _stock(table, items: Mapping[str, Mapping[str, str]], horizon_hours: float) -> dict[str, Any]:
    if not len(table):
        return {"rows": [], "rest": None, "horizon_hours": horizon_hours}
    days = table["days"].to_numpy(dtype=float)
    finite = np.isfinite(days)
    frame = table.assign(_days=np.where(finite, days, np.nan),
                         _short=(finite & (days * 24.0 <= horizon_hours)).astype(int))
    grouped = frame.groupby("item_code", sort=True).agg(quantity=("quantity", "sum"), sites=("site_id", "nunique"),
                                                         min_days=("_days", "min"), sites_short=("_short", "sum"))
    rows = []
    for code, row in grouped.iterrows():
        about = items.get(code, {})
        rows.append({"code": code, "name": about.get("name") or code, "unit": about.get("unit"),
                     "quantity": round(float(row["quantity"]), 2), "sites": int(row["sites"]),
                     "min_days": None if np.isnan(row["min_days"]) else round(float(row["min_days"]), 1),
                     "sites_short": int(row["sites_short"])})
    kept, rest = domain.top_with_rest(rows, "sites_short", STOCK_ROWS, ("quantity", "sites_short"))
    return {"rows": kept, "rest": rest, "horizon_hours": horizon_hours}


def _guarantees(ctx: Context, unmet: Mapping[str, int]) -> dict[str, Any]:
    # counted by the database (the figures of GET /api/guarantees?summary=township): a frame of every
    # household's verdicts cost most of the sitrep's time and memory at 100,000 households
    with ctx.reading() as session:
        counted, households = queries.unmet_by_township(session)
        counted = [row for row in counted if any(row[g] for g in GUARANTEES)]
        names = area_store.names(session, [row["code"] for row in counted])
    rows = [{"code": row["code"], "name": names.get(row["code"]) or {}, "households": row["households"],
             **{g: row[g] for g in GUARANTEES}, "most": max(row[g] for g in GUARANTEES)} for row in counted]
    kept, rest = domain.top_with_rest(rows, "most", GUARANTEE_ROWS, GUARANTEES)
    return {"guarantees": list(GUARANTEES), "total": dict(unmet), "rows": kept, "rest": rest,
            "households": households}


def _reconstruction(ctx: Context, as_of: datetime) -> dict[str, Any] | None:
    found = reconstruction_service.summary(ctx, "county", as_of)
    if not found["totals"].get("houses"):
        return None
    return {"rows": found["rows"], "totals": found["totals"]}


# --- issued reports ---------------------------------------------------------------------------------

def issue(ctx: Context, as_of: datetime | None = None) -> dict[str, Any]:
    """Store the sitrep at ``as_of`` (default now) with the next number; the same ``as_of`` again gives
    back the report already issued. Answers ``{"number", "as_of", "issued_at", "created"}``."""
    as_of = check_as_of(ctx, as_of)
    with ctx.reading() as session:
        kept = queries.by_as_of(session, as_of)
        if kept is not None:
            return _issued_answer(kept, created=False)
    snap = snapshot(ctx, as_of)
    with ctx.transaction() as unit:
        kept = queries.by_as_of(unit.session, as_of)
        if kept is not None:
            return _issued_answer(kept, created=False)
        snap["number"] = queries.next_number(unit.session)
        snap["issued"] = True
        row = queries.add(unit.session, as_of=as_of, issued_at=unit.now, issued_by=unit.actor.id,
                          issued_by_name=unit.actor.name, figures=snap)
        unit.audit("sitrep.issue", "sitrep", row.number, detail={"as_of": snap["as_of"]})
        answer = _issued_answer(row, created=True)
    return answer


def _issued_answer(row, *, created: bool) -> dict[str, Any]:
    return {"number": row.number, "as_of": moment(row.as_of), "issued_at": moment(row.issued_at),
            "issued_by": row.issued_by_name, "created": created, "pdf": f"/sitrep/{row.number}.pdf"}


def issued_list(ctx: Context) -> list[dict[str, Any]]:
    """Earlier issued sitreps, newest first (no figures)."""
    with ctx.reading() as session:
        rows = queries.issued(session)
    return [{**row, "as_of": moment(row["as_of"]), "issued_at": moment(row["issued_at"]),
             "pdf": f"/sitrep/{row['number']}.pdf"} for row in rows]


def stored(ctx: Context, number: int) -> dict[str, Any]:
    """The snapshot an issued sitrep was issued from, as kept; 404 for an unknown number."""
    with ctx.reading() as session:
        row = queries.by_number(session, number)
        if row is None:
            raise NotFound(f"no sitrep number {number}")
        return dict(row.figures)
