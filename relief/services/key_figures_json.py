"""The shape of ``GET /api/key-figures`` (``services/key_figures.py``): counts, times through ``relief.jsonable``."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from relief.domain.vocabulary import GUARANTEES
from relief.jsonable import moment, number


def key_figures_answer(*, as_of: datetime, standards_version: str, levels: Sequence[str],
                       by_level: Mapping[str | None, int], persons_relocated: int, households_relocated: int,
                       unmet: Mapping[str, int], sites_open: int, sites_full: int, stock_items: int,
                       stock_sites: int, horizon_hours: float) -> dict[str, Any]:
    """Incident levels in the order given (then any other level seen, then ``null``: no level yet)."""
    order = list(levels) + sorted(str(level) for level in by_level if level is not None and level not in levels)
    rows = [{"level": level, "count": int(by_level.get(level, 0))} for level in order]
    rows.append({"level": None, "count": int(by_level.get(None, 0))})
    return {
        "as_of": moment(as_of), "standards_version": standards_version,
        "incidents": {"total": sum(r["count"] for r in rows), "by_level": rows},
        "relocated": {"persons": int(persons_relocated), "households": int(households_relocated)},
        "households_unmet": {"any": int(unmet.get("any", 0)), **{g: int(unmet.get(g, 0)) for g in GUARANTEES}},
        "sites": {"open": int(sites_open), "full": int(sites_full)},
        "stock_running_out": {"items": int(stock_items), "sites": int(stock_sites),
                              "within_hours": number(horizon_hours, 3)},
    }
