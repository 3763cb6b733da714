"""The real prefecture and county boundaries the demo is generated inside.

Bundled with the package (WGS 84, converted from GCJ-02) and checked before
use, because everything else is placed relative to them.
"""
from __future__ import annotations

import json
from importlib import resources

import geopandas as gpd
import pandas as pd
import shapely

from relief.domain.demo.incidents import _ALL_INCIDENT_SPECS
from relief.domain.geo import WGS84_CRS

ADMIN_RESOURCE = "enshi_admin.geojson"
ADMIN_DATUM_NOTE = "WGS84 (converted from GCJ-02)"


def load_admin() -> gpd.GeoDataFrame:
    """The bundled prefecture and county boundaries (WGS 84), read as a package resource.

    Read with ``json`` + shapely rather than a GDAL driver so codes stay
    strings and nothing outside the package is touched.
    """
    text = resources.files("relief.data").joinpath(ADMIN_RESOURCE).read_text("utf-8")
    features = json.loads(text)["features"]
    rows = [dict(f["properties"], geometry=shapely.geometry.shape(f["geometry"])) for f in features]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84_CRS)


def _checked_admin(admin: gpd.GeoDataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """The prefecture row and the counties (indexed by code), after checking what we rely on."""
    if admin.crs is None or not admin.crs.equals(WGS84_CRS):
        raise ValueError("admin boundaries must be in EPSG:4326 (WGS 84); convert GCJ-02 first")
    for column in ("adcode", "name_zh", "name_en", "level"):
        if column not in admin.columns:
            raise ValueError(f"admin boundaries lack the column {column!r}")
    frame = admin.assign(adcode=admin["adcode"].astype(str)).sort_values("adcode", kind="stable")
    prefecture = frame[frame["level"] == "prefecture"]
    counties = frame[frame["level"] == "county"].set_index("adcode", drop=False)
    if len(prefecture) != 1 or len(counties) == 0:
        raise ValueError("admin boundaries need one prefecture and at least one county")
    missing = sorted({spec["county"] for spec in _ALL_INCIDENT_SPECS} - set(counties.index))
    if missing:
        raise ValueError(f"the demo incidents need the Enshi counties {missing}; pass load_admin()")
    return prefecture.iloc[0], counties
