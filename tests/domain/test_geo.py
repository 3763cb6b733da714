"""GCJ-02 ⇄ WGS 84 conversion and the projection helpers."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, LinearRing, MultiPolygon, Point, Polygon, mapping

from relief.domain.geo import (
    PROJECTED_CRS,
    distance_km,
    gcj02_to_wgs84,
    geometry_gcj02_to_wgs84,
    rfc7946_mapping,
    to_projected,
    wgs84_to_gcj02,
)

# Published reference pairs (WGS 84 lon, lat → GCJ-02 lon, lat) of the public formula.
KNOWN = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]
ENSHI_CITY = (109.486, 30.283)


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_forward_matches_reference_points(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-7)
    assert lat == pytest.approx(gcj[1], abs=1e-7)


@pytest.mark.parametrize(("wgs", "gcj"), KNOWN)
def test_inverse_recovers_reference_points_within_half_a_metre(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert distance_km(lon, lat, *wgs) * 1000 < 0.5


def test_round_trip_over_china_is_below_half_a_metre():
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(74, 134, 5000), rng.uniform(19, 53, 5000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert isinstance(back[0], np.ndarray) and back[0].shape == lon.shape
    assert np.max(distance_km(back[0], back[1], lon, lat)) * 1000 < 0.5


def test_offset_in_enshi_is_a_few_hundred_metres():
    gcj = wgs84_to_gcj02(*ENSHI_CITY)
    offset_m = distance_km(*gcj, *ENSHI_CITY) * 1000
    assert 300 < offset_m < 800


def test_outside_china_is_left_alone():
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)  # Paris
    assert wgs84_to_gcj02(-74.0, 40.7) == (-74.0, 40.7)


def test_scalars_give_floats():
    lon, lat = gcj02_to_wgs84(*ENSHI_CITY)
    assert type(lon) is float and type(lat) is float


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        gcj02_to_wgs84(np.zeros(3), np.zeros(2))


def test_geometry_keeps_its_shape_and_moves_every_vertex():
    ring = [(109.40, 30.20), (109.50, 30.20), (109.50, 30.30), (109.40, 30.30), (109.40, 30.20)]
    hole = [(109.44, 30.24), (109.46, 30.24), (109.46, 30.26), (109.44, 30.24)]
    geom = MultiPolygon([Polygon(ring, [hole]), Polygon([(109.6, 30.2), (109.7, 30.2), (109.65, 30.3)])])
    moved = geometry_gcj02_to_wgs84(geom)
    assert moved.geom_type == "MultiPolygon"
    assert len(moved.geoms) == 2 and len(moved.geoms[0].interiors) == 1
    assert shapely.get_num_coordinates(moved) == shapely.get_num_coordinates(geom)
    assert moved.is_valid
    before, after = shapely.get_coordinates(geom), shapely.get_coordinates(moved)
    expected = np.column_stack(gcj02_to_wgs84(before[:, 0], before[:, 1]))
    np.testing.assert_allclose(after, expected, rtol=0, atol=1e-12)
    # the offset is nearly a translation at this scale: the area barely changes
    assert moved.area == pytest.approx(geom.area, rel=1e-3)


def test_to_projected_uses_utm_49n_and_refuses_a_frame_without_crs():
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"name": ["a", "b"]},
                             geometry=[Point(109.48, 30.28), Point(109.49, 30.28)], crs="EPSG:4326")
    projected = to_projected(frame)
    assert projected.crs.to_string() == PROJECTED_CRS
    metres = projected.geometry.iloc[0].distance(projected.geometry.iloc[1])
    assert metres == pytest.approx(distance_km(109.48, 30.28, 109.49, 30.28) * 1000, rel=5e-3)
    with pytest.raises(ValueError):
        to_projected(frame.set_crs(None, allow_override=True))


def test_distance_km_is_vectorised():
    d = distance_km(np.array([109.0, 109.0]), np.array([30.0, 30.0]), np.array([109.0, 110.0]), np.array([31.0, 30.0]))
    assert d.shape == (2,)
    assert d[0] == pytest.approx(111.2, abs=0.2)
    assert d[1] == pytest.approx(96.3, abs=0.3)


def rings(geojson: dict) -> list[tuple[bool, bool]]:
    """(is exterior, is counter-clockwise) for every polygon ring in a GeoJSON geometry object."""
    kind = geojson["type"]
    if kind == "GeometryCollection":
        return [r for part in geojson["geometries"] for r in rings(part)]
    polygons = {"Polygon": [geojson["coordinates"]], "MultiPolygon": geojson["coordinates"]}.get(kind, [])
    return [(i == 0, LinearRing(ring).is_ccw) for polygon in polygons for i, ring in enumerate(polygon)]


def test_rfc7946_mapping_winds_exteriors_counter_clockwise_and_holes_clockwise():
    clockwise = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)], [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4), (0.2, 0.4)]])
    assert rings(mapping(clockwise)) == [(True, False), (False, True)]  # wound the wrong way to start with
    shifted = Polygon([(5, 0), (5, 1), (6, 1), (6, 0)])
    for geom in (clockwise, MultiPolygon([clockwise, shifted]), GeometryCollection([clockwise, Point(3, 3)])):
        found = rings(rfc7946_mapping(geom))
        assert found and all(is_ccw == is_exterior for is_exterior, is_ccw in found)
    assert rfc7946_mapping(Point(1, 2)) == {"type": "Point", "coordinates": (1.0, 2.0)}
    assert rfc7946_mapping(None) is None
