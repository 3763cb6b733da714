"""What the incidents did to the households: house damage and how long ago trouble began.

Both read each incident's reach (distance to its footprint), so they live
together; the ledger uses the hours to date past distributions.
"""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from relief.domain.demo.incidents import _INCIDENT_SPECS
from relief.domain.vocabulary import HOUSE_DAMAGE

DAMAGE = np.array(HOUSE_DAMAGE, dtype=object)  # severity 0..3 is the index


def _damage(rng: np.random.Generator, xy_m: np.ndarray, incidents_m: list[BaseGeometry]) -> tuple[np.ndarray, dict]:
    """House damage (0..3) from every incident, worst one wins; plus each incident's reach."""
    n = len(xy_m)
    pts = shapely.points(xy_m)
    severity = np.zeros(n, dtype=np.int64)
    reach: dict[str, np.ndarray] = {}
    background = rng.random(n) < 0.015
    severity = np.maximum(severity, np.where(background, rng.choice([1, 2, 3], n, p=[0.8, 0.17, 0.03]), 0))
    zone_p = {"landslide": [0.10, 0.25, 0.35, 0.30], "hail": [0.45, 0.45, 0.09, 0.01],
              "snow": [0.60, 0.32, 0.07, 0.01]}
    point_p = {"flood": (900.0, 0.75, [0.65, 0.27, 0.08]), "debris": (450.0, 0.85, [0.35, 0.35, 0.30])}
    for spec, geom in zip(_INCIDENT_SPECS, incidents_m):
        key = spec["key"]
        distance = shapely.distance(pts, geom)
        reach[key] = distance
        if key in zone_p:
            draw = rng.choice(4, n, p=zone_p[key])
            severity = np.maximum(severity, np.where(distance == 0, draw, 0))
        else:
            scale, top, p = point_p[key]
            hit = rng.random(n) < top * np.exp(-distance / scale)
            severity = np.maximum(severity, np.where(hit, rng.choice([1, 2, 3], n, p=p), 0))
    return severity, reach


def _affected_hours(reach: dict[str, np.ndarray], severity: np.ndarray) -> np.ndarray:
    """Hours since each household's trouble began: its nearest incident's age, else five days."""
    hours = np.full(len(severity), 120.0)
    near = {"landslide": 0.0, "hail": 0.0, "snow": 0.0, "flood": 2500.0, "debris": 1500.0}
    for spec in _INCIDENT_SPECS:
        hit = reach[spec["key"]] <= near[spec["key"]]
        hours = np.where(hit, np.minimum(hours, spec["hours_ago"]), hours)
    return hours
