"""Response level from aggregated indicators and a thresholds table.

The table is data (``response_levels`` in the standards document, or a local
table an administrator publishes): levels listed most severe first, each with
thresholds on the derived indicators below. Any one indicator at or above a
level's threshold triggers that level; the most severe level triggered wins.
Levels are ranked by their position in the table, never by their names, so
a local table may call its levels anything.

The national plan also triggers on drought needing aid as a share of the farm
population (≥ 30 % / 25 % / 20 % / 15 %). Relief holds no farm-population
figure, so that condition is not computed; only the absolute drought count is.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping

from relief.errors import ValidationFailed

#: Derived indicator → the report indicators it sums.
DERIVED: dict[str, tuple[str, ...]] = {
    "dead_missing": ("dead", "missing"),
    "relocated_and_emergency_aid": ("relocated_centralised", "relocated_dispersed", "emergency_aid"),
    "collapsed_severe_rooms": ("collapsed_rooms", "severe_rooms"),
    "collapsed_severe_households": ("collapsed_households", "severe_households"),
    "drought_needing_aid": ("drought_needing_aid",),
}


@dataclass(frozen=True)
class ResponseLevel:
    """The chosen level (``None``: below every level) and why.

    Each reason is ``{"indicator", "value", "threshold", "level"}``, one per
    indicator at or over its threshold at the chosen level.
    """

    level: str | None
    reasons: list[dict[str, Any]] = field(default_factory=list)


def derived_indicators(aggregated: Mapping[str, Any]) -> dict[str, int | float]:
    """Sum report indicators into the table's indicators.

    Where none of the parts are given but the derived name itself is, that
    value is used, so callers may pass either form.
    """
    out: dict[str, float] = {}
    for name, parts in DERIVED.items():
        present = [aggregated[p] for p in parts if aggregated.get(p) is not None]
        total = sum(present) if present else (aggregated.get(name) or 0)
        out[name] = _plain(total)
    return out


def _plain(number: Any) -> int | float:
    """numpy numbers as Python ones, so reasons serialise as JSON."""
    number = number.item() if hasattr(number, "item") else number
    return int(number) if float(number).is_integer() else float(number)


def _levels(table: Mapping[str, Any] | list) -> list[Mapping[str, Any]]:
    return list(table["levels"] if isinstance(table, Mapping) else table)


def response_level(aggregated: Mapping[str, Any], table: Mapping[str, Any] | list) -> ResponseLevel:
    """The most severe level any indicator reaches.

    ``aggregated`` holds report indicators (e.g. ``Aggregates.total`` or one
    row of ``by_incident``); ``table`` is a ``{"levels": [...]}`` section
    (``Standards.response_levels`` of the version in force) or its list of levels.
    """
    values = derived_indicators(aggregated)
    for entry in _levels(table):
        reasons = [
            {"indicator": name, "value": values[name], "threshold": threshold, "level": entry["level"]}
            for name, threshold in entry["thresholds"].items()
            if threshold is not None and name in values and values[name] >= threshold
        ]
        if reasons:
            return ResponseLevel(entry["level"], reasons)
    return ResponseLevel(None, [])


def validate_table(table: Any) -> dict[str, Any]:
    """Check an administrator's thresholds table; return a clean copy.

    Levels most severe first, unique non-empty names, known indicator names,
    positive finite numbers (a zero threshold would trigger on every
    incident), and for each indicator a level's threshold no higher than the
    more severe level's above it. Raises :class:`ValidationFailed` with
    ``field`` like ``levels[2].thresholds.dead_missing``.
    """
    levels = table.get("levels") if isinstance(table, Mapping) else None
    if not isinstance(levels, list) or not levels:
        raise ValidationFailed("a response table needs a non-empty list of levels", field="levels")
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, entry in enumerate(levels):
        where = f"levels[{i}]"
        if not isinstance(entry, Mapping):
            raise ValidationFailed("each level must be an object with level and thresholds", field=where)
        name = entry.get("level")
        if not isinstance(name, str) or not name.strip():
            raise ValidationFailed("each level needs a name", field=f"{where}.level")
        if name in seen:
            raise ValidationFailed(f"level {name!r} appears twice", field=f"{where}.level")
        seen.add(name)
        thresholds = entry.get("thresholds")
        if not isinstance(thresholds, Mapping) or not thresholds:
            raise ValidationFailed(f"level {name} needs at least one threshold", field=f"{where}.thresholds")
        checked: dict[str, float | int] = {}
        for indicator, value in thresholds.items():
            spot = f"{where}.thresholds.{indicator}"
            if indicator not in DERIVED:
                raise ValidationFailed(
                    f"unknown indicator {indicator!r}; expected one of {', '.join(DERIVED)}", field=spot)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
                raise ValidationFailed(f"threshold for {indicator} must be a positive number", field=spot)
            checked[indicator] = value
        for previous in reversed(clean):
            for indicator, value in checked.items():
                above = previous["thresholds"].get(indicator)
                if above is not None and value > above:
                    raise ValidationFailed(
                        f"level {name} threshold for {indicator} ({value:g}) exceeds the more severe "
                        f"level {previous['level']} ({above:g}); list levels most severe first",
                        field=f"{where}.thresholds.{indicator}")
        clean.append({**{k: v for k, v in entry.items() if k not in ("level", "thresholds")},
                      "level": name, "thresholds": checked})
    return {**{k: v for k, v in table.items() if k != "levels"}, "levels": clean}
