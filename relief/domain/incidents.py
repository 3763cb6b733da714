"""Incident kinds, statuses and the lifecycle, as data.

The lifecycle is one table, :data:`TRANSITIONS`; every other rule here
(allowed actions, who may do what, which statuses are open) is read from it or
from the small constants beside it, so a change to the process is a change to
one row. Duplicate search is here too because it decides whether a fresh
report is a new incident at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from relief.domain.geo import PROJECTED_CRS, WGS84_CRS, geometry_to_projected
from relief.domain.roles import PERMISSIONS, ROLES
from relief.domain.vocabulary import (
    INCIDENT_KINDS,
    INCIDENT_STATUSES,
    OPEN_STATUSES,
    IncidentKind,
    IncidentStatus,
)
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

__all__ = [
    "KIND_LABELS", "INITIAL_STATUS",
    "ROLES", "REPORT_ROLES", "Transition", "TRANSITIONS", "ACTIONS", "NEEDS_ORIGINAL",
    "check_kind", "can_report", "allowed_actions", "action_choices", "transition", "duplicate_candidates", "METRIC_CRS",
]

# --- kinds ---------------------------------------------------------------

# The words (kinds, statuses, which statuses are open or terminal) are the vocabulary's.

#: The Chinese name of each incident kind, used on reports and alerts.
KIND_LABELS: dict[str, str] = {
    IncidentKind.LANDSLIDE: "滑坡",
    IncidentKind.COLLAPSE: "崩塌",
    IncidentKind.DEBRIS_FLOW: "泥石流",
    IncidentKind.FLOOD: "暴雨洪涝",
    IncidentKind.SNOW_ICE: "低温雨雪冰冻",
    IncidentKind.HAIL: "风雹",
    IncidentKind.EARTHQUAKE: "地震",
    IncidentKind.DROUGHT: "干旱",
    IncidentKind.OTHER: "其他",
}

# --- statuses ------------------------------------------------------------

INITIAL_STATUS = IncidentStatus.REPORTED

# --- roles ---------------------------------------------------------------

# ROLES and who may report come from the one permission table (roles.py).
#: Who may create an incident or send a field report.
REPORT_ROLES: frozenset[str] = PERMISSIONS["incident.report"]

_REPORTED, _VERIFYING, _VERIFIED = IncidentStatus.REPORTED, IncidentStatus.VERIFYING, IncidentStatus.VERIFIED
_VERIFIERS = frozenset({"verifier", "admin"})
_COMMANDERS = frozenset({"commander", "admin"})


@dataclass(frozen=True)
class Transition:
    """One row of the lifecycle: ``action`` moves ``sources`` → ``target`` for ``roles``."""

    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]


def _row(action: str, sources: Iterable[str], target: str, roles: Iterable[str]) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles))


#: The lifecycle. Verifiers may verify straight from ``reported`` (a team on
#: site needs no separate "start"); only verified incidents get a response;
#: an incident is closed only after it has been stabilised. Admin is named in
#: every row rather than special-cased, so the table alone is the truth.
TRANSITIONS: tuple[Transition, ...] = (
    _row("start_verification", {_REPORTED}, _VERIFYING, _VERIFIERS),
    _row("verify", {_REPORTED, _VERIFYING}, _VERIFIED, _VERIFIERS),
    _row("reject", {_REPORTED, _VERIFYING}, IncidentStatus.REJECTED, _VERIFIERS),
    _row("mark_duplicate", {_REPORTED, _VERIFYING, _VERIFIED}, IncidentStatus.DUPLICATE, _VERIFIERS),
    _row("respond", {_VERIFIED}, IncidentStatus.RESPONDING, _COMMANDERS),
    _row("stabilise", {IncidentStatus.RESPONDING}, IncidentStatus.STABILISED, _COMMANDERS),
    _row("close", {IncidentStatus.STABILISED}, IncidentStatus.CLOSED, _COMMANDERS),
)
_BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS: tuple[str, ...] = tuple(_BY_ACTION)
#: Actions that must name the original incident.
NEEDS_ORIGINAL: frozenset[str] = frozenset({"mark_duplicate"})


def check_kind(kind: Any) -> str:
    """Return ``kind`` if it is a known incident kind, else refuse naming the field."""
    if kind not in KIND_LABELS:
        raise ValidationFailed(f"unknown incident kind {kind!r}; expected one of {', '.join(INCIDENT_KINDS)}",
                               field="kind")
    return kind


def can_report(role: str) -> bool:
    """Whether ``role`` may create an incident or a field report."""
    return role in REPORT_ROLES


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions ``role`` may take on an incident in ``status``, in table order."""
    return [t.action for t in TRANSITIONS if status in t.sources and role in t.roles]


def action_choices(status: str, role: str | None) -> list[dict[str, Any]]:
    """What a page offers ``role`` on an incident in ``status``: one entry per allowed action, in table order.

    Each entry is ``{"action", "to", "needs_original"}`` (the status it leads to, and whether the
    action must name the original incident). A role without ``incident.transition`` is offered
    nothing, whatever the table says, so a page never shows a button the gate would refuse.
    """
    if role is None or role not in PERMISSIONS["incident.transition"] or status not in INCIDENT_STATUSES:
        return []
    return [{"action": t.action, "to": t.target, "needs_original": t.action in NEEDS_ORIGINAL}
            for t in TRANSITIONS if status in t.sources and role in t.roles]


