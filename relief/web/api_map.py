"""Read endpoints shaped for the live map, and the situation-map download.

- ``GET /api/households/points?bbox=…`` — staff only: ``[[lon, lat, id, worst], …]``
- ``GET /api/guarantees/summary?level=village|township`` — counts per area and verdict
- ``GET /api/map/areas?level=…`` — simplified boundaries for drawing
- ``GET /api/map/search?q=…`` — areas by name
- ``GET /api/map/incidents`` — same filters as ``/api/incidents``, marker properties only
- ``GET /api/map/styles`` — the colour tables shared with the exported map and the word lists every page iterates
  (also in the map page)
- ``GET /api/key-figures`` — the map's key-figure strip: counts only (``services/key_figures.py``)
- ``GET /export/map.html`` — the situation map as one offline HTML file

Answers are compact JSON (UTF-8, no padding) and gzip-compressed when the
client accepts it: a prefecture's incidents and boundaries are the bulk of a
first load, and this keeps it well under the map's size budget.
"""
from __future__ import annotations

import gzip
from typing import Any

from flask import Blueprint, Response, request

from maps import styles
from relief.domain.vocabulary import (
    GUARANTEE_STATUSES,
    GUARANTEES,
    HOUSE_STAGES,
    INCIDENT_KINDS,
    INCIDENT_STATUSES,
    TOPICS,
    VERDICTS_WORST_FIRST,
)
from relief.services import key_figures, live_map, situation
from relief.web import json as strict_json
from relief.web import params
from relief.web.context import base_context
from relief.web.gate import public, requires

bp = Blueprint("api_map", __name__)

POINTS_DEFAULT_LIMIT = 20_000
POINTS_MAX_LIMIT = 50_000
GZIP_MIN_BYTES = 1400


def compact_json(body: Any, *, max_age: int | None = None) -> Response:
    data = strict_json.text(body).encode("utf-8")
    response = Response(mimetype="application/json")
    if len(data) >= GZIP_MIN_BYTES and "gzip" in request.accept_encodings:
        data = gzip.compress(data, compresslevel=5)
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    if max_age is not None:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.set_data(data)
    return response


@bp.get("/api/households/points")
@requires("staff.read", hint="household positions are for logged-in staff; the public map shows counts per area")
def household_points():
    limit = params.integer("limit", POINTS_DEFAULT_LIMIT, minimum=1, maximum=POINTS_MAX_LIMIT)
    return compact_json(live_map.household_points(base_context(), params.bbox(), offset=params.integer("offset", 0),
                                                  limit=limit))


@bp.get("/api/guarantees/summary")
@public
def guarantee_summary():
    level = request.args.get("level") or "village"
    return compact_json(live_map.guarantee_summary(base_context(), level))


@bp.get("/api/map/areas")
@public
def area_shapes():
    return compact_json(live_map.area_shapes(base_context(), request.args.get("level") or "county"))


@bp.get("/api/map/search")
@public
def search_areas():
    limit = params.integer("limit", 10, minimum=1, maximum=50)
    return compact_json(live_map.search_areas(base_context(), request.args.get("q", ""), limit=limit))


@bp.get("/api/map/incidents")
@public
def incident_markers():
    return compact_json(live_map.incident_markers(
        base_context(), bbox=params.bbox(), kinds=params.words("kind", INCIDENT_KINDS),
        statuses=params.words("status", INCIDENT_STATUSES), since=params.query_time("since"),
        until=params.query_time("until"), **params.paging()))


@bp.get("/api/map/styles")
@public
def map_styles():
    return compact_json(style_answer(), max_age=300)


def style_answer() -> dict[str, Any]:
    """The colour tables of ``maps.styles`` and the word lists pages iterate, taken from the vocabulary here
    because ``maps`` imports nothing of relief: every page reads both from this one answer."""
    return {**styles.as_dict(), "guarantees": list(GUARANTEES), "guarantee_statuses": list(GUARANTEE_STATUSES),
            "verdicts_worst_first": list(VERDICTS_WORST_FIRST), "topics": list(TOPICS),
            "house_stages": list(HOUSE_STAGES)}


@bp.app_context_processor
def style_globals() -> dict:
    """``map_styles()`` in templates: the map page carries the tables itself (one request fewer)."""
    return {"map_styles": style_answer}


@bp.get("/api/key-figures")
@public
def key_figure_strip():
    """Counts anyone may see: incidents by level, people relocated, households unmet, sites full, stock running out."""
    response = compact_json(key_figures.key_figures(base_context()))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/export/map.html")
@public
def export_map():
    ctx = base_context()
    html = situation.export_html_shared(ctx)
    stamp = ctx.now().strftime("%Y%m%d-%H%M")
    return Response(html, mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="situation-map-{stamp}.html"'})
