"""The daily situation report (续报 / sitrep), over plain data: no store, no Flask, no files.

A sitrep is one *snapshot* at ``as_of``: the statutory figures that count at that moment (the reports
submitted by then, latest per incident and township, as ``domain.reports.aggregate`` sums them), the
people relocated now, sites, stock, the five guarantees, reconstruction and overdue reports. Issued
sitreps are kept; each new one states its change (Δ) against the latest issued before its ``as_of``.

Here: which figures are key and where the API reproduces each (``KEY_FIGURES``), the reports that count
at a moment, the changes, the highlights (codes + parameters: the web layer words them), the next
report deadline, bars for the charts and the offline map's geometry projected to SVG coordinates.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd
from shapely.geometry.base import BaseGeometry

from relief.domain.reports import DeadlineRules
from relief.errors import ValidationFailed

#: Key figures, in the order the report lists them: ``(name, source)``. ``reports`` figures are the
#: statutory indicators summed over the reports that count (``GET /api/reports/summary``: ``total``);
#: ``now`` figures are people away from home at the moment of the report, from the household register
#: (``GET /api/key-figures``). Relocated figures in the reports are cumulative; the register's are current.
KEY_FIGURES: tuple[tuple[str, str], ...] = (
    ("affected", "reports"),
    ("dead", "reports"),
    ("missing", "reports"),
    ("relocated_centralised", "reports"),
    ("relocated_dispersed", "reports"),
    ("relocated_centralised_now", "now"),
    ("relocated_dispersed_now", "now"),
    ("collapsed_households", "reports"),
    ("collapsed_rooms", "reports"),
    ("severe_households", "reports"),
    ("severe_rooms", "reports"),
    ("general_households", "reports"),
    ("general_rooms", "reports"),
    ("economic_loss_10k_yuan", "reports"),
)
KEY_NAMES: tuple[str, ...] = tuple(name for name, _ in KEY_FIGURES)
#: The API query that reproduces a figure of each source (the ``as_of`` is added where the API takes one).
SOURCE_QUERIES: Mapping[str, str] = {
    "reports": "/api/reports/summary",
    "now": "/api/key-figures",
}
#: Figures compared county by county in the highlights and the county table.
COUNTY_FIGURES: tuple[str, ...] = ("affected", "dead", "missing", "relocated_centralised", "relocated_dispersed",
                                   "collapsed_households", "severe_households", "general_households",
                                   "economic_loss_10k_yuan")
#: Highlight codes (the web layer holds their wording).
FIRST_REPORT = "first_report"
FIGURE_ROSE = "figure_rose"
FIGURE_FELL = "figure_fell"
COUNTY_ROSE = "county_rose"
UNMET = "unmet_households"
OVERDUE = "overdue_reports"
SITES_FULL = "sites_full"
NO_CHANGE = "no_change"


def check_as_of(as_of: datetime | None, *, now: datetime, first_data_at: datetime | None) -> datetime:
    """``as_of`` if a sitrep can describe it, else a 400 naming ``as_of``: aware, not in the future,
    not before the first data relief holds."""
    if as_of is None:
        raise ValidationFailed("as_of is required (ISO 8601 with an offset)", field="as_of")
    if as_of.tzinfo is None:
        raise ValidationFailed("as_of needs a UTC offset, e.g. 2026-11-20T09:00:00+08:00", field="as_of")
    if as_of > now:
        raise ValidationFailed(f"as_of {as_of.isoformat()} is in the future", field="as_of")
    if first_data_at is None:
        raise ValidationFailed("as_of: there is no data yet to report on", field="as_of")
    if as_of < first_data_at:
        raise ValidationFailed(f"as_of {as_of.isoformat()} is before the first data ({first_data_at.isoformat()})",
                               field="as_of")
    return as_of


def reports_by(reports: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The statutory reports submitted at or before ``as_of`` (what was known then)."""
    if reports.empty:
        return reports
    submitted = pd.to_datetime(reports["submitted_at"], utc=True)
    return reports.loc[(submitted <= pd.Timestamp(as_of)).to_numpy()].reset_index(drop=True)


def deltas(current: Mapping[str, Any], previous: Mapping[str, Any] | None,
           names: Iterable[str] = KEY_NAMES) -> dict[str, float | int | None]:
    """``current − previous`` per name; None where there is no previous value to compare with."""
    out: dict[str, float | int | None] = {}
    for name in names:
        now, before = current.get(name), (previous or {}).get(name)
        if now is None or before is None:
            out[name] = None
        else:
            diff = now - before
            out[name] = round(diff, 4) if isinstance(diff, float) else diff
    return out