def transition(
    status: str,
    action: str,
    role: str,
    *,
    duplicate_of: int | str | None = None,
    incident_id: int | str | None = None,
) -> str:
    """The status after ``role`` performs ``action`` on an incident in ``status``.

    Raises :class:`Forbidden` when the role may never perform the action (so
    the answer does not depend on the incident's state), and
    :class:`TransitionRefused` when the role could, but not from this status;
    its message names the status and the actions the role has there.
    ``mark_duplicate`` needs ``duplicate_of`` (the original's id, which the
    caller stores); ``incident_id``, when given, stops an incident being marked
    a duplicate of itself.
    """
    if status not in INCIDENT_STATUSES:
        raise ValidationFailed(f"unknown incident status {status!r}", field="status")
    row = _BY_ACTION.get(action)
    if row is None:
        raise ValidationFailed(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}", field="action")
    if role not in row.roles:
        raise Forbidden(f"role {role!r} may not {action} an incident", field="role")
    if status not in row.sources:
        options = allowed_actions(status, role)
        listed = ", ".join(options) if options else "none"
        raise TransitionRefused(
            f"cannot {action} an incident that is {status}; allowed actions: {listed}",
            field="action",
            detail={"status": status, "action": action, "allowed_actions": options},
        )
    if action in NEEDS_ORIGINAL:
        if duplicate_of is None or duplicate_of == "":
            raise ValidationFailed("mark_duplicate needs the id of the original incident", field="duplicate_of")
        if incident_id is not None and str(duplicate_of) == str(incident_id):
            raise ValidationFailed("an incident cannot be a duplicate of itself", field="duplicate_of")
    elif duplicate_of is not None:
        raise ValidationFailed(f"duplicate_of only applies to mark_duplicate, not {action}", field="duplicate_of")
    return row.target


# --- possible duplicates ---------------------------------------------------

#: Distances are measured in UTM zone 49N, which covers Enshi (108–111° E).
METRIC_CRS = PROJECTED_CRS


def _utc(value: Any) -> pd.Timestamp:
    """A timestamp in UTC; naive values are taken to be UTC, as the store keeps them."""
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


#: The fields a duplicate search reads from each open incident.
CANDIDATE_FIELDS = ("id", "kind", "geometry", "occurred_at", "status")


def _candidate_rows(open_incidents: pd.DataFrame | Iterable[Any]) -> list[tuple]:
    """``(id, kind, geometry, occurred_at, status)`` tuples with WGS 84 geometry.

    A frame is turned into rows once (a GeoDataFrame's own CRS honoured); rows
    (tuples in :data:`CANDIDATE_FIELDS` order, or mappings) pass as they are,
    so the usual handful from the store never touches pandas.
    """
    if not isinstance(open_incidents, pd.DataFrame):
        return [tuple(r[f] for f in CANDIDATE_FIELDS) if isinstance(r, Mapping) else tuple(r) for r in open_incidents]
    frame = open_incidents
    geometry = list(frame["geometry"])
    crs = getattr(frame, "crs", None)
    if crs is not None and CRS.from_user_input(crs) != CRS.from_user_input(WGS84_CRS):
        geometry = list(gpd.GeoSeries(geometry, crs=crs).to_crs(WGS84_CRS))
    return list(zip(frame["id"], frame["kind"], geometry, frame["occurred_at"], frame["status"]))


def duplicate_candidates(
    kind: str,
    point_or_geom: BaseGeometry,
    occurred_at: datetime,
    open_incidents: pd.DataFrame | Iterable[Any],
    distance_m: float,
    window_hours: float,
    *,
    exclude_id: Any = None,
) -> list[dict[str, Any]]:
    """Open incidents of the same kind near in space and time, nearest first.

    A field team often reports what another team already reported; the
    verifier decides, this only points. ``open_incidents`` is a frame with the
    columns of :data:`CANDIDATE_FIELDS` (WGS 84, or a GeoDataFrame in its own
    CRS) or rows of those fields. Distance is the shortest distance
    between the geometries in UTM 49N (0 when they touch); both limits are
    inclusive; they are the ``duplicates`` section of the standards in force
    (``duplicate_candidates(..., **standards.duplicates)``).
    Returns ``[{"id", "distance_m"}]``.
    """
    if point_or_geom is None or point_or_geom.is_empty or open_incidents is None or len(open_incidents) == 0:
        return []
    when, window = _utc(occurred_at), pd.Timedelta(hours=float(window_hours))
    excluded = None if exclude_id is None else str(exclude_id)
    near_in_time = [(ident, geom) for ident, their_kind, geom, at, status in _candidate_rows(open_incidents)
                    if their_kind == kind and status in OPEN_STATUSES and isinstance(geom, BaseGeometry)
                    and (excluded is None or str(ident) != excluded) and not pd.isna(at)
                    and abs(_utc(at) - when) <= window]
    if not near_in_time:
        return []
    # the cached transformer of relief.domain.geo: a GeoSeries.to_crs per report costs milliseconds
    theirs = geometry_to_projected(np.asarray([geom for _, geom in near_in_time], dtype=object))
    distances = shapely.distance(theirs, geometry_to_projected(point_or_geom))
    found = [{"id": _plain(ident), "distance_m": round(float(d), 1)}
             for (ident, _), d in zip(near_in_time, distances) if d <= float(distance_m)]
    return sorted(found, key=lambda c: (c["distance_m"], str(c["id"])))


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones, so results serialise as JSON."""
    return value.item() if hasattr(value, "item") else value
