"""Frame conventions shared by the builders: what the store expects to insert as is.

Nullable text must be ``None`` (not NaN) and geometry columns are ``geom`` in
EPSG:4326; kept in one place so every table follows the same rules.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd

from relief.domain.geo import WGS84_CRS


def _with_none(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Nullable text columns as ``object`` holding ``None`` (pandas would make them NaN)."""
    for column in columns:
        frame[column] = pd.Series([None if pd.isna(v) else v for v in frame[column]], dtype=object,
                                  index=frame.index)
    return frame


def _geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` as a GeoDataFrame on its ``geom`` column, in WGS 84."""
    return gpd.GeoDataFrame(frame, geometry="geom", crs=WGS84_CRS)
