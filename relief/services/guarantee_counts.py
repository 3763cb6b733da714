"""What the public may learn live about the five guarantees: counts per village, never a household.

``guarantee.changed`` (staff only) lists each household whose verdicts
changed. A public map draws only counts per village and township, the counts
``GET /api/guarantees/summary`` answers without a login, so the same change
also goes to everyone as ``guarantee.counts``: per village, how many
households entered (+) or left (−) each verdict, per guarantee and for the
worst verdict, with zeros left out. A client adds these to a summary it
loaded for events after that summary's ``seq``. Changes that move no count
(households in no village) leave ``villages`` empty, and nothing is published.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping

from maps import styles
from relief.domain.vocabulary import GUARANTEES, UNKNOWN, VERDICTS_WORST_FIRST

KIND = "guarantee.counts"


def village_deltas(changes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"villages": {code: {"worst": {status: ±n}, "guarantees": {g: {status: ±n}}}}}`` for ``changes``.

    Counted exactly as the summary counts (a verdict never judged is
    ``unknown``, the worst verdict by :func:`maps.styles.worst_status`).
    """
    worst: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_guarantee: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for change in changes:
        village = change.get("village_code")
        if not village:  # a household in no village is in no area's counts
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        for guarantee in GUARANTEES:
            per_guarantee[village][guarantee][before.get(guarantee) or UNKNOWN] -= 1
            per_guarantee[village][guarantee][after.get(guarantee) or UNKNOWN] += 1
        worst[village][styles.worst_status((before.get(g) for g in GUARANTEES), VERDICTS_WORST_FIRST)] -= 1
        worst[village][styles.worst_status((after.get(g) for g in GUARANTEES), VERDICTS_WORST_FIRST)] += 1
    villages = {}
    for village in sorted(set(worst) | set(per_guarantee)):
        guarantees = {g: _nonzero(counts) for g, counts in per_guarantee[village].items() if _nonzero(counts)}
        moved = {"worst": _nonzero(worst[village]), "guarantees": guarantees}
        if moved["worst"] or guarantees:
            villages[village] = moved
    return {"villages": villages}


def _nonzero(counts: Mapping[str, int]) -> dict[str, int]:
    return {status: n for status, n in sorted(counts.items()) if n}
