"""Chunks as RFC 7946 GeoJSON text: a FeatureCollection written one chunk of Features at a time (pure).

The Features follow the conventions of ``services/geojson.py`` (the shape of every other GeoJSON
relief serves): geometry on a 1e-6° grid in longitude, latitude order, exterior rings counter-clockwise
(``shapely.orient_polygons``), the row's columns as properties, ``id`` from the row's ``id`` column.
Here they are made in vectorised calls (GEOS writes the geometries, pandas the properties) because
an export may hold millions of rows; a row without a position has ``"geometry": null``.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely
from pandas.api.types import is_integer_dtype

from relief.domain.exports.tables import with_times_as_text

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
