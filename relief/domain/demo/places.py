"""Fixed places: relocation sites, stock depots and health facilities.

Placed near township and county centres (and, for sites and clinics, near
the incidents) so evacuees have somewhere to go and the map looks lived in.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from relief.domain.demo.geometry import _locate, _multi, _near
from relief.domain.demo.incidents import _INCIDENT_SPECS

_SITE_KIND_ZH = {"school": "学校", "gym": "体育馆", "tent_camp": "帐篷营地", "community_centre": "社区服务中心"}
_SITE_CAPACITY = {"school": (150, 500), "gym": (300, 900), "tent_camp": (120, 480), "community_centre": (40, 180)}
_SITE_MEALS_P = {"school": 0.85, "gym": 0.85, "tent_camp": 0.6, "community_centre": 0.5}
# extra sites near each incident: (count, distance from it in metres)
_INCIDENT_SITES = {"landslide": (4, 4000.0), "hail": (2, 6000.0), "snow": (3, 8000.0),
                   "flood": (3, 2500.0), "debris": (2, 3000.0)}


def _build_sites(rng: np.random.Generator, counties, townships, incidents) -> pd.DataFrame:
    """~120 relocation sites: one per township centre, two more per county seat, more near incidents."""
    # keep sites ~500 m clear of any evacuation zone
    danger = shapely.union_all([g for g, e in zip(incidents["geom"], incidents["evacuate"]) if e]).buffer(0.005)
    t_geoms = townships["geom"].to_numpy()
    county_geom = {code: _multi(counties.loc[code].geometry) for code in counties.index}
    planned: list[tuple[str, tuple[float, float]]] = []
    for t in range(len(townships)):
        kind = str(rng.choice(list(_SITE_CAPACITY), p=[0.45, 0.05, 0.15, 0.35]))
        planned.append((kind, _near(t_geoms[t], townships["centre"].iloc[t], 800.0, rng, avoid=danger)))
    for t in np.flatnonzero(townships["seat"].to_numpy()):
        for kind in ("gym", "school"):
            planned.append((kind, _near(t_geoms[t], townships["centre"].iloc[t], 1500.0, rng, avoid=danger)))
    cycle = ("tent_camp", "school", "gym", "community_centre")
    for spec, geom in zip(_INCIDENT_SPECS, incidents["geom"]):
        count, dist = _INCIDENT_SITES[spec["key"]]
        anchor = geom.representative_point() if geom.geom_type != "Point" else geom
        for j in range(count):
            planned.append((cycle[j % len(cycle)], _near(county_geom[spec["county"]], (anchor.x, anchor.y), dist,
                                                         rng, avoid=danger, min_m=dist * 0.3)))
    n_extra_incident = sum(c for c, _ in _INCIDENT_SITES.values())
    xy = np.array([p for _, p in planned])
    t_idx = _locate(shapely.STRtree(t_geoms), xy)
    if (t_idx < 0).any():
        raise RuntimeError("a site fell outside every township")
    kinds = np.array([k for k, _ in planned], dtype=object)
    n = len(planned)
    lo = np.array([_SITE_CAPACITY[k][0] for k in kinds])
    hi = np.array([_SITE_CAPACITY[k][1] for k in kinds])
    capacity = (np.round(rng.uniform(lo, hi) / 10) * 10).astype(np.int64)
    near_incident = np.arange(n) >= n - n_extra_incident
    status = np.where(near_incident | (rng.random(n) >= 0.08), "open", "closed").astype(object)
    frame = pd.DataFrame({
        "kind": kinds,
        "county_code": townships["parent_code"].to_numpy()[t_idx],
        "township_code": townships["code"].to_numpy()[t_idx],
        "township_name": townships["name_zh"].to_numpy()[t_idx],
        "capacity_persons": capacity,
        # nominal capacity is not Sphere space: sites opened in haste for an incident are packed
        "covered_area_m2": np.round(capacity * np.where(near_incident, rng.uniform(1.8, 3.2, n),
                                                        rng.uniform(2.8, 5.5, n)), 0),
        "water_l_per_day": np.round(capacity * rng.uniform(5.0, 20.0, n), -2),
        "provides_meals": rng.random(n) < np.array([_SITE_MEALS_P[k] for k in kinds]),
        "medical_post": rng.random(n) < np.where(near_incident, 0.7, 0.3),
        "status": status,
        "geom": shapely.points(xy),
        "_order": np.arange(n),
    }).sort_values(["county_code", "township_code", "_order"], kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"S{i:03d}" for i in range(1, len(frame) + 1)])
    suffix = frame.groupby(["township_code", "kind"], sort=False).cumcount()
    frame.insert(1, "name", [f"{t}{_SITE_KIND_ZH[k]}安置点" + (f"{s + 1}" if s else "")
                             for t, k, s in zip(frame["township_name"], frame["kind"], suffix)])
    return frame.drop(columns=["township_name", "_order"])


def _build_depots(rng: np.random.Generator, counties, townships) -> pd.DataFrame:
    """The prefecture depot in Enshi City and one depot per county, near the seats."""
    seats = townships[townships["seat"]].set_index("parent_code")
    rows = []
    pref_county = "422801" if "422801" in seats.index else seats.index[0]
    rows.append(dict(name="恩施州救灾物资储备库", kind="prefecture", county_code=pref_county,
                     geom=Point(_near(seats.loc[pref_county, "geom"], seats.loc[pref_county, "centre"], 2000.0, rng))))
    for code in counties.index:
        rows.append(dict(name=f"{counties.loc[code, 'name_zh']}救灾物资储备库", kind="county", county_code=code,
                         geom=Point(_near(seats.loc[code, "geom"], seats.loc[code, "centre"], 1000.0, rng))))
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"D{i:02d}" for i in range(1, len(frame) + 1)])
    return frame


def _build_facilities(rng: np.random.Generator, counties, townships, villages, incidents) -> pd.DataFrame:
    """Hospitals at the seats, a health centre per rural township, clinics in struck villages.

    A few are out of action: the clinics inside a danger zone or next to a
    debris flow, and two health centres under the snow (no power).
    """
    rows = []
    seats = townships[townships["seat"]].set_index("parent_code")
    if "422801" in seats.index:
        rows.append(dict(name="恩施州中心医院", kind="hospital", county_code="422801", struck=False,
                         geom=_near(seats.loc["422801", "geom"], seats.loc["422801", "centre"], 1200.0, rng)))
    for code in counties.index:
        rows.append(dict(name=f"{counties.loc[code, 'name_zh']}人民医院", kind="hospital", county_code=code,
                         struck=False, geom=_near(seats.loc[code, "geom"], seats.loc[code, "centre"], 1200.0, rng)))
    for _, t in townships[~townships["seat"]].iterrows():
        rows.append(dict(name=f"{t['name_zh']}卫生院", kind="health_centre", county_code=t["parent_code"],
                         struck=False, geom=_near(t["geom"], t["centre"], 300.0, rng)))
    v_tree = shapely.STRtree(villages["geom"].values)
    for spec, geom in zip(_INCIDENT_SPECS, incidents["geom"]):
        anchor = geom.representative_point() if geom.geom_type != "Point" else geom
        nearest = v_tree.query_nearest(anchor, all_matches=False)
        v_near = v_tree.query(anchor.buffer(0.03), predicate="intersects")
        picks = [int(nearest[0])] + [int(i) for i in np.sort(v_near) if int(i) != int(nearest[0])][:1]
        for i in picks:
            v = villages.iloc[i]
            at = (anchor.x, anchor.y) if i == int(nearest[0]) else v["centre"]
            town = townships.loc[townships["code"] == v["parent_code"], "name_zh"].iloc[0]
            rows.append(dict(name=f"{town}{v['name_zh']}卫生室", kind="clinic", county_code=v["parent_code"][:6],
                             geom=_near(v["geom"], at, 150.0, rng), struck=(i == int(nearest[0])
                                                                           and spec["key"] in ("landslide", "debris"))))
    frame = pd.DataFrame(rows)
    frame["geom"] = [Point(p) for p in frame["geom"]]
    rank = frame["kind"].map({"hospital": 0, "health_centre": 1, "clinic": 2})
    frame = frame.assign(_rank=rank, _order=np.arange(len(frame)))
    frame = frame.sort_values(["county_code", "_rank", "_order"], kind="stable").reset_index(drop=True)
    snow = incidents.loc[incidents["kind"] == "snow_ice", "geom"]
    operating = ~frame["struck"].to_numpy()
    if len(snow):
        under_snow = np.flatnonzero((frame["kind"] == "health_centre").to_numpy()
                                    & shapely.intersects(frame["geom"].values, snow.iloc[0]))
        operating[under_snow[:2]] = False
    frame["operating"] = operating
    frame.insert(0, "id", [f"F{i:03d}" for i in range(1, len(frame) + 1)])
    return frame.drop(columns=["struck", "_rank", "_order"])
