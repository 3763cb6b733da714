"""Who must leave home, where they could go, and how far the room stretches.

:func:`propose_assignment` places households that must leave home at open
relocation sites. The rules, in order of precedence:

1. never over a site's ``capacity_persons`` (existing occupancy counts);
2. a village (``village_code``) stays together when one of its
   ``candidates`` nearest open sites has room for all of it: the nearest
   such site takes it whole. The bound keeps a village from being sent
   across the prefecture merely to stay together;
3. otherwise its households go to the nearest sites with room, nearest
   first, so the village is cut into as few, as near pieces as the room
   allows;
4. big villages choose first (they are the hardest to keep together), ties
   by household_id, so the same input always gives the same proposal
   whatever its row order.

Distances are straight lines in UTM 49N (``relief.domain.geo``), measured
from a village's centroid when choosing and from each household's own
position when reported. It is a proposal: a site manager confirms it.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from relief.domain.frames import require_columns
from relief.domain.geo import WGS84_CRS, project_xy
from relief.domain.vocabulary import OPEN_STATUSES, RELOCATED_SHELTERS, UNSAFE_DAMAGE
from relief.errors import ValidationFailed

#: Why a household could not be placed.
UNPLACED_REASONS = {
    "no_location": "the household's position is not known",
    "no_open_site": "no open site",
    "no_capacity": "no open site with room for the household (within max_km, if given)",
}


@dataclass(frozen=True)
class Assignment:
    """A proposed placement.

    ``assignments``: household_id, site_id, distance_km (and village_code
    when the input had it), by household_id. ``unplaced``: household_id,
    members, reason (a key of :data:`UNPLACED_REASONS`).
    """

    assignments: pd.DataFrame
    unplaced: pd.DataFrame


def propose_assignment(households: pd.DataFrame, sites: pd.DataFrame, *, occupancy: pd.Series | None = None,
                       max_km: float | None = None, candidates: int = 16) -> Assignment:
    """Propose a site for each household that must leave home.

    Parameters
    ----------
    households : DataFrame
        The candidates (already selected, e.g. by :func:`must_leave`):
        household_id, members, lon, lat and optionally village_code.
    sites : DataFrame
        site_id, lon, lat, capacity_persons, status; only ``open`` sites are used.
    occupancy : Series, optional
        Persons already at each site, by site_id (e.g.
        ``guarantees.site_occupancy``); none when omitted.
    max_km : float, optional
        Never propose a site farther than this from the village's centre
        (the household's own position when it has no village).
    candidates : int
        How many nearest sites a village may be kept together at.

    Returns
    -------
    Assignment
        ``distance_km`` is from each household's own position to its site.
    """
    require_columns(households, ("household_id", "members", "lon", "lat"), "households")
    require_columns(sites, ("site_id", "lon", "lat", "capacity_persons", "status"), "sites")
    if candidates < 1:
        raise ValidationFailed("candidates must be at least 1", field="candidates")
    frame = households.sort_values("household_id", kind="stable")
    if not frame["household_id"].is_unique:
        raise ValidationFailed("household_id must be unique", field="households.household_id")
    members = frame["members"].to_numpy(dtype=float, na_value=np.nan)
    if not ((members >= 1) & (members == np.floor(members))).all():
        raise ValidationFailed("members must be a whole number, at least 1", field="households.members")
    members = members.astype(np.int64)
    x, y = project_xy(frame["lon"].to_numpy(dtype=float, na_value=np.nan),
                      frame["lat"].to_numpy(dtype=float, na_value=np.nan))
    located = np.isfinite(x) & np.isfinite(y)
    open_sites = _open_sites(sites, occupancy)
    site_of = np.full(len(frame), -1, dtype=np.int64)
    reasons = np.where(located, "no_capacity", "no_location").astype(object)
    if len(sites) == 0 or not sites["status"].eq("open").any():
        reasons[located] = "no_open_site"
    elif len(open_sites):
        villages = frame["village_code"] if "village_code" in frame.columns else pd.Series(np.nan, index=frame.index)
        _Placer(open_sites, max_km, candidates).place(
            np.flatnonzero(located), villages.to_numpy(), members, x, y, site_of)
    distance = np.full(len(frame), np.nan)
    placed = site_of >= 0
    if placed.any():
        sx, sy = open_sites["x"].to_numpy()[site_of[placed]], open_sites["y"].to_numpy()[site_of[placed]]
        distance[placed] = np.hypot(x[placed] - sx, y[placed] - sy) / 1000.0
    return _result(frame, site_of, members, distance, open_sites, reasons)


def _open_sites(sites: pd.DataFrame, occupancy: pd.Series | None) -> pd.DataFrame:
    """Open, located sites with their projected position and free room (persons)."""
    if len(sites) == 0:
        return pd.DataFrame({"site_id": [], "x": [], "y": [], "free": []})
    if not sites["site_id"].is_unique:
        raise ValidationFailed("site_id must be unique", field="sites.site_id")
    sites = sites.sort_values("site_id", kind="stable")  # ties in distance go by site_id, not row order
    x, y = project_xy(sites["lon"].to_numpy(dtype=float, na_value=np.nan),
                      sites["lat"].to_numpy(dtype=float, na_value=np.nan))
    used = (occupancy.reindex(sites["site_id"]).fillna(0).to_numpy(dtype=float)
            if occupancy is not None else np.zeros(len(sites)))
    capacity = sites["capacity_persons"].to_numpy(dtype=float, na_value=0.0)
    free = np.floor(np.maximum(capacity - used, 0.0)).astype(np.int64)
    is_open = sites["status"].eq("open").to_numpy(dtype=bool, na_value=False)
    keep = is_open & np.isfinite(x) & np.isfinite(y) & (free > 0)
    return pd.DataFrame({"site_id": sites["site_id"].to_numpy()[keep], "x": x[keep], "y": y[keep],
                         "free": free[keep]})


class _Placer:
    """The greedy, deterministic placement over villages (see the module docs)."""

    def __init__(self, open_sites: pd.DataFrame, max_km: float | None, candidates: int):
        self.sx = open_sites["x"].to_numpy()
        self.sy = open_sites["y"].to_numpy()
        self.free = open_sites["free"].to_numpy().copy()  # for whole-array searches
        # the same figures, cheaper to read one at a time; the extra last entry is the
        # "no site" the tree reports for neighbours beyond max_km, which never has room
        self.room = [*self.free.tolist(), -1]
        self.limit = np.inf if max_km is None else float(max_km) * 1000.0
        self.k = min(candidates, len(self.sx))
        self.tree = cKDTree(np.column_stack([self.sx, self.sy]))

    def place(self, rows: np.ndarray, villages: np.ndarray, members: np.ndarray, x: np.ndarray,
              y: np.ndarray, site_of: np.ndarray) -> None:
        """Fill ``site_of`` (site position or -1) for the households at ``rows``."""
        if len(rows) == 0:
            return
        codes, _ = pd.factorize(villages[rows])  # codes follow first appearance in household_id order
        alone = codes < 0  # no village: each household is its own group
        codes[alone] = codes.max(initial=-1) + 1 + np.arange(alone.sum())
        n_groups = codes.max() + 1
        count = np.bincount(codes, minlength=n_groups)
        persons = np.bincount(codes, weights=members[rows], minlength=n_groups).astype(np.int64)
        cx = np.bincount(codes, weights=x[rows], minlength=n_groups) / count
        cy = np.bincount(codes, weights=y[rows], minlength=n_groups) / count
        by_group = rows[np.argsort(codes, kind="stable")]
        bounds = np.r_[0, np.cumsum(count)]
        _, nearest = self.tree.query(np.column_stack([cx, cy]), k=self.k, workers=-1,
                                     distance_upper_bound=np.nextafter(self.limit, np.inf))
        nearest = nearest.reshape(n_groups, -1)
        persons_list, room = persons.tolist(), self.room
        group_site = [-1] * n_groups
        for g in np.lexsort((np.arange(n_groups), -persons)).tolist():
            need = persons_list[g]
            for s in nearest[g].tolist():
                if room[s] >= need:
                    self._take(s, need)
                    group_site[g] = s
                    break
            else:
                self._one_by_one(by_group[bounds[g]:bounds[g + 1]], cx[g], cy[g], members, site_of)
        whole = np.asarray(group_site)[codes]
        site_of[rows[whole >= 0]] = whole[whole >= 0]

    def _take(self, site: int, persons: int) -> None:
        self.room[site] -= persons
        self.free[site] -= persons

    def _one_by_one(self, group: np.ndarray, cx: float, cy: float, members: np.ndarray,
                    site_of: np.ndarray) -> None:
        """Each household of a group, in order, to the nearest site (from the group's centre) with room."""
        most = self.free.max()
        waiting = [h for h in group.tolist() if members[h] <= most]
        if not waiting:
            return
        d = np.hypot(self.sx - cx, self.sy - cy)
        d[d > self.limit] = np.inf
        for h in waiting:
            fits = np.where(self.free >= members[h], d, np.inf)
            s = int(np.argmin(fits))
            if fits[s] < np.inf:
                self._take(s, int(members[h]))
                site_of[h] = s


def _result(frame: pd.DataFrame, site_of: np.ndarray, members: np.ndarray, distance: np.ndarray,
            open_sites: pd.DataFrame, reasons: np.ndarray) -> Assignment:
    placed = site_of >= 0
    columns = {"household_id": frame["household_id"].to_numpy()[placed],
               "site_id": open_sites["site_id"].to_numpy()[site_of[placed]],
               "distance_km": distance[placed]}
    if "village_code" in frame.columns:
        columns["village_code"] = frame["village_code"].to_numpy()[placed]
    unplaced = pd.DataFrame({"household_id": frame["household_id"].to_numpy()[~placed],
                             "members": members[~placed],
                             "reason": reasons[~placed]})
    return Assignment(pd.DataFrame(columns), unplaced)


def _zones(hazard_polygons: gpd.GeoDataFrame | None, *, evacuate_only: bool) -> np.ndarray:
    """Active hazard polygons in WGS 84 (optionally only those marked for evacuation).

    Active: ``active`` is true and ``status`` is an open incident status,
    for whichever of the two columns the frame has.
    """
    if hazard_polygons is None or len(hazard_polygons) == 0:
        return np.empty(0, dtype=object)
    if hazard_polygons.crs is None:
        raise ValidationFailed("hazard polygons need a CRS (EPSG:4326 for WGS 84)", field="hazard_polygons.crs")
    zones = hazard_polygons.to_crs(WGS84_CRS)
    keep = zones.geometry.notna().to_numpy() & ~zones.geometry.is_empty.to_numpy()
    if "active" in zones.columns:
        keep &= zones["active"].to_numpy(dtype=bool, na_value=False)
    if "status" in zones.columns:
        keep &= zones["status"].isin(OPEN_STATUSES).to_numpy()
    if evacuate_only:
        if "evacuate" not in zones.columns:
            raise ValidationFailed("hazard polygons lack column 'evacuate'", field="hazard_polygons.evacuate")
        keep &= zones["evacuate"].to_numpy(dtype=bool, na_value=False)
    return zones.geometry.to_numpy()[keep]


def _inside(households: pd.DataFrame, zones: np.ndarray) -> np.ndarray:
    """Which households lie inside (or on the edge of) any of ``zones``."""
    inside = np.zeros(len(households), dtype=bool)
    if len(zones) and len(households):
        points = shapely.points(households["lon"].to_numpy(dtype=float, na_value=np.nan),
                                households["lat"].to_numpy(dtype=float, na_value=np.nan))
        hit, _ = shapely.STRtree(zones).query(points, predicate="intersects")
        inside[hit] = True
    return inside


def _still_home(households: pd.DataFrame) -> np.ndarray:
    if "shelter" not in households.columns:
        return np.ones(len(households), dtype=bool)
    return ~households["shelter"].isin(RELOCATED_SHELTERS).to_numpy()


def must_leave(households: pd.DataFrame, hazard_polygons: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Households that must leave home: house severe/collapsed, or inside an evacuation zone.

    Evacuation zones are the active hazard polygons with ``evacuate`` true
    (see ``_zones``). Households already relocated (``shelter`` site or
    dispersed, when that column is given) are not selected again.

    Returns
    -------
    DataFrame: the selected rows of ``households`` plus ``leave_reason``
    (``house_unsafe`` or ``evacuation_zone``; the house wins when both hold).
    """
    require_columns(households, ("house_damage", "lon", "lat"), "households")
    if len(households) == 0:
        return households.assign(leave_reason=pd.Series(dtype=object))
    unsafe = households["house_damage"].isin(UNSAFE_DAMAGE).to_numpy()
    inside = _inside(households, _zones(hazard_polygons, evacuate_only=True))
    chosen = (unsafe | inside) & _still_home(households)
    out = households.loc[chosen].copy()
    out["leave_reason"] = np.where(unsafe[chosen], "house_unsafe", "evacuation_zone")
    return out


def expected_displacement(households: pd.DataFrame, hazard_polygons: gpd.GeoDataFrame | None,
                          sites: pd.DataFrame, occupancy: pd.Series | None, *, reach_km: float) -> pd.DataFrame:
    """People at home inside active hazard polygons, by county, against free site room near them.

    Parameters
    ----------
    households : DataFrame
        household_id, members, lon, lat, county_code (and shelter: only
        households still at home count, the others already have a place).
    hazard_polygons : GeoDataFrame
        Active hazard polygons (any, evacuation ordered or not).
    sites, occupancy
        As for :func:`propose_assignment`.
    reach_km : float
        A site counts for a county when it lies within this distance of at
        least one of the county's exposed households. A site near a county
        border may count for both counties.

    Returns
    -------
    DataFrame indexed by county_code: households, persons, free_capacity,
    uncovered_persons (persons beyond the free capacity, ≥ 0).
    """
    require_columns(households, ("members", "lon", "lat", "county_code"), "households")
    if reach_km is None or not reach_km >= 0:
        raise ValidationFailed("reach_km must be a non-negative number", field="reach_km")
    columns = ["households", "persons", "free_capacity", "uncovered_persons"]
    inside = _inside(households, _zones(hazard_polygons, evacuate_only=False))
    exposed = households.loc[inside & _still_home(households)]
    exposed = exposed.loc[exposed["county_code"].notna()]
    if len(exposed) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="county_code"), dtype=np.int64)
    open_sites = _open_sites(sites, occupancy)
    site_xy = np.column_stack([open_sites["x"].to_numpy(dtype=float), open_sites["y"].to_numpy(dtype=float)])
    x, y = project_xy(exposed["lon"].to_numpy(dtype=float), exposed["lat"].to_numpy(dtype=float))
    rows = []
    for county, where in exposed.groupby("county_code", sort=True).indices.items():
        free = 0
        if len(site_xy):
            near, _ = cKDTree(np.column_stack([x[where], y[where]])).query(site_xy, k=1)
            free = int(open_sites["free"].to_numpy()[near <= reach_km * 1000.0].sum())
        persons = int(exposed["members"].to_numpy()[where].sum())
        rows.append((county, len(where), persons, free, max(persons - free, 0)))
    table = pd.DataFrame.from_records(rows, columns=["county_code", *columns])
    return table.set_index("county_code")
