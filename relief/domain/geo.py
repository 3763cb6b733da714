"""Datums and distances for the demo region.

Chinese web maps (AMap, Tencent) publish coordinates in GCJ-02, an
obfuscated datum that sits a few hundred metres off WGS 84. Relief keeps
every layer in WGS 84 at its edges (API, GeoJSON, Leaflet on OSM tiles,
phone GPS), so anything taken from a GCJ-02 source is converted once, here,
before it is mixed with GPS positions. Distances and areas are computed in a
projected CRS (UTM 49N covers the whole of Enshi prefecture).

The forward GCJ-02 offset is the public closed-form approximation; its
inverse has no closed form, so :func:`gcj02_to_wgs84` solves it with a few
fixed-point iterations (error well below a centimetre inside China).

Every GeoJSON geometry the app emits goes through :func:`rfc7946_mapping`,
which winds polygon rings as RFC 7946 asks (exterior counter-clockwise).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping

WGS84_CRS = "EPSG:4326"
PROJECTED_CRS = "EPSG:32649"  # WGS 84 / UTM zone 49N: metres, fine for 108°E–114°E

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_INVERSE_ITERATIONS = 6  # each one shrinks the error by ~1e-5; 6 is far below 1 mm
_EARTH_RADIUS_KM = 6371.0088  # mean radius for great-circle distances


def in_china(lon, lat) -> np.ndarray:
    """Where GCJ-02 applies at all: outside this box it equals WGS 84."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees) at a WGS 84 position; zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y / 30.0 * np.pi)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray, bool]:
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    return lon_a, lat_a, lon_a.ndim == 0


def _out(lon: np.ndarray, lat: np.ndarray, scalar: bool):
    return (float(lon), float(lat)) if scalar else (lon, lat)


def wgs84_to_gcj02(lon, lat):
    """WGS 84 → GCJ-02 (closed form). Scalars give floats, arrays give arrays."""
    lon_a, lat_a, scalar = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    return _out(lon_a + dlon, lat_a + dlat, scalar)


def gcj02_to_wgs84(lon, lat):
    """GCJ-02 → WGS 84 by fixed-point iteration on the forward formula.

    Starting from ``g - offset(g)``, each step corrects by how far the
    forward transform of the estimate misses ``g``. The offset varies slowly
    (~1e-5 per metre), so a fixed number of steps converges everywhere
    without a data-dependent loop.
    """
    lon_g, lat_g, scalar = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon_g, lat_g)
    lon_w, lat_w = lon_g - dlon, lat_g - dlat
    for _ in range(_INVERSE_ITERATIONS):
        dlon, dlat = _gcj_offset(lon_w, lat_w)
        lon_w = lon_w - (lon_w + dlon - lon_g)
        lat_w = lat_w - (lat_w + dlat - lat_g)
    return _out(lon_w, lat_w, scalar)


def geometry_gcj02_to_wgs84(geom):
    """A shapely geometry (or array of them) moved from GCJ-02 to WGS 84; shape kept."""
    def move(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, move)


@lru_cache(maxsize=4)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def project_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lon/lat arrays → UTM 49N metres (x, y)."""
    x, y = _transformer(WGS84_CRS, PROJECTED_CRS).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def unproject_xy(x, y) -> tuple[np.ndarray, np.ndarray]:
    """UTM 49N metres → WGS 84 lon/lat arrays."""
    lon, lat = _transformer(PROJECTED_CRS, WGS84_CRS).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def geometry_to_projected(geom):
    """A WGS 84 shapely geometry (or array) in UTM 49N metres."""
    def move(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(project_xy(coords[:, 0], coords[:, 1]))

    return shapely.transform(geom, move)


def geometry_to_wgs84(geom):
    """A UTM 49N shapely geometry (or array) back in WGS 84 lon/lat."""
    def move(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(unproject_xy(coords[:, 0], coords[:, 1]))

    return shapely.transform(geom, move)


def to_projected(gdf):
    """A GeoDataFrame in :data:`PROJECTED_CRS`; a frame without a CRS is refused.

    Refusing instead of assuming WGS 84 catches a GCJ-02 or already
    projected frame that lost its CRS on the way.
    """
    if gdf.crs is None:
        raise ValueError("GeoDataFrame has no CRS; set it (EPSG:4326 for WGS 84) before projecting")
    return gdf.to_crs(PROJECTED_CRS)


def distance_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km (haversine on the mean sphere), vectorised.

    Within the region the sphere differs from the ellipsoid by < 0.5 %,
    plenty for "is a clinic within 5 km".
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    d = 2.0 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return float(d) if np.ndim(d) == 0 else d


def rfc7946_oriented(geom):
    """``geom`` with RFC 7946's winding: exterior rings counter-clockwise, holes clockwise.

    Polygons inside multi-geometries and collections are oriented too; other
    geometries (points, lines) and None pass through unchanged. Apply it last,
    after any simplification or precision change, which may rewind rings.
    """
    if geom is None or geom.is_empty:
        return geom
    return shapely.orient_polygons(geom)


def rfc7946_mapping(geom) -> dict | None:
    """The GeoJSON geometry object of ``geom`` as RFC 7946 wants it (see :func:`rfc7946_oriented`).

    The one way every GeoJSON the app emits is made; None stays None.
    """
    return None if geom is None else mapping(rfc7946_oriented(geom))
