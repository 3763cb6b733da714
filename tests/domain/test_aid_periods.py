"""The period an in-kind distribution covers its household, and the figures it is read with."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from relief.domain import aid_chain as domain
from relief.domain.standards import Standards
from relief.errors import ValidationFailed

T0 = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)
FIG = domain.PeriodFigures.of(Standards.bundled())


def _periods(**columns) -> pd.DataFrame:
    n = len(columns["purpose"])
    frame = pd.DataFrame({"distributed_at": [T0] * n, "quantity": [1.0] * n, "members": [1] * n,
                          "kcal_per_unit": [0.0] * n, "litres_per_unit": [0.0] * n})
    for name, values in columns.items():
        frame[name] = values
    return domain.distribution_periods(frame, FIG)


def test_food_lasts_its_kcal_over_the_members_daily_need():
    got = _periods(purpose=["food"], quantity=[21], members=[3], kcal_per_unit=[3500])
    assert got["period_start"].iloc[0] == pd.Timestamp(T0)
    assert got["period_end"].iloc[0] - got["period_start"].iloc[0] == timedelta(days=11, hours=16)


def test_water_lasts_its_litres_over_the_members_daily_need():
    got = _periods(purpose=["water"], quantity=[9], members=[3], litres_per_unit=[5])  # 45 L ÷ 45 L a day
    assert got["period_end"].iloc[0] - got["period_start"].iloc[0] == timedelta(days=1)


def test_other_purposes_and_food_without_kcal_cover_their_standard_days():
    got = _periods(purpose=["clothing", "housing", "medical", "food", "food"],
                   kcal_per_unit=[0, 0, 0, 0, 3500], members=[2, 2, 2, 2, 0])
    days = (got["period_end"] - got["period_start"]).dt.total_seconds() / 86400
    assert days.tolist() == [90, 30, 7, 1, 1]  # no kcal, no members: the food default


def test_item_purposes_cover_every_item_guarantee():
    from relief.domain.vocabulary import ITEM_GUARANTEES, PURPOSE_CLASSES

    assert set(domain.ITEM_PURPOSE) == set(ITEM_GUARANTEES)
    assert set(domain.ITEM_PURPOSE.values()) <= set(PURPOSE_CLASSES)
    assert domain.ITEM_PURPOSE["bedding"] == "clothing" and domain.ITEM_PURPOSE["other"] == "housing"


def test_a_distribution_needs_its_moment_and_a_known_purpose():
    with pytest.raises(ValidationFailed) as missing:
        domain.distribution_periods(pd.DataFrame({"distributed_at": [pd.NaT], "purpose": ["food"], "quantity": [1],
                                                  "members": [1], "kcal_per_unit": [1], "litres_per_unit": [0]}), FIG)
    assert missing.value.field == "distributions.distributed_at"
    with pytest.raises(ValidationFailed) as unknown:
        _periods(purpose=["toys"])
    assert unknown.value.field == "distributions.purpose"


@pytest.mark.parametrize("section, field", [
    ({}, "aid_chain.in_kind_days"),
    ({"in_kind_days": {"food": 1}}, "aid_chain.in_kind_days"),
    ({"in_kind_days": {p: 1 for p in ("food", "clothing", "water", "housing", "medical", "living_cash")}
      | {"reconstruction": 0}}, "aid_chain.in_kind_days.reconstruction"),
])
def test_in_kind_days_must_give_positive_days_for_every_purpose(section, field):
    with pytest.raises(ValidationFailed) as refused:
        domain.PeriodFigures.from_section(section, 2100, 15)
    assert refused.value.field == field
