"""Seeded geometry helpers: sampling points, Voronoi cells and partitions, hazard ellipses.

Separate from what is built with them so each builder only says *where*; the
sampling here consumes the generator in a fixed order, which keeps every
part reproducible.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from relief.domain.geo import project_xy

LLOYD_STEPS = 2  # relaxation steps: evens out the cells without a slow optimiser


def _multi(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal part of ``geom`` as a MultiPolygon (areas are always multi)."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        for p in shapely.get_parts(geom):
            if isinstance(p, MultiPolygon):
                parts.extend(p.geoms)
    return MultiPolygon(parts)


def _metres_per_degree(lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Local (lon, lat) scale: good to 0.1 % over a few kilometres, enough for scattering."""
    rad = np.radians(lat)
    return 111_320.0 * np.cos(rad), np.full_like(rad, 110_574.0)


def _uniform_in(region: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (lon, lat) uniformly inside ``region``, by rejection from its bounds."""
    minx, miny, maxx, maxy = region.bounds
    shapely.prepare(region)
    fill = max(region.area / ((maxx - minx) * (maxy - miny)), 0.02)
    out = np.empty((0, 2))
    while len(out) < n:
        m = int((n - len(out)) / fill * 1.3) + 16
        cand = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        out = np.vstack([out, cand[shapely.contains_xy(region, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _near(region: BaseGeometry, centre: tuple[float, float], sigma_m: float, rng: np.random.Generator,
          avoid: BaseGeometry | None = None, min_m: float = 0.0) -> tuple[float, float]:
    """One point scattered around ``centre`` that falls inside ``region`` (and outside ``avoid``)."""
    kx, ky = _metres_per_degree(centre[1])
    for attempt in range(200):
        spread = sigma_m * (1.0 + attempt / 40.0)
        dx, dy = rng.normal(0.0, spread, 2)
        if math.hypot(dx, dy) < min_m:
            continue
        lon, lat = centre[0] + dx / kx, centre[1] + dy / ky
        if shapely.contains_xy(region, lon, lat) and (avoid is None or not shapely.contains_xy(avoid, lon, lat)):
            return float(lon), float(lat)
    point = region.representative_point()
    return point.x, point.y


def _projected(points) -> np.ndarray:
    """UTM 49N metres (n×2) of an array of WGS 84 points."""
    lonlat = shapely.get_coordinates(np.asarray(points, dtype=object))
    return np.column_stack(project_xy(lonlat[:, 0], lonlat[:, 1])).reshape(-1, 2)


def _cells(region: MultiPolygon, seeds: np.ndarray) -> list[MultiPolygon]:
    """Voronoi cells of ``seeds`` clipped to ``region``, in seed order.

    The diagram is built with longitude scaled by cos(latitude) so cells are
    round on the ground, then scaled back before clipping: the clip itself
    happens in the region's own coordinates, so cells tile it exactly.
    """
    k = math.cos(math.radians(float(np.mean(seeds[:, 1]))))
    minx, miny, maxx, maxy = region.bounds
    pad = max(maxx - minx, maxy - miny)
    frame = shapely.box((minx - pad) * k, miny - pad, (maxx + pad) * k, maxy + pad)
    scaled = MultiPoint(np.column_stack([seeds[:, 0] * k, seeds[:, 1]]))
    diagram = shapely.voronoi_polygons(scaled, extend_to=frame, ordered=True)
    raw = shapely.get_parts(diagram)
    back = shapely.transform(raw, lambda c: np.column_stack([c[:, 0] / k, c[:, 1]]))
    return [_multi(c) for c in shapely.intersection(back, region)]


def _partition(region: MultiPolygon, n: int, rng: np.random.Generator,
               first: tuple[float, float] | None = None) -> tuple[np.ndarray, list[MultiPolygon]]:
    """``n`` evenly sized cells covering ``region`` and their centres (seed points).

    Seeds start uniform and take :data:`LLOYD_STEPS` Lloyd steps; ``first``
    (e.g. a county seat) is kept fixed so one cell is centred on it. Cells
    come back ordered by distance from the first seed: the seat's cell is 001.
    """
    seeds = _uniform_in(region, n, rng)
    if first is not None:
        seeds[0] = first
    for _ in range(LLOYD_STEPS):
        cells = _cells(region, seeds)
        for i, cell in enumerate(cells):
            if first is not None and i == 0:
                continue
            c = cell.centroid
            p = c if region.contains(c) and cell.contains(c) else cell.representative_point()
            seeds[i] = (p.x, p.y)
    cells = _cells(region, seeds)
    k = math.cos(math.radians(float(seeds[0, 1])))
    order = np.argsort(np.hypot((seeds[:, 0] - seeds[0, 0]) * k, seeds[:, 1] - seeds[0, 1]), kind="stable")
    return seeds[order], [cells[i] for i in order]


def _ellipse(centre_xy: tuple[float, float], a: float, b: float, angle_deg: float,
             rng: np.random.Generator, wobble: float = 0.15, vertices: int = 48) -> Polygon:
    """A slightly irregular ellipse in projected metres (a natural-looking hazard zone)."""
    t = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    phases = rng.uniform(0, 2 * np.pi, 3)
    r = 1.0 + wobble * (0.6 * np.sin(3 * t + phases[0]) + 0.3 * np.sin(5 * t + phases[1])
                        + 0.1 * np.sin(7 * t + phases[2]))
    x, y = a * r * np.cos(t), b * r * np.sin(t)
    th = np.radians(angle_deg)
    xr, yr = x * np.cos(th) - y * np.sin(th), x * np.sin(th) + y * np.cos(th)
    return Polygon(np.column_stack([xr + centre_xy[0], yr + centre_xy[1]]))


def _locate(tree: shapely.STRtree, xy: np.ndarray) -> np.ndarray:
    """Index of the tree polygon strictly containing each point, or -1."""
    out = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0:
        return out
    pairs = tree.query(shapely.points(xy), predicate="within")
    first_point, first_at = np.unique(pairs[0], return_index=True)
    out[first_point] = pairs[1][first_at]
    return out
