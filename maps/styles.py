"""The one colour and symbol table for every map relief draws.

The live page (``static/js/map.js``, through ``GET /api/map/styles``) and the
exported folium map (:mod:`maps.layers`) read these same tables, so a colour
changes in one place. Only data and tiny pure classifiers live here; each
classifier has a line-for-line twin in ``map.js`` (tested against each other
in ``tests/web/test_map_browser.py``).

Colours are keyed by relief's words but the words themselves (incident kinds
and statuses, the five guarantees, the verdicts) are not defined here: maps
imports nothing from relief, so whoever draws passes them in (``worst_status``,
the legend) or they come with the frames drawn, and ``/api/map/styles`` adds
them to :func:`as_dict`.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

#: Incident status → fill colour of its icon (open ones warm, finished ones grey).
STATUS_COLOURS: dict[str, str] = {
    "reported": "#f39c12", "verifying": "#f1c40f", "verified": "#e74c3c", "responding": "#c0392b",
    "stabilised": "#27ae60", "closed": "#95a5a6", "rejected": "#bdc3c7", "duplicate": "#bdc3c7",
}

#: Incident kind → hazard-polygon colour (the icon's shape says the kind too).
KIND_COLOURS: dict[str, str] = {
    "landslide": "#8e44ad", "collapse": "#6d4c41", "debris_flow": "#a0522d", "flood": "#1f78b4",
    "snow_ice": "#5dade2", "hail": "#16a085", "earthquake": "#7f8c8d", "drought": "#d35400", "other": "#34495e",
}

#: Incident kind → SVG path in a 20×20 box: a distinct silhouette per kind, no glyphs or emoji.
KIND_SHAPES: dict[str, str] = {
    "landslide": "M10 1.5 L19 18 H1 Z",
    "collapse": "M3 3 H17 V17 H3 Z",
    "debris_flow": "M1 2.5 H19 L10 19 Z",
    "flood": "M10 1 A9 9 0 1 1 9.99 1 Z",
    "snow_ice": "M10 1 L18 5.5 V14.5 L10 19 L2 14.5 V5.5 Z",
    "hail": "M10 0.5 L19.5 10 L10 19.5 L0.5 10 Z",
    "earthquake": "M10 0.5 L12.6 7 L19.5 7.3 L14.2 11.7 L15.9 18.8 L10 14.8 L4.1 18.8 L5.8 11.7 L0.5 7.3 L7.4 7 Z",
    "drought": "M6 1 H14 L19 6 V14 L14 19 H6 L1 14 V6 Z",
    "other": "M10 1 L19 8 L15.5 19 H4.5 L1 8 Z",
}

#: National response levels (Ⅰ most severe), in the usual red/orange/yellow/blue warning colours.
RESPONSE_LEVEL_COLOURS: dict[str, str] = {"I": "#b71c1c", "II": "#ef6c00", "III": "#f9a825", "IV": "#1565c0"}

#: Guarantee verdict → colour; ``unknown`` means no verdict was computed yet.
GUARANTEE_COLOURS: dict[str, str] = {
    "unmet": "#c0392b", "at_risk": "#e6a100", "met": "#2e8b57", "not_applicable": "#b8c2cc", "unknown": "#9aa5b1",
}

#: An area is ``unmet`` when at least this share of its judged households has an unmet
#: guarantee, ``at_risk`` when any has one or this share is at risk, else ``met``; with
#: none judged it is ``unknown`` (not computed yet), ``not_applicable`` (all outside
#: the relief scope) or ``empty`` (no households).
AREA_UNMET_SHARE = 0.05
AREA_AT_RISK_SHARE = 0.10
AREA_CLASSES: tuple[str, ...] = ("unmet", "at_risk", "met", "not_applicable", "unknown", "empty")
AREA_CLASS_COLOURS: dict[str, str] = {**GUARANTEE_COLOURS, "empty": "#eceff1"}

#: Relocation site occupancy: share of capacity where a site turns "filling" and "full".
SITE_FILLING_SHARE = 0.8
SITE_STATE_COLOURS: dict[str, str] = {"free": "#2e8b57", "filling": "#e6a100", "full": "#c0392b", "closed": "#95a5a6"}

#: Depots: days of cover when the stock service gives it, else how many catalogue items are held.
DEPOT_LOW_DAYS = 3
DEPOT_LOW_ITEMS = 4
DEPOT_STATE_COLOURS: dict[str, str] = {"stocked": "#1b5e20", "low": "#e6a100", "empty": "#c0392b"}

FACILITY_COLOURS: dict[str, str] = {"operating": "#d81b60", "closed": "#9e9e9e"}

#: The offline base map: land, outside-the-region, boundaries and labels.
BASE: dict[str, Any] = {
    "background": "#dde6ec",
    "land": "#f4f1ea",
    "county_fills": ["#f4f1ea", "#efeadf", "#f1ede4", "#ece7db"],
    "prefecture": {"color": "#12304a", "weight": 3.0, "opacity": 0.9},
    "county": {"color": "#5b6f82", "weight": 1.6, "opacity": 0.9},
    "township": {"color": "#a59f93", "weight": 0.7, "opacity": 0.9, "dashArray": "2 3"},
    "village": {"color": "#ffffff", "weight": 0.5, "opacity": 0.8},
    "label": "#3c4b5a",
}

#: Zoom levels at which the household layer changes shape (township < village < points).
HOUSEHOLD_ZOOM = {"village": 10, "points": 13}

#: Reconstruction: house stage → point colour (greys before work, purple signed, warm while building or
#: repairing, greens when done); a stalled house gets a dark outline.
HOUSE_STAGE_COLOURS: dict[str, str] = {
    "assessed": "#9e9e9e", "eligible": "#90a4ae", "excluded": "#37474f", "agreement_signed": "#7e57c2",
    "started": "#e53935", "foundation": "#f4511e", "main_structure": "#fb8c00", "roofed": "#fdd835",
    "completed": "#7cb342", "repair_started": "#ff7043", "repair_completed": "#9ccc65", "moved_in": "#2e7d32",
}
HOUSE_STALLED_STROKE = "#b71c1c"
#: Township progress (share of enrolled houses completed) for the choropleth zoomed out: a rate below
#: ``PROGRESS_BREAKS[i]`` takes ``PROGRESS_COLOURS[i]``, from the last break up the last colour; no enrolled
#: house: ``PROGRESS_NONE``.
PROGRESS_BREAKS: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
PROGRESS_COLOURS: tuple[str, ...] = ("#fff3e0", "#ffe0b2", "#c5e1a5", "#7cb342", "#33691e")
PROGRESS_NONE = "#eceff1"
#: Zoom level from which the reconstruction layer shows houses instead of township progress.
RECONSTRUCTION_ZOOM = {"points": 11}
#: Open aid flags per village (duplicate and missed aid, staff only): a count below ``AID_FLAG_BREAKS[i]``
#: takes ``AID_FLAG_COLOURS[i]``, from the last break up the last colour; no open flag: ``AID_FLAG_NONE``.
AID_FLAG_BREAKS: tuple[int, ...] = (2, 4, 8)
AID_FLAG_COLOURS: tuple[str, ...] = ("#fde0dd", "#fa9fb5", "#dd3497", "#7a0177")
AID_FLAG_NONE = "#eceff1"


def aid_flag_colour(count: int | None) -> str:
    """The choropleth colour of a village's open aid flags (None or 0: none)."""
    if not count:
        return AID_FLAG_NONE
    for limit, colour in zip(AID_FLAG_BREAKS, AID_FLAG_COLOURS):
        if count < limit:
            return colour
    return AID_FLAG_COLOURS[-1]


