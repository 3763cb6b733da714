"""0004 marks the verdicts kept before it due, so the scheduler's first tick gives each its moment."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from relief.store.db import Store
from relief.store.migrate import upgrade
from tests.conftest import PG_URL, _pg_database

AS_OF = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def store_at_0003(tmp_path):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = _pg_database(PG_URL, f"relief_test_0004_{worker}") if PG_URL else f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    upgrade(store, "0003")
    yield store
    store.dispose()


def test_verdicts_in_scope_are_due_at_their_as_of_after_upgrading(store_at_0003):
    from relief.store.tables import GuaranteeStatus, Household

    with store_at_0003.engine.begin() as conn:
        for hid in ("IN", "OUT"):
            conn.execute(Household.__table__.insert().values(
                id=hid, head_name="x", members=1, house_damage="none", shelter="home", updated_at=AS_OF))
        words = {"IN": dict(food="unmet", clothing="met", water="met", housing="met", medical="met"),
                 "OUT": dict.fromkeys(("food", "clothing", "water", "housing", "medical"), "not_applicable")}
        for hid, verdict in words.items():
            conn.execute(GuaranteeStatus.__table__.insert().values(
                household_id=hid, reasons={}, shortfalls={}, as_of=AS_OF, standards_version="v", **verdict))
    assert upgrade(store_at_0003, "0004") == "0004"
    with store_at_0003.engine.connect() as conn:
        rows = dict(conn.execute(GuaranteeStatus.__table__.select().with_only_columns(
            GuaranteeStatus.household_id, GuaranteeStatus.next_change_at)).all())
    assert rows == {"IN": AS_OF, "OUT": None}
