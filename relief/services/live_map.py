"""Read use cases shaped for the live map: compact, aggregated, never personal.

The generic ``/api/<layer>`` endpoints send whole features; a map of a
prefecture needs less per thing and more things at once. So households come
as points or as verdict counts per area, boundaries come simplified for
drawing, and incidents come with only what a marker and the filters need (a
popup asks ``GET /api/incidents/<id>`` for the rest). No payload here carries a name, ID number or phone.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from maps import styles
from relief.domain.vocabulary import AREA_LEVELS, GUARANTEES, UNKNOWN, VERDICTS_WORST_FIRST, AreaLevel
from relief.errors import ValidationFailed
from relief.jsonable import jsonable
from relief.services import geojson
from relief.services.context import Context
from relief.store import live_map_queries
from relief.store.paging import Page

SUMMARY_LEVELS = (AreaLevel.VILLAGE.value, AreaLevel.TOWNSHIP.value)
SHAPE_LEVELS = AREA_LEVELS
#: Simplification tolerance in degrees per level (≈ 50 m / 30 m): invisible at the zooms each is drawn.
SHAPE_TOLERANCE = {"prefecture": 0.0005, "county": 0.0005, "township": 0.0005, "village": 0.0003}
MARKER_PROPERTIES = tuple(c for c in live_map_queries.MARKER_COLUMNS if c != "id")


def household_points(ctx: Context, bbox: tuple[float, float, float, float] | None, *, offset: int = 0,
                     limit: int = 20_000) -> dict[str, Any]:
    """Households in ``bbox`` as ``[lon, lat, id, worst verdict]`` rows, paged."""
    if bbox is None:
        raise ValidationFailed("bbox is required: households are only sent for the part of the map in view",
                               field="bbox")
    with ctx.reading() as session:
        seq = live_map_queries.snapshot_seq(session)
        points, total = live_map_queries.household_points(session, bbox, offset=offset, limit=limit)
    return {"fields": ["lon", "lat", "id", "worst"], "points": points, "total": total, "offset": offset,
            "limit": limit, "next_offset": Page(points, total, offset, limit).next_offset, "seq": seq}


def guarantee_summary(ctx: Context, level: str) -> dict[str, Any]:
    """Households per area: by worst verdict and by guarantee × verdict (zeros left out).

    ``seq`` is the last event the counts include. With no verdicts computed
    yet every household counts as ``unknown``. The
    township answer also maps each village to its township, so a client can
    apply a village's ``guarantee.counts`` one level up.
    """
    if level not in SUMMARY_LEVELS:
        raise ValidationFailed(f"level must be one of {', '.join(SUMMARY_LEVELS)}", field="level")
    with ctx.reading() as session:
        seq = live_map_queries.snapshot_seq(session)
        rows = live_map_queries.guarantee_combinations(session, level)
        parents = live_map_queries.village_parents(session) if level == AreaLevel.TOWNSHIP else None
    areas: dict[str, dict[str, Any]] = {}
    for code, *verdicts, count in rows:
        entry = areas.setdefault(code, {"households": 0, "worst": defaultdict(int),
                                        "guarantees": {g: defaultdict(int) for g in GUARANTEES}})
        entry["households"] += count
        entry["worst"][styles.worst_status(verdicts, VERDICTS_WORST_FIRST)] += count
        for guarantee, verdict in zip(GUARANTEES, verdicts):
            entry["guarantees"][guarantee][verdict or UNKNOWN] += count
    out: dict[str, Any] = {
        "level": level, "seq": seq, "statuses": list(VERDICTS_WORST_FIRST), "guarantees": list(GUARANTEES),
        "areas": {code: {"households": e["households"], "worst": dict(e["worst"]),
                         "guarantees": {g: dict(c) for g, c in e["guarantees"].items()}} for code, e in areas.items()},
    }
    if parents is not None:
        out["parents"] = parents
    return out


def area_shapes(ctx: Context, level: str) -> dict[str, Any]:
    """One level of boundaries, simplified for drawing, with names and parents only."""
    if level not in SHAPE_LEVELS:
        raise ValidationFailed(f"level must be one of {', '.join(SHAPE_LEVELS)}", field="level")
    with ctx.reading() as session:
        rows = live_map_queries.area_shapes(session, level)
    tolerance = SHAPE_TOLERANCE[level]
    features = []
    for code, name_zh, name_en, lvl, parent, geom in rows:
        if geom is None:
            continue
        drawn = geojson.geometry(geom.simplify(tolerance, preserve_topology=True), grid=1e-5)
        centre = geom.representative_point()
        features.append(geojson.feature(code, drawn, {"code": code, "name_zh": name_zh, "name_en": name_en,
                                                      "level": lvl, "parent_code": parent,
                                                      "label_at": [round(centre.x, 5), round(centre.y, 5)]}))
    return geojson.collection(features)


def search_areas(ctx: Context, q: str, *, limit: int = 10) -> dict[str, Any]:
    q = (q or "").strip()
    if not q:
        raise ValidationFailed("q is required: part of an area's Chinese or English name", field="q")
    with ctx.reading() as session:
        return {"q": q, "areas": live_map_queries.search_areas(session, q, limit=limit)}


def incident_markers(ctx: Context, *, offset: int = 0, limit: int = 20_000, **filters: Any) -> dict[str, Any]:
    """Incidents with only the marker's and filters' properties; hazard areas also get an ``anchor`` point."""
    with ctx.reading() as session:
        rows, total = live_map_queries.incident_markers(session, offset=offset, limit=limit, **filters)
    features = []
    for row in rows:
        props = {k: jsonable(row[k]) for k in MARKER_PROPERTIES}
        geom = row.get("geom")
        if geom is None:
            geometry = {"type": "Point", "coordinates": [round(row["min_lon"], 6), round(row["min_lat"], 6)]}
        else:
            anchor = geom.representative_point()
            props["anchor"] = [round(anchor.x, 6), round(anchor.y, 6)]
            geometry = geojson.geometry(geom.simplify(0.00005, preserve_topology=True))
        features.append(geojson.feature(row["id"], geometry, props))
    return geojson.collection(features, Page(rows, total, offset, limit))
