"""Chunks as RFC 7946 GeoJSON text: a FeatureCollection written one chunk of Features at a time (pure).

The Features follow the conventions of ``services/geojson.py`` (the shape of every other GeoJSON
relief serves): geometry on a 1e-6° grid in longitude, latitude order, exterior rings counter-clockwise
(``shapely.orient_polygons``), the row's columns as properties, ``id`` from the row's ``id`` column.
An export may hold millions of rows, so :func:`rows_features` makes them by string formatting from
plain columns (each distinct position written by GEOS once); :func:`features_text` makes the same
Features from a DataFrame. A row without a position has ``"geometry": null``.
"""
from __future__ import annotations

import json
import math
import sys
from json.encoder import encode_basestring
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import shapely
from pandas.api.types import is_integer_dtype

from relief.domain.exports.tables import time_cells, with_times_as_text

#: Coordinates are rounded to this grid (degrees).
PRECISION = 1e-6
OPENING = '{"type":"FeatureCollection","features":[\n'
CLOSING = "\n]}\n"
SEPARATOR = ",\n"


def geometries(geoms: np.ndarray, *, grid: float = PRECISION) -> np.ndarray:
    """GeoJSON geometry text for each geometry ("null" for none), RFC 7946 winding."""
    array = np.asarray(geoms, dtype=object)
    oriented = shapely.orient_polygons(shapely.set_precision(array, grid))
    text = shapely.to_geojson(oriented).astype(object)
    text[pd.isna(text)] = "null"
    return text


class Geometries:
    """GeoJSON geometry text of positions given as WKB, as :func:`geometries` writes it, each position made once.

    The memo is emptied when it reaches ``limit`` entries, keeping memory flat.
    """

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.memo: dict[Any, str] = {None: "null"}

    def __call__(self, blobs: Sequence[Any]) -> list[str]:
        memo = self.memo
        new = [b for b in set(blobs) if b not in memo]
        if new:
            if len(memo) + len(new) > self.limit:
                memo.clear()
                memo[None] = "null"
                new = [b for b in set(blobs) if b is not None]
            memo.update(zip(new, geometries(shapely.from_wkb([bytes(b) for b in new])).tolist()))
        return [memo[b] for b in blobs]


_JSON_BOOL = {True: "true", False: "false"}
_LARGEST = sys.float_info.max


def _number(value: Any) -> str:
    if value is None or value != value or value in (math.inf, -math.inf):
        return "null"
    return repr(round(float(value), 10))


def _text(value: Any) -> str:
    if value is None:
        return "null"
    return encode_basestring(value) if value.__class__ is str else json.dumps(value, ensure_ascii=False)


def json_values(kind: str, values: Sequence[Any]) -> list[str]:
    """JSON text of a column of raw store values of ``kind`` (int, float, bool, time, text)."""
    # the common case of each kind inline, the rest through the helpers: a million cells each
    if kind == "int":
        return [str(v) if v.__class__ is int else "null" if v is None else str(int(v)) for v in values]
    if kind == "float":
        return [repr(round(v, 10)) if v.__class__ is float and -_LARGEST <= v <= _LARGEST else _number(v)
                for v in values]
    if kind == "bool":
        return [_JSON_BOOL.get(v, "null") if v is not None else "null" for v in values]
    if kind == "time":
        return ["null" if t is None else '"' + t + '"' for t in time_cells(values)]
    return [encode_basestring(v) if v.__class__ is str else _text(v) for v in values]


def rows_features(names: Sequence[str], kinds: Mapping[str, str], columns: Sequence[Sequence[Any]],
                  shapes: Geometries) -> str:
    """The Features of one chunk held as columns of raw values, as :func:`features_text` makes them."""
    if not columns or not len(columns[0]):
        return ""
    parts, keys = [], []
    geoms = None
    for name, values in zip(names, columns):
        if kinds[name] == "geom":
            geoms = shapes(values)
            continue
        keys.append(json.dumps(name, ensure_ascii=False).replace("%", "%%"))
        parts.append(json_values(kinds[name], values))
    properties = "{" + ",".join(key + ":%s" for key in keys) + "}"
    if geoms is None:
        geoms = ["null"] * len(columns[0])
    if "id" in names and kinds["id"] != "geom":
        ids = parts[[n for n in names if kinds[n] != "geom"].index("id")]
        template = '{"type":"Feature","id":%s,"geometry":%s,"properties":' + properties + "}"
        return SEPARATOR.join([template % row for row in zip(ids, geoms, *parts)])
    template = '{"type":"Feature","geometry":%s,"properties":' + properties + "}"
    return SEPARATOR.join([template % row for row in zip(geoms, *parts)])


def _ids(values: pd.Series) -> list[str]:
    if is_integer_dtype(values.dtype):
        return [("null" if pd.isna(v) else str(int(v))) for v in values.to_numpy(dtype=object)]
    return [json.dumps(v, ensure_ascii=False) for v in values.to_numpy(dtype=object)]


def features_text(frame: pd.DataFrame) -> str:
    """The Features of one chunk, separated by :data:`SEPARATOR` (no leading or trailing one)."""
    if frame.empty:
        return ""
    props = with_times_as_text(frame.drop(columns=["geom"]) if "geom" in frame.columns else frame)
    lines = props.to_json(orient="records", lines=True, force_ascii=False, double_precision=10).split("\n")
    lines = lines[:len(frame)]
    geoms = geometries(frame["geom"].to_numpy(dtype=object)) if "geom" in frame.columns \
        else np.full(len(frame), "null", dtype=object)
    if "id" in frame.columns:
        ids = _ids(frame["id"])
        parts = ['{"type":"Feature","id":' + i + ',"geometry":' + g + ',"properties":' + p + "}"
                 for i, g, p in zip(ids, geoms, lines)]
    else:
        parts = ['{"type":"Feature","geometry":' + g + ',"properties":' + p + "}" for g, p in zip(geoms, lines)]
    return SEPARATOR.join(parts)
