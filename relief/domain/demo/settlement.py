"""Where households live: a seeded mixture of clusters, kept strictly inside villages.

Split from who the households are so the spatial model (and its redraw loop)
can be read and tuned on its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon

from relief.domain.demo.geometry import _locate, _metres_per_degree, _multi, _uniform_in
from relief.domain.demo.incidents import _INCIDENT_SPECS
from relief.domain.geo import geometry_to_projected

# Where households live: shares of the total, by kind of cluster.
SHARE_SEAT, SHARE_TOWNSHIP, SHARE_VILLAGE, SHARE_SCATTERED = 0.16, 0.24, 0.42, 0.10
SEAT_SIGMA_M, TOWNSHIP_SIGMA_M, VILLAGE_SIGMA_FACTOR = 1500.0, 900.0, 0.22


def _household_points(n: int, rng: np.random.Generator, counties: pd.DataFrame, townships: pd.DataFrame,
                      villages: pd.DataFrame, incidents: pd.DataFrame,
                      prefecture: MultiPolygon) -> tuple[np.ndarray, np.ndarray]:
    """Positions (lon, lat) and village row index for ``n`` households.

    A mixture: an urban cluster at each county seat, clusters at township and
    village centres, a scattered share, and the people living where the
    incidents struck (so the demo has someone to evacuate). Points are kept
    only where they fall strictly inside a village *and* its county.
    """
    seats = townships[townships["seat"]]
    others = townships[~townships["seat"]]
    v_area = shapely.area(geometry_to_projected(villages["geom"].values))
    county_area = shapely.area(geometry_to_projected(seats["parent_code"].map(counties.geometry).values))

    centres, sigmas, weights = [], [], []

    def add(points, sigma, w, share):
        w = np.asarray(w, dtype=float)
        centres.append(np.asarray(points, dtype=float).reshape(-1, 2))
        sigmas.append(np.broadcast_to(np.asarray(sigma, dtype=float), (len(w),)))
        weights.append(w / w.sum() * share)

    add(list(seats["centre"]), SEAT_SIGMA_M, county_area, SHARE_SEAT)
    add(list(others["centre"]), TOWNSHIP_SIGMA_M, rng.lognormal(0, 0.4, len(others)), SHARE_TOWNSHIP)
    add(list(villages["centre"]), VILLAGE_SIGMA_FACTOR * np.sqrt(v_area),
        np.sqrt(v_area) * rng.lognormal(0, 0.5, len(villages)), SHARE_VILLAGE)
    spot = [(s, g) for s, g in zip(_INCIDENT_SPECS, incidents["geom"]) if s["shape"][0] == "point"]
    zone = [(s, g) for s, g in zip(_INCIDENT_SPECS, incidents["geom"]) if s["shape"][0] != "point"]
    if spot:
        add([s["centre"] for s, _ in spot], [s["shape"][1] for s, _ in spot],
            [s["exposure"] for s, _ in spot], sum(s["exposure"] for s, _ in spot))

    uniform_regions = [prefecture] + [g for _, g in zone]
    uniform_shares = [SHARE_SCATTERED] + [s["exposure"] for s, _ in zone]
    gauss_shares = np.concatenate(weights)
    probs = np.concatenate([gauss_shares, uniform_shares])
    counts = rng.multinomial(n, probs / probs.sum())

    g_counts = counts[: len(gauss_shares)]
    comp = np.repeat(np.arange(len(gauss_shares)), g_counts)
    g_centre = np.concatenate(centres)[comp]
    g_sigma = np.concatenate(sigmas)[comp]
    kx, ky = _metres_per_degree(g_centre[:, 1])

    def scatter(idx: np.ndarray) -> np.ndarray:
        noise = rng.normal(0.0, 1.0, (len(idx), 2)) * g_sigma[idx, None]
        return g_centre[idx] + noise / np.column_stack([kx[idx], ky[idx]])

    xy_parts = [scatter(np.arange(len(comp)))]
    for region, k in zip(uniform_regions, counts[len(gauss_shares):]):
        xy_parts.append(_uniform_in(region, int(k), rng))
    xy = np.vstack(xy_parts)
    redraw_gauss = np.arange(len(xy)) < len(comp)

    tree = shapely.STRtree(villages["geom"].values)
    county_geoms = {code: _multi(counties.loc[code].geometry) for code in counties.index}
    village_county = villages["parent_code"].str[:6].to_numpy()
    where = np.full(len(xy), -1, dtype=np.int64)
    todo = np.arange(len(xy))
    for _ in range(60):
        found = _locate(tree, xy[todo])
        ok = found >= 0
        for code, geom in county_geoms.items():
            mine = ok & (village_county[np.maximum(found, 0)] == code)
            if mine.any():
                ok[mine] = shapely.contains_xy(geom, xy[todo[mine], 0], xy[todo[mine], 1])
        where[todo[ok]] = found[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
        g = todo[redraw_gauss[todo]]
        xy[g] = scatter(g)
        u = todo[~redraw_gauss[todo]]  # a uniform point on a boundary: draw it anew anywhere
        if len(u):
            xy[u] = _uniform_in(prefecture, len(u), rng)
    if len(todo):  # practically unreachable: every cluster centre lies inside a village
        raise RuntimeError(f"could not place {len(todo)} households inside a village")
    return xy, where