def progress_colour(rate: float | None) -> str:
    """The choropleth colour of a township's completion rate (None: no enrolled house)."""
    if rate is None:
        return PROGRESS_NONE
    for limit, colour in zip(PROGRESS_BREAKS, PROGRESS_COLOURS):
        if rate < limit:
            return colour
    return PROGRESS_COLOURS[-1]


def worst_status(statuses: Iterable[str | None], worst_first: Iterable[str]) -> str:
    """A household's worst verdict over its guarantees (the first of ``worst_first`` it has); ``unknown`` when none."""
    present = {s for s in statuses if s}
    for status in worst_first:
        if status in present:
            return status
    return "unknown"


def area_class(worst_counts: Mapping[str, int]) -> str:
    """The choropleth class of an area from its households' worst-verdict counts."""
    unmet, at_risk, met = (int(worst_counts.get(s, 0)) for s in ("unmet", "at_risk", "met"))
    judged = unmet + at_risk + met
    if judged == 0:
        if int(worst_counts.get("unknown", 0)):
            return "unknown"
        return "not_applicable" if int(worst_counts.get("not_applicable", 0)) else "empty"
    if unmet / judged >= AREA_UNMET_SHARE:
        return "unmet"
    if unmet or at_risk / judged >= AREA_AT_RISK_SHARE:
        return "at_risk"
    return "met"


