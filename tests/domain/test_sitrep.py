"""The sitrep's pure rules: changes, highlights, the next deadline, bars, long tables and the map."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import box

from relief.domain import sitrep
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

CST = timezone(timedelta(hours=8))
RULES = Standards.bundled().report_deadlines


def test_deltas_need_a_previous_value():
    assert sitrep.deltas({"dead": 5, "affected": 10}, None, ["dead"]) == {"dead": None}
    assert sitrep.deltas({"dead": 5, "affected": 10}, {"dead": 3}, ["dead", "affected"]) == {"dead": 2,
                                                                                               "affected": None}


def test_highlights_rank_the_relatively_largest_change_first():
    key = {"affected": 1100, "dead": 4}
    changes = {"affected": 100, "dead": 2}  # +10 % against +100 %
    found = sitrep.highlights(key, changes, [], has_previous=True, unmet_any=3, overdue=0, sites_full=0)
    assert found[0] == {"code": "figure_rose", "params": {"figure": "dead", "delta": 2, "value": 4}}
    assert found[1]["params"]["figure"] == "affected"
    assert found[-1] == {"code": "unmet_households", "params": {"households": 3}}


def test_next_report_due_is_nine_oclock_today_or_tomorrow():
    nine = datetime(2026, 7, 2, 9, 0, tzinfo=CST)
    assert sitrep.next_report_due(nine - timedelta(hours=1), RULES) == nine
    assert sitrep.next_report_due(nine, RULES) == nine + timedelta(days=1)


def test_as_of_checks_name_the_field():
    now = datetime(2026, 7, 2, tzinfo=CST)
    day = timedelta(days=1)
    for bad, first in ((now + timedelta(seconds=1), now - day), (now - 2 * day, now - day), (now, None),
                       (datetime(2026, 7, 1), now)):
        with pytest.raises(ValidationFailed) as caught:
            sitrep.check_as_of(bad, now=now, first_data_at=first)
        assert caught.value.field == "as_of"


def test_bars_and_long_tables():
    assert sitrep.bars([5, None, 10], 100) == [50.0, 0.0, 100.0]
    rows = [{"code": f"T{i}", "affected": i} for i in range(5)]
    kept, rest = sitrep.top_with_rest(rows, "affected", 2, ["affected"])
    assert [r["code"] for r in kept] == ["T4", "T3"] and rest == {"count": 3, "affected": 3}


def test_map_projects_west_left_and_north_up():
    drawn = sitrep.map_shapes([("W", box(109.0, 30.0, 109.5, 30.5)), ("E", box(109.5, 30.0, 110.0, 30.5))],
                              [{"lon": 109.1, "lat": 30.4, "id": 1}, {"lon": 109.9, "lat": 30.1, "id": 2}])
    a, b = drawn["points"]
    assert a["x"] < b["x"] and a["y"] < b["y"] and a["id"] == 1
    assert all(c["d"].startswith("M") and c["d"].endswith("Z") for c in drawn["counties"])
    assert sitrep.map_shapes([], []) ["counties"] == []
