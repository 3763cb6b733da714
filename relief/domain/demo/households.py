"""The households table: placed, composed, damaged, evacuated and checked into sites.

Assembles :mod:`settlement`, :mod:`people` and :mod:`damage`, then shelters
evacuees in the nearest open site with room, never over capacity.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from relief.domain.demo.damage import DAMAGE, _affected_hours, _damage
from relief.domain.demo.frames import _with_none
from relief.domain.demo.geometry import _projected
from relief.domain.demo.incidents import _INCIDENT_SPECS
from relief.domain.demo.names import _person_names
from relief.domain.demo.people import _assistance, _composition, _id_numbers
from relief.domain.demo.settlement import _household_points
from relief.domain.geo import geometry_to_projected, project_xy
from relief.domain.vocabulary import DISPERSED_KINDS


def _check_in(want_site: np.ndarray, members: np.ndarray, xy_m: np.ndarray,
              sites: pd.DataFrame, sites_xy_m: np.ndarray) -> np.ndarray:
    """Site index per household (-1 if none): nearest open site with room, never over capacity."""
    out = np.full(len(members), -1, dtype=np.int64)
    open_idx = np.flatnonzero(sites["status"].to_numpy() == "open")
    if len(open_idx) == 0 or not want_site.any():
        return out
    room = sites["capacity_persons"].to_numpy().astype(np.int64).copy()
    tree = cKDTree(sites_xy_m[open_idx])
    who = np.flatnonzero(want_site)
    k = min(12, len(open_idx))
    dist, near = tree.query(xy_m[who], k=k, distance_upper_bound=30_000.0)
    near = np.asarray(near).reshape(len(who), k)
    for row, h in enumerate(who):
        for j in near[row]:
            if j >= len(open_idx):
                break
            s = open_idx[j]
            if room[s] >= members[h]:
                room[s] -= members[h]
                out[h] = s
                break
    return out


def _build_households(n: int, rng: np.random.Generator, counties, townships, villages, incidents, sites,
                      prefecture, year_now: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The households frame, and the hours since each one's trouble began (for the ledger)."""
    xy, where = _household_points(n, rng, counties, townships, villages, incidents, prefecture)
    village_code = villages["code"].to_numpy()[where]
    order = np.lexsort((xy[:, 0], -xy[:, 1], where))  # by village, then north to south
    xy, village_code = xy[order], village_code[order]
    width = max(6, len(str(n)))
    serial = np.arange(1, n + 1)
    ids = np.asarray([f"HH{i:0{width}d}" for i in serial], dtype=object)

    c = _composition(rng, n)
    all_elderly = c["elderly"] == c["members"]
    ages = np.where(all_elderly, rng.integers(62, 91, n), rng.integers(24, 71, n))

    xy_m = np.column_stack(project_xy(xy[:, 0], xy[:, 1]))
    incidents_m = list(geometry_to_projected(incidents["geom"].values))
    severity, reach = _damage(rng, xy_m, incidents_m)
    in_danger_zone = np.zeros(n, dtype=bool)
    for spec in _INCIDENT_SPECS:
        if spec["evacuate"]:
            in_danger_zone |= reach[spec["key"]] == 0
    u = rng.random((3, n))
    evacuated = (in_danger_zone | (severity == 3) | ((severity == 2) & (u[0] < 0.6))
                 | ((reach["flood"] < 600) & (u[1] < 0.35)) | ((reach["debris"] < 300) & (u[2] < 0.8)))
    injured = np.where(severity >= 2, rng.binomial(c["members"], 0.08),
                       np.where(severity == 1, rng.binomial(c["members"], 0.01), 0))

    preference = rng.choice(np.array(["site", "dispersed", "none"], dtype=object), n, p=[0.6, 0.36, 0.04])
    dispersed_kind = rng.choice(np.array(DISPERSED_KINDS, dtype=object), n, p=[0.65, 0.25, 0.10])
    sites_xy_m = _projected(sites["geom"])
    site_idx = _check_in(evacuated & (preference == "site"), c["members"], xy_m, sites, sites_xy_m)
    shelter = np.where(~evacuated, "home", np.where(site_idx >= 0, "site",
                       np.where(preference == "dispersed", "dispersed", "none"))).astype(object)
    site_id = np.where(site_idx >= 0, sites["id"].to_numpy()[np.maximum(site_idx, 0)], None).astype(object)
    dispersed = np.where(shelter == "dispersed", dispersed_kind, None).astype(object)

    assistance = _assistance(rng, c)
    needs_aid = evacuated | (severity >= 2) | ((assistance != None) & (severity >= 1)) | (injured > 0)  # noqa: E711

    frame = pd.DataFrame({
        "id": ids,
        "head_name": _person_names(rng, n),
        "id_number": _id_numbers(rng, ages, serial, year_now),
        "phone": np.asarray([f"100{i:08d}" for i in serial], dtype=object),  # no mobile number starts 100
        "members": c["members"], "infants": c["infants"], "children": c["children"],
        "elderly": c["elderly"], "disabled": c["disabled"], "chronic": c["chronic"],
        "pregnant": c["pregnant"], "injured": injured,
        "village_code": village_code, "county_code": np.asarray([v[:6] for v in village_code], dtype=object),
        "house_damage": DAMAGE[severity], "assistance_category": assistance,
        "needs_living_aid": needs_aid, "evacuated": evacuated, "shelter": shelter,
        "site_id": site_id, "dispersed_kind": dispersed,
        "geom": shapely.points(xy),
    })
    return _with_none(frame, "assistance_category", "site_id", "dispersed_kind"), _affected_hours(reach, severity)