def site_state(props: Mapping[str, Any]) -> str:
    if props.get("status") != "open":
        return "closed"
    capacity = props.get("capacity_persons") or 0
    ratio = (props.get("occupants") or 0) / capacity if capacity else 1.0
    return "full" if ratio >= 1 else "filling" if ratio >= SITE_FILLING_SHARE else "free"


def depot_state(props: Mapping[str, Any]) -> str:
    days = props.get("days_of_cover")
    if isinstance(days, (int, float)):
        return "empty" if days <= 0 else "low" if days < DEPOT_LOW_DAYS else "stocked"
    items = props.get("items_in_stock") or 0
    return "empty" if items <= 0 else "low" if items < DEPOT_LOW_ITEMS else "stocked"


def incident_svg(kind: str, status: str, size: int = 22) -> str:
    """The incident icon as inline SVG (same markup as map.js draws)."""
    path = KIND_SHAPES.get(kind, KIND_SHAPES["other"])
    fill = STATUS_COLOURS.get(status, "#555555")
    return (f'<svg width="{size}" height="{size}" viewBox="-1 -1 22 22" aria-hidden="true">'
            f'<path d="{path}" fill="{fill}" stroke="#1d2733" stroke-width="1.4" stroke-linejoin="round"/></svg>')


def as_dict() -> dict[str, Any]:
    """The tables as JSON-ready data (lists give the order; JSON objects may be re-sorted).

    Only what maps defines: the caller adds the words it does not (the
    guarantees, the verdicts), as ``/api/map/styles`` does.
    """
    return {
        "kinds": list(KIND_SHAPES), "statuses": list(STATUS_COLOURS), "site_states": list(SITE_STATE_COLOURS),
        "depot_states": list(DEPOT_STATE_COLOURS),
        "status_colours": STATUS_COLOURS, "kind_colours": KIND_COLOURS, "kind_shapes": KIND_SHAPES,
        "response_level_colours": RESPONSE_LEVEL_COLOURS,
        "guarantee_colours": GUARANTEE_COLOURS,
        "area_classes": list(AREA_CLASSES), "area_class_colours": AREA_CLASS_COLOURS,
        "area_unmet_share": AREA_UNMET_SHARE, "area_at_risk_share": AREA_AT_RISK_SHARE,
        "site_filling_share": SITE_FILLING_SHARE, "site_state_colours": SITE_STATE_COLOURS,
        "depot_low_days": DEPOT_LOW_DAYS, "depot_low_items": DEPOT_LOW_ITEMS,
        "depot_state_colours": DEPOT_STATE_COLOURS,
        "facility_colours": FACILITY_COLOURS, "base": BASE, "household_zoom": HOUSEHOLD_ZOOM,
        "house_stage_colours": HOUSE_STAGE_COLOURS, "house_stalled_stroke": HOUSE_STALLED_STROKE,
        "progress_breaks": list(PROGRESS_BREAKS), "progress_colours": list(PROGRESS_COLOURS),
        "progress_none": PROGRESS_NONE, "reconstruction_zoom": RECONSTRUCTION_ZOOM,
        "aid_flag_breaks": list(AID_FLAG_BREAKS), "aid_flag_colours": list(AID_FLAG_COLOURS),
        "aid_flag_none": AID_FLAG_NONE,
    }
