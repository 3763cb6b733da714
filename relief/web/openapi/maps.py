"""The live map's reads and layers, the situation-map download, key figures, exports
(``relief/web/api_map.py``, ``relief/web/api_layers.py``, ``relief/web/api_export.py``)."""
from __future__ import annotations

from relief.domain.vocabulary import AREA_LEVELS, EXPORT_FORMATS, INCIDENT_KINDS, INCIDENT_STATUSES
from relief.web.openapi.parts import (
    BBOX,
    FEATURE_COLLECTION,
    LAYER,
    PAGING,
    download,
    enum,
    integer,
    json,
    keys,
    obj,
    op,
    paging,
    query,
    text,
    time_filters,
    words,
)

TAG = "map"
LEVEL = enum(AREA_LEVELS)

EXPORT_MEDIA = {
    "application/geo+json": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
    "application/geopackage+sqlite3": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string",
                                                                                     "format": "binary"}},
}

OPERATIONS = {
    "api_layers.health": op("Whether the app and its store answer", tag="system",
                            responses=json(keys("status", "store", "version", "schema_revision",
                                                                 "latest_event_seq"))),
    "api_layers.areas": op("Administrative areas as GeoJSON", tag=TAG,
                           params=[BBOX, query("level", LEVEL), query("parent", text(24), "parent area code"),
                                   PAGING], responses=json(LAYER)),
    "api_layers.sites": op("Relocation sites as GeoJSON", tag=TAG, params=[BBOX, PAGING],
                           responses=json(LAYER)),
    "api_layers.depots": op("Depots as GeoJSON", tag=TAG, params=[BBOX, PAGING], responses=json(LAYER)),
    "api_layers.facilities": op("Health facilities as GeoJSON", tag=TAG, params=[BBOX, PAGING],
                                responses=json(LAYER)),
    "api_map.household_points": op(
        "Household positions for the map: [[lon, lat, id, worst verdict], …] (staff)", tag=TAG,
        params=[{**BBOX, "required": True}, *paging(20_000, 50_000)], responses=json(obj())),
    "api_map.guarantee_summary": op("Verdict counts per area", tag=TAG, params=[query("level", LEVEL)],
                                    responses=json(keys("areas", "guarantees", "level", "seq", "statuses"))),
    "api_map.area_shapes": op("Simplified boundaries for drawing", tag=TAG, params=[query("level", LEVEL)],
                              responses=json(FEATURE_COLLECTION)),
    "api_map.search_areas": op("Areas by name", tag=TAG,
                               params=[query("q", text(200), "part of an area's name", required=True),
                                       query("limit", integer(1, 50, default=10))],
                               responses=json(obj())),
    "api_map.incident_markers": op(
        "Incident markers (the /api/incidents filters, marker properties only)", tag=TAG,
        params=[BBOX, query("kind", words(INCIDENT_KINDS)), query("status", words(INCIDENT_STATUSES)),
                *time_filters("since", "until"), PAGING], responses=json(LAYER)),
    "api_map.map_styles": op("Colour tables and the word lists pages iterate", tag=TAG,
                             responses=json(keys("guarantees", "guarantee_statuses", "verdicts_worst_first", "topics",
                                                 "house_stages"))),
    "api_map.key_figure_strip": op("The key-figure strip: counts anyone may see", tag=TAG,
                                   responses=json(keys("as_of", "incidents", "relocated", "households_unmet", "sites",
                                                       "stock_running_out"))),
    "api_map.export_map": op("The situation map as one offline HTML file", tag=TAG,
                             responses=download("text/html", "the map file")),
    "api_export.export": op(
        "A table as a file: /api/export/<what>.<geojson|csv|hxl.csv|gpkg|xlsx>", tag="exports",
        description="Staff get the full table (or the public version with public=1); anyone else the public "
                    "version; the households export needs credentials.",
        params=[query("format", enum(EXPORT_FORMATS)), query("public", enum(("1", "true", "yes", "0", "false")))],
        responses={"200": {"description": "the file", "content": EXPORT_MEDIA}}, errors=[401, 403]),
}
