"""Relocation: checking households in and out of sites, assignment proposals, expected displacement.

Capacity is never exceeded: whoever checks people in locks the target
sites first (``store.sites.lock_sites``), then counts who is there, all in
the one transaction that writes the move. Two requests racing for a site's
last places therefore take turns and the second is refused with
``capacity_exceeded`` naming the site and its free places.

A household's ``evacuated`` flag follows its moves: true once it has left
home (to a site, a dispersed placement, or nowhere yet), false once it is
back home. Every move re-judges the household's guarantees in the same
transaction and emits ``site.occupancy_changed`` (topic ``sites``, public)
with each touched site as the map shows it.

Assignment proposals are stateless: ``propose_assignments`` returns the
proposal with a token (a hash of its inputs: who must leave, the sites,
their occupancy) so a client can tell whether two proposals came from the
same state; ``accept_assignments`` takes the (possibly edited) list and
re-checks everything, all or nothing.

Proposals and expected displacement count only the zones of confirmed
incidents (``vocabulary.COUNTED_STATUSES``: verified, responding, stabilised), thinned
to ``geometry.zone_tolerance_m`` of the standards, and their spatial work
runs through ``ctx.offload`` (beside the serving loop under ``relief serve``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import geopandas as gpd
import pandas as pd

from relief.domain import allocation
from relief.domain.audience import Audience
from relief.domain.standards import Standards
from relief.domain.vocabulary import (
    CHECKOUT_DESTINATIONS,
    COUNTED_STATUSES,
    DISPERSED_KINDS,
    Shelter,
    SiteStatus,
    Topic,
)
from relief.errors import CapacityExceeded, Conflict, NotFound, ValidationFailed
from relief.services import fields, geojson
from relief.services.context import Context, Unit
from relief.services.guarantees import recheck_households
from relief.services.map_layers import site_properties
from relief.store import areas as area_store
from relief.store import households as household_store
from relief.store import sites as site_store
from relief.store.guarantee_inputs import site_persons

if TYPE_CHECKING:
    from relief.store.tables import Household, Site

MAX_ASSIGNMENTS = 5000
DEFAULT_REACH_KM = 20.0
#: Metres in one degree of latitude (a tolerance in metres, given to shapely in degrees).
METRES_PER_DEGREE = 111_320.0


# --- the shared move ---------------------------------------------------------------

def household_view(household: Household) -> dict[str, Any]:
    """Where a household is; no names or numbers (this goes to every staff screen)."""
    return {"id": household.id, "members": household.members, "shelter": household.shelter,
            "site_id": household.site_id, "dispersed_kind": household.dispersed_kind,
            "evacuated": household.evacuated, "village_code": household.village_code,
            "county_code": household.county_code}


@dataclass
class _Room:
    """Locked sites and their running occupancy within one transaction."""

    sites: dict[str, Site]
    persons: dict[str, int]
    touched: set[str]

    @classmethod
    def lock(cls, session, site_ids: Iterable[str], field_of: Mapping[str, str]) -> "_Room":
        sites = site_store.lock_sites(session, site_ids)
        for site_id in sorted(set(site_ids)):
            if site_id not in sites:
                raise NotFound(f"no site {site_id!r}", field=field_of[site_id])
        return cls(sites, _persons(session, sites), set())

    def check_in(self, household: Household, site_id: str, *, field: str, now: datetime) -> bool:
        """Move the household to the site; False when it is there already."""
        site = self.sites[site_id]
        if household.shelter == Shelter.SITE and household.site_id == site_id:
            return False
        if site.status != SiteStatus.OPEN:
            raise Conflict(f"site {site.id} ({site.name}) is {site.status}", field=field,
                           detail={"site_id": site.id, "status": site.status})
        free = max(site.capacity_persons - self.persons.get(site_id, 0), 0)
        if household.members > free:
            raise CapacityExceeded(
                f"site {site.id} ({site.name}) has {free} free places; household {household.id} needs "
                f"{household.members}", field=field,
                detail={"site_id": site.id, "free_capacity": free, "needed": household.members,
                        "household_id": household.id})
        if household.shelter == Shelter.SITE and household.site_id:
            self.persons[household.site_id] = self.persons.get(household.site_id, 0) - household.members
            self.touched.add(household.site_id)
        self.persons[site_id] = self.persons.get(site_id, 0) + household.members
        self.touched.add(site_id)
        _place(household, _placement(Shelter.SITE, site_id=site_id), now=now)
        return True


def _placement(shelter: str, *, site_id: str | None = None, dispersed_kind: str | None = None) -> dict[str, Any]:
    """Where a household will be; ``evacuated`` follows (true once it has left home)."""
    return {"shelter": shelter, "site_id": site_id, "dispersed_kind": dispersed_kind,
            "evacuated": shelter != Shelter.HOME}


def _where(household: Household) -> dict[str, Any]:
    return {key: getattr(household, key) for key in ("shelter", "site_id", "dispersed_kind", "evacuated")}


def _place(household: Household, placement: dict[str, Any], *, now: datetime) -> None:
    for key, value in placement.items():
        setattr(household, key, value)
    household.updated_at = now


def _persons(session, site_ids: Iterable[str]) -> dict[str, int]:
    """Persons checked in at each of the sites (one statement, built once, for all of them)."""
    return {site_id: int(n) for site_id, n in site_persons(session, sorted(set(site_ids))).items()}


def announce_sites(unit: Unit, site_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Emit ``site.occupancy_changed`` for each site (after the moves are flushed); returns the features.

    Each feature is the site as ``GET /api/sites`` shows it (``map_layers.site_feature``), the occupancy of
    all the sites counted at once.
    """
    features = []
    sites = site_store.sites_after_moves(unit.session, site_ids)
    persons = _persons(unit.session, [site.id for site in sites])
    for site in sites:
        feature = geojson.row_feature(site, site_properties(site, persons.get(site.id, 0)))
        unit.emit("site.occupancy_changed", Topic.SITES, {"feature": feature, "site_id": site.id},
                  area_code=site.county_code, audience=Audience.PUBLIC)
        features.append(feature)
    return features


