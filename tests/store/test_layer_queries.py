"""bbox filtering matches shapely's own intersection test, on both stores."""
from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Point, box

from relief.store import layer_queries
from relief.store.tables import Area, Facility


@pytest.fixture
def scattered(store):
    rng = np.random.default_rng(7)
    points = {f"F{i:03d}": Point(rng.uniform(108.5, 110.5), rng.uniform(29.2, 31.3)) for i in range(300)}
    squares = {}
    for i in range(60):
        x, y, size = rng.uniform(108.5, 110.3), rng.uniform(29.2, 31.1), rng.uniform(0.02, 0.3)
        # a thin diagonal L-shape: its bbox overlaps windows its body misses
        shape = box(x, y, x + size, y + size / 10).union(box(x + size - size / 10, y, x + size, y + size))
        squares[f"A{i:03d}"] = MultiPolygon([shape])
    with store.write() as session:
        session.add_all(Facility(id=k, name=k, kind="clinic", operating=True, geom=g) for k, g in points.items())
        session.add_all(Area(code=k, name_zh=k, name_en=k, level="village", geom=g) for k, g in squares.items())
    return points, squares


@pytest.mark.parametrize("window", [(109.0, 29.8, 109.6, 30.4), (108.0, 29.0, 111.0, 32.0),
                                    (110.45, 31.25, 110.5, 31.3)])
def test_bbox_filter_is_exact(store, scattered, window):
    points, squares = scattered
    query = box(*window)
    with store.read() as session:
        got_points = {f.id for f in layer_queries.facilities(session, bbox=window, limit=10_000).rows}
        got_areas = {a.code for a in layer_queries.areas(session, bbox=window, limit=10_000).rows}
    assert got_points == {k for k, g in points.items() if g.intersects(query)}
    assert got_areas == {k for k, g in squares.items() if g.intersects(query)}


def test_paging_walks_every_feature_once(store, scattered):
    points, _ = scattered
    seen, offset = [], 0
    with store.read() as session:
        while offset is not None:
            page = layer_queries.facilities(session, offset=offset, limit=70)
            seen += [f.id for f in page.rows]
            assert page.total == len(points)
            offset = page.next_offset
    assert sorted(seen) == sorted(points) and len(seen) == len(set(seen))
