"""Validation of the indicators on a statutory report (初报/续报/核报).

Figures arrive from phones and spreadsheets, so they may be strings; what
leaves here is clean numbers, every indicator present (missing ones as 0), or
a :class:`ValidationFailed` naming the bad field. The names are those of the
report table (``INDICATOR_COLUMNS`` people/houses counts,
``AREA_INDICATOR_COLUMNS`` hectares and 10,000 yuan).
"""
from __future__ import annotations

import math
import numbers
import re
from typing import Any, Mapping

from relief.errors import ValidationFailed

COUNT_INDICATORS: tuple[str, ...] = (
    "affected", "dead", "missing", "evacuated",
    "relocated_centralised", "relocated_dispersed",
    "emergency_aid", "transitional_aid",
    "collapsed_rooms", "collapsed_households",
    "severe_rooms", "severe_households",
    "general_rooms", "general_households",
    "drought_needing_aid",
)
AMOUNT_INDICATORS: tuple[str, ...] = ("crops_affected_ha", "crops_lost_ha", "economic_loss_10k_yuan")
INDICATORS: tuple[str, ...] = COUNT_INDICATORS + AMOUNT_INDICATORS

#: Sanity rules: (field blamed, parts summed, the bound they may not exceed).
#: People counted as dead, missing, relocated or needing aid are part of the
#: affected population, and lost crops part of affected crops. Houses get no
#: rule: households and rooms are counted by different conventions and early
#: reports often know one and not the other, so neither bounds the other.
LIMITS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("dead", ("dead", "missing"), "affected"),
    ("relocated_centralised", ("relocated_centralised", "relocated_dispersed"), "affected"),
    ("emergency_aid", ("emergency_aid",), "affected"),
    ("transitional_aid", ("transitional_aid",), "affected"),
    ("drought_needing_aid", ("drought_needing_aid",), "affected"),
    ("crops_lost_ha", ("crops_lost_ha",), "crops_affected_ha"),
)

_INT_TEXT = re.compile(r"^\+?\d+$")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count(value: Any) -> int:
    """A non-negative whole number, or ValueError saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true/false")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        if not math.isfinite(value) or value != int(value):
            raise ValueError(f"must be a whole number, not {value!r}")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("-") and _INT_TEXT.match(text[1:]):
            raise ValueError(f"must not be negative, got {text}")
        if not _INT_TEXT.match(text):
            raise ValueError(f"must be a whole number, not {value!r}")
        number = int(text)
    else:
        raise ValueError(f"must be a whole number, not {type(value).__name__}")
    if number < 0:
        raise ValueError(f"must not be negative, got {number}")
    return number


def _amount(value: Any) -> float:
    """A non-negative finite number, or ValueError saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"must be a number, not {value!r}") from None
    else:
        raise ValueError(f"must be a number, not {type(value).__name__}")
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, not {value!r}")
    if number < 0:
        raise ValueError(f"must not be negative, got {number:g}")
    return number


def _fail(problems: list[tuple[str, str]]) -> None:
    if problems:
        message = "; ".join(f"{name} {why}" for name, why in problems)
        detail = [{"field": name, "message": why} for name, why in problems]
        raise ValidationFailed(message, field=problems[0][0], detail=detail)


def validate_indicators(data: Mapping[str, Any], *, strict: bool = False) -> dict[str, int | float]:
    """Every indicator, cleaned: counts as ``int``, amounts as ``float``.

    Missing, ``None`` or blank fields are 0. Other keys are ignored (a report
    payload carries more than figures) unless ``strict``, where they are
    refused. All problems are reported at once: ``field`` names the first,
    ``detail`` lists each ``{"field", "message"}``. Type errors are checked
    before the sanity rules in :data:`LIMITS`.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed("indicators must be an object of named figures", field="indicators")
    problems: list[tuple[str, str]] = []
    if strict:
        problems += [(str(k), "is not a known indicator") for k in data if k not in INDICATORS]
    clean: dict[str, int | float] = {}
    for name in INDICATORS:
        value = data.get(name)
        if _blank(value):
            clean[name] = 0 if name in COUNT_INDICATORS else 0.0
            continue
        try:
            clean[name] = _count(value) if name in COUNT_INDICATORS else _amount(value)
        except ValueError as why:
            problems.append((name, str(why)))
    _fail(problems)
    for blamed, parts, bound in LIMITS:
        total = sum(clean[p] for p in parts)
        if total > clean[bound]:
            what = " + ".join(parts)
            problems.append((blamed, f"is too large: {what} = {total:g} exceeds {bound} = {clean[bound]:g}"))
    _fail(problems)
    return clean