def _locked_household(session, household_id: str) -> Household:
    household = household_store.lock_household(session, household_id)
    if household is None:
        raise NotFound(f"no household {household_id!r}", field="household_id")
    return household


def _recheck_with_neighbours(unit, household_ids, site_ids, ctx: Context) -> None:
    """Moving people changes space and water per person for everyone at the sites involved."""
    everyone = set(household_ids) | set(household_store.ids_at_sites(unit.session, site_ids))
    recheck_households(unit, everyone, standards=ctx.standards)


# --- check-in / check-out -----------------------------------------------------------

def check_in(ctx: Context, household_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record a household at a site (moving it from another site if need be)."""
    site_id = fields.identifier(body, "site_id")
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        room = _Room.lock(unit.session, [site_id], {site_id: "site_id"})
        household = _locked_household(unit.session, household_id)
        before = _where(household)
        changed = room.check_in(household, site_id, field="site_id", now=unit.now)
        features = []
        if changed:
            unit.audit("household.checkin", "household", household.id, reason=reason,
                       detail={"before": before, "after": _where(household), "members": household.members})
            features = announce_sites(unit, room.touched)
            _recheck_with_neighbours(unit, [household.id], room.touched, ctx)
        return {"household": household_view(household), "changed": changed, "sites": features}


def check_out(ctx: Context, household_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record a household leaving its place: back home, dispersed (host family, rented) or nowhere yet."""
    to = fields.choice(body, "to", CHECKOUT_DESTINATIONS)
    kind = fields.choice(body, "dispersed_kind", DISPERSED_KINDS, required=to == Shelter.DISPERSED)
    if kind and to != Shelter.DISPERSED:
        raise ValidationFailed("dispersed_kind applies only with to=dispersed", field="dispersed_kind")
    reason = fields.text(body, "reason")
    with ctx.transaction() as unit:
        household = _locked_household(unit.session, household_id)
        before = _where(household)
        left_site = household.site_id if household.shelter == Shelter.SITE else None
        after = _placement(to, dispersed_kind=kind)
        changed = after != before
        features = []
        if changed:
            _place(household, after, now=unit.now)
            unit.audit("household.checkout", "household", household.id, reason=reason,
                       detail={"before": before, "after": _where(household), "members": household.members})
            features = announce_sites(unit, [left_site])
            _recheck_with_neighbours(unit, [household.id], [left_site], ctx)
        return {"household": household_view(household), "changed": changed, "sites": features}


# --- hazard zones ---------------------------------------------------------------------

def _zones(session) -> gpd.GeoDataFrame:
    """The zones that move people: polygons of incidents a verifier has confirmed and that are not over.

    A reported (or still verifying) incident's polygon is shown on the map,
    but counts nobody as displaced and proposes no move: anyone may report,
    and one careless outline must not send a county's register into the
    proposals.
    """
    return household_store.hazard_polygons(session, COUNTED_STATUSES)


def _zone_bounds(zones) -> list[tuple[float, float, float, float]]:
    return [tuple(geom.bounds) for geom in zones.geometry]


def _zone_tolerance_m(standards: Standards) -> float:
    """``geometry.zone_tolerance_m`` of the standards in force (an older version has it from the loader)."""
    return float(standards.geometry["zone_tolerance_m"])


def _lean(zones: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    """The zones with vertices closer than ``tolerance_m`` to their outline dropped (topology kept).

    Every household is tested against every vertex of a zone it may lie in,
    so a zone drawn with needless detail (or stored before the vertex limit)
    would make each proposal slow; a couple of metres is well inside a
    phone's position error.
    """
    if not len(zones) or tolerance_m <= 0:
        return zones
    return zones.set_geometry(zones.geometry.simplify(tolerance_m / METRES_PER_DEGREE, preserve_topology=True))


# --- assignment proposals -------------------------------------------------------------

def _token(movers: pd.DataFrame, sites: pd.DataFrame, occupancy: pd.Series, max_km: float | None) -> str:
    """A hash of what the proposal was computed from."""
    payload = {
        "movers": movers[["household_id", "members", "lon", "lat", "village_code"]].astype(str).values.tolist(),
        "sites": sites[["site_id", "capacity_persons", "status", "lon", "lat"]].astype(str).values.tolist(),
        "occupancy": sorted((str(k), float(v)) for k, v in occupancy.items()),
        "max_km": max_km,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def propose_assignments(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Who must leave home and is not yet placed, each with a proposed site (nearest, never over capacity)."""
    county_code = fields.text(body, "county_code", limit=24)
    max_km = fields.number(body, "max_km", required=False, positive=True)
    with ctx.reading() as session:
        zones = _zones(session)
        candidates = household_store.leaving_candidates(session, _zone_bounds(zones), county_code=county_code)
        sites = site_store.sites_frame(session)
        occupancy = site_store.occupancy_series(session)
    proposal = ctx.offload(_proposal, candidates, zones, sites, occupancy, max_km, _zone_tolerance_m(ctx.standards))
    return {"token": proposal.pop("token"), "as_of": ctx.now().isoformat(), "county_code": county_code,
            "max_km": max_km, **proposal}


def _proposal(candidates: pd.DataFrame, zones: gpd.GeoDataFrame, sites: pd.DataFrame, occupancy: pd.Series,
              max_km: float | None, tolerance_m: float) -> dict[str, Any]:
    """The proposal itself: plain data in and out, so it runs beside the serving loop (``ctx.offload``)."""
    movers = allocation.must_leave(candidates, _lean(zones, tolerance_m))
    plan = allocation.propose_assignment(movers, sites, occupancy=occupancy, max_km=max_km)
    info = movers.set_index("household_id")[["members", "leave_reason", "village_code"]]
    names = sites.set_index("site_id")["name"]
    assignments = [{"household_id": row.household_id, "site_id": row.site_id, "site_name": names.get(row.site_id),
                    "members": int(info.at[row.household_id, "members"]),
                    "village_code": info.at[row.household_id, "village_code"],
                    "leave_reason": info.at[row.household_id, "leave_reason"],
                    "distance_km": round(float(row.distance_km), 3)}
                   for row in plan.assignments.itertuples(index=False)]
    unplaced = [{"household_id": row.household_id, "members": int(row.members), "reason": row.reason,
                 "reason_text": allocation.UNPLACED_REASONS.get(row.reason),
                 "leave_reason": info.at[row.household_id, "leave_reason"]}
                for row in plan.unplaced.itertuples(index=False)]
    placed_persons = sum(a["members"] for a in assignments)
    return {
        "token": _token(movers, sites, occupancy, max_km),
        "assignments": assignments, "unplaced": unplaced,
        "totals": {"households": len(movers), "persons": int(movers["members"].sum()) if len(movers) else 0,
                   "placed_households": len(assignments), "placed_persons": placed_persons,
                   "unplaced_households": len(unplaced), "unplaced_persons": sum(u["members"] for u in unplaced)},
    }


def _accepted_pairs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    items = body.get("assignments")
    if not isinstance(items, list) or not items:
        raise ValidationFailed("assignments must be a non-empty list of {household_id, site_id}", field="assignments")
    if len(items) > MAX_ASSIGNMENTS:
        raise ValidationFailed(f"at most {MAX_ASSIGNMENTS} assignments at once", field="assignments")
    pairs, seen = [], set()
    for i, item in enumerate(items):
        item = fields.mapping(item, f"assignments[{i}]")
        household_id = fields.identifier(item, "household_id", field=f"assignments[{i}].household_id")
        site_id = fields.identifier(item, "site_id", field=f"assignments[{i}].site_id")
        if household_id in seen:
            raise ValidationFailed(f"household {household_id} is listed twice", field=f"assignments[{i}].household_id")
        seen.add(household_id)
        pairs.append((household_id, site_id))
    return pairs


def accept_assignments(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Check all the listed households in, in one transaction: all of them, or (on any refusal) none."""
    pairs = _accepted_pairs(body)
    reason = fields.text(body, "reason", required=True)
    token = fields.text(body, "token", limit=64)
    site_field = {}
    for i, (_, site_id) in enumerate(pairs):
        site_field.setdefault(site_id, f"assignments[{i}].site_id")
    with ctx.transaction() as unit:
        room = _Room.lock(unit.session, site_field, site_field)
        households = household_store.lock_households(unit.session, [h for h, _ in pairs])
        moved = []
        for i, (household_id, site_id) in enumerate(pairs):
            household = households.get(household_id)
            if household is None:
                raise NotFound(f"no household {household_id!r}", field=f"assignments[{i}].household_id")
            before = _where(household)
            if room.check_in(household, site_id, field=f"assignments[{i}].site_id", now=unit.now):
                unit.audit("household.checkin", "household", household_id, reason=reason,
                           detail={"before": before, "after": _where(household), "members": household.members,
                                   "assignment_token": token})
                moved.append(household_id)
        unit.audit("assignment.accept", "assignment", token, reason=reason,
                   detail={"listed": len(pairs), "checked_in": len(moved),
                           "persons": sum(households[h].members for h in moved)})
        features = announce_sites(unit, room.touched)
        _recheck_with_neighbours(unit, moved, room.touched, ctx)
        return {"checked_in": moved, "unchanged": [h for h, _ in pairs if h not in set(moved)], "sites": features}


# --- expected displacement ------------------------------------------------------------

def expected_displacement(ctx: Context, *, reach_km: float = DEFAULT_REACH_KM,
                          county_code: str | None = None) -> dict[str, Any]:
    """People at home inside confirmed incidents' polygons, by county, against free site places within reach."""
    with ctx.reading() as session:
        zones = _zones(session)
        exposed = household_store.at_home_within(session, _zone_bounds(zones), county_code=county_code or None)
        sites = site_store.sites_frame(session)
        occupancy = site_store.occupancy_series(session)
    table = ctx.offload(_displacement, exposed, zones, sites, occupancy, reach_km, _zone_tolerance_m(ctx.standards))
    with ctx.reading() as session:
        names = area_store.names(session, table.index)
    counties = [{"county_code": code, "county_name": names.get(code),
                 **{k: int(v) for k, v in row.items()}} for code, row in table.iterrows()]
    return {"reach_km": reach_km, "as_of": ctx.now().isoformat(), "counties": counties,
            "totals": {k: int(table[k].sum()) for k in table.columns}}


def _displacement(exposed: pd.DataFrame, zones: gpd.GeoDataFrame, sites: pd.DataFrame, occupancy: pd.Series,
                  reach_km: float, tolerance_m: float) -> pd.DataFrame:
    """The domain's table from plain data, so it runs beside the serving loop (``ctx.offload``)."""
    return allocation.expected_displacement(exposed, _lean(zones, tolerance_m), sites, occupancy, reach_km=reach_km)