def highlights(key: Mapping[str, Any], key_deltas: Mapping[str, Any], counties: Sequence[Mapping[str, Any]], *,
               has_previous: bool, unmet_any: int, overdue: int, sites_full: int,
               limit: int = 6) -> list[dict[str, Any]]:
    """The largest changes and the points that need action, as ``{"code", "params"}``, most telling first.

    Changes of key figures rank by their relative size (a new figure over nothing counts as 100 %), then the
    county with the largest rise in affected people; then unmet households, overdue reports and full sites
    when there are any. Without a previous sitrep the first line says so and the key totals follow.
    """
    out: list[dict[str, Any]] = []
    if not has_previous:
        out.append({"code": FIRST_REPORT, "params": {"affected": key.get("affected", 0), "dead": key.get("dead", 0),
                                                     "missing": key.get("missing", 0)}})
    else:
        moved = []
        for name in KEY_NAMES:
            delta = key_deltas.get(name)
            if not delta:
                continue
            before = (key.get(name) or 0) - delta
            share = abs(delta) / before if before else 1.0
            moved.append((-share, -abs(delta), KEY_NAMES.index(name), name, delta))
        moved.sort()
        for _, _, _, name, delta in moved[:3]:
            out.append({"code": FIGURE_ROSE if delta > 0 else FIGURE_FELL,
                        "params": {"figure": name, "delta": abs(delta), "value": key.get(name)}})
        rises = [(-(c.get("delta") or {}).get("affected") or 0, str(c.get("code")), c) for c in counties
                 if ((c.get("delta") or {}).get("affected") or 0) > 0]
        if rises:
            _, _, county = min(rises)
            out.append({"code": COUNTY_ROSE, "params": {"county": county.get("code"), "figure": "affected",
                                                        "delta": county["delta"]["affected"]}})
        if not moved:
            out.append({"code": NO_CHANGE, "params": {}})
    if unmet_any:
        out.append({"code": UNMET, "params": {"households": unmet_any}})
    if overdue:
        out.append({"code": OVERDUE, "params": {"count": overdue}})
    if sites_full:
        out.append({"code": SITES_FULL, "params": {"count": sites_full}})
    return out[:limit]


def next_report_due(as_of: datetime, rules: Mapping[str, Any]) -> datetime:
    """The next continued-report deadline after ``as_of``: ``continued_daily_at`` local time, today or
    tomorrow (the county's 09:00 report, with figures to 24:00 the day before)."""
    parsed = DeadlineRules.parse(rules)
    local = as_of.astimezone(parsed.tz)
    due = parsed.daily(local.date())
    return due if due > local else parsed.daily(local.date() + timedelta(days=1))


def bars(values: Sequence[float | int | None], width: float) -> list[float]:
    """Bar lengths proportional to ``values`` (missing or negative ones as 0), the largest ``width`` long."""
    clean = [max(float(v or 0), 0.0) for v in values]
    top = max(clean, default=0.0)
    return [round(v / top * width, 1) if top > 0 else 0.0 for v in clean]


def top_with_rest(rows: Sequence[Mapping[str, Any]], key: str, limit: int,
                  summed: Iterable[str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The ``limit`` rows largest by ``key`` (ties by ``code``), and the others summed into one row
    (``{"count": n, <summed>…}``) or None: long tables stay a page long."""
    ordered = sorted(rows, key=lambda r: (-(r.get(key) or 0), str(r.get("code"))))
    kept, rest = [dict(r) for r in ordered[:limit]], ordered[limit:]
    if not rest:
        return kept, None
    names = list(summed)
    return kept, {"count": len(rest), **{n: sum((r.get(n) or 0) for r in rest) for n in names}}


# --- the offline map -------------------------------------------------------------------------------

def _projector(bounds: tuple[float, float, float, float], width: float, height: float, pad: float):
    x0, y0, x1, y1 = bounds
    mid = math.radians((y0 + y1) / 2.0)
    sx = max((x1 - x0) * math.cos(mid), 1e-9)
    sy = max(y1 - y0, 1e-9)
    scale = min((width - 2 * pad) / sx, (height - 2 * pad) / sy)
    ox = (width - sx * scale) / 2.0
    oy = (height - sy * scale) / 2.0

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (round(ox + (lon - x0) * math.cos(mid) * scale, 1), round(height - oy - (lat - y0) * scale, 1))

    return project


def _path(geom: BaseGeometry, project) -> str:
    parts = []
    polygons = getattr(geom, "geoms", [geom])
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            points = [project(x, y) for x, y in ring.coords[:-1]]
            if len(points) >= 3:
                parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in points) + "Z")
    return "".join(parts)


def map_shapes(outlines: Sequence[tuple[str, BaseGeometry | None]], points: Sequence[Mapping[str, Any]], *,
               width: float = 640.0, height: float = 420.0, pad: float = 12.0,
               tolerance: float = 0.005) -> dict[str, Any]:
    """County outlines and incident points in SVG coordinates (equirectangular at the region's latitude).

    ``outlines``: ``(code, geometry)`` in WGS 84; ``points``: dicts with ``lon``, ``lat`` and any other keys
    (kept). Outlines are simplified by ``tolerance`` degrees (about 500 m) so the map stays a few tens of
    kilobytes. Each county gets a label position inside it. Empty when there is nothing to draw.
    """
    shapes = [(code, geom) for code, geom in outlines if geom is not None and not geom.is_empty]
    boxes = [geom.bounds for _, geom in shapes] + [(p["lon"], p["lat"], p["lon"], p["lat"]) for p in points]
    if not boxes:
        return {"width": width, "height": height, "counties": [], "points": []}
    bounds = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    project = _projector(bounds, width, height, pad)
    counties = []
    for code, geom in shapes:
        simple = geom.simplify(tolerance, preserve_topology=True)
        label = geom.representative_point()
        lx, ly = project(label.x, label.y)
        counties.append({"code": code, "d": _path(simple, project), "label_x": lx, "label_y": ly})
    drawn = []
    for point in points:
        x, y = project(point["lon"], point["lat"])
        drawn.append({**{k: v for k, v in point.items() if k not in ("lon", "lat")}, "x": x, "y": y})
    return {"width": width, "height": height, "counties": counties, "points": drawn}
