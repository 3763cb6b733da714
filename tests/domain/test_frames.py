"""The shared frame checks and time conversions of the vectorised domain modules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from relief.domain.frames import moments_after, require_columns, times_ns, utc_ns
from relief.errors import ValidationFailed

CST = timezone(timedelta(hours=8))


def test_a_missing_column_is_named_and_an_empty_frame_passes():
    with pytest.raises(ValidationFailed) as refused:
        require_columns(pd.DataFrame({"a": [1]}), ("a", "b"), "sites")
    assert refused.value.field == "sites.b"
    require_columns(pd.DataFrame(), ("a", "b"), "sites")


def test_moments_must_carry_a_zone_and_compare_in_utc():
    assert utc_ns(datetime(2026, 7, 1, 8, tzinfo=CST)) == utc_ns(datetime(2026, 7, 1, 0, tzinfo=timezone.utc))
    with pytest.raises(ValidationFailed) as refused:
        utc_ns(datetime(2026, 7, 1, 8), field="as_of")
    assert refused.value.field == "as_of"


def test_a_column_with_mixed_offsets_becomes_utc_and_naive_ones_are_refused():
    mixed = pd.Series([datetime(2026, 7, 1, 8, tzinfo=CST), datetime(2026, 7, 1, 0, tzinfo=timezone.utc)], dtype=object)
    first, second = times_ns(mixed, "distributions.distributed_at")
    assert first == second
    with pytest.raises(ValidationFailed) as refused:
        times_ns(pd.Series([datetime(2026, 7, 1)]), "medical_visits.visited_at")
    assert refused.value.field == "medical_visits.visited_at"


def test_moments_after_leave_infinite_spans_empty():
    now = utc_ns(datetime(2026, 7, 1, tzinfo=timezone.utc))
    out = moments_after(now, np.array([3600.0, np.inf, -np.inf]))
    assert out[0] == pd.Timestamp("2026-07-01 01:00", tz="UTC") and out[1:].isna().all()
