"""Stock movements on both stores: never negative (also under concurrency), atomic transfers, events, cover."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from relief.errors import InsufficientStock, NotFound, ValidationFailed
from relief.services import stock
from relief.services.context import Actor
from relief.store import ledger
from relief.store.stock_queries import movement_row
from relief.store.tables import AuditEntry, Distribution, GuaranteeStatus, StockMovement
from tests import world


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True),
                                   world.household("H2", 2, 109.46)])
    return store


def receive(ctx, holder_kind, holder_id, item_code, quantity):
    return stock.receive(ctx, {"holder_kind": holder_kind, "holder_id": holder_id, "item_code": item_code,
                               "quantity": quantity, "source": "allocation"})


def balance(store, kind, holder, item):
    with store.read() as session:
        return ledger.balance(session, kind, holder, item)


def movements(store, **where):
    with store.read() as session:
        query = select(StockMovement).order_by(StockMovement.id)
        for key, value in where.items():
            query = query.where(getattr(StockMovement, key) == value)
        return [SimpleNamespace(**movement_row(m)) for m in session.scalars(query)]


def test_receipt_adds_a_ledger_line_audits_and_publishes_the_new_balance_after_commit(place):
    published = []
    ctx = world.context(place, published=published)
    answer = receive(ctx, "depot", "D1", "RICE", 40)
    assert answer["balance"] == 40 and answer["movement"]["kind"] == "receipt"
    assert answer["movement"]["source"] == "allocation"
    [event] = published
    assert event["kind"] == "stock.changed" and event["topic"] == "stock" and event["seq"] > 0
    assert event["payload"] == {"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 40.0,
                                "delta": 40.0, "movement_id": answer["movement"]["id"]}
    assert event["area_code"] == world.COUNTY and event["public"] is False
    with place.read() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "stock.receipt")) == 1


def test_refused_movement_names_item_and_available_and_writes_nothing(place):
    published = []
    ctx = world.context(place, published=published)
    receive(ctx, "site", "S1", "RICE", 2)
    published.clear()
    with pytest.raises(InsufficientStock) as refused:
        stock.distribute(ctx, {"household_id": "H1", "item_code": "RICE", "quantity": 5,
                               "holder_kind": "site", "holder_id": "S1"})
    assert "RICE" in refused.value.message and "2 available" in refused.value.message
    assert refused.value.to_dict()["code"] == "insufficient_stock"
    assert refused.value.detail["item_code"] == "RICE" and refused.value.detail["available"] == 2
    assert published == []
    assert balance(place, "site", "S1", "RICE") == 2
    assert len(movements(place)) == 1
    with place.read() as session:
        assert session.scalar(select(func.count()).select_from(Distribution)) == 0


def test_distribution_records_household_line_and_rechecks_guarantees(place):
    ctx = world.context(place)
    receive(ctx, "site", "S1", "RICE", 10)
    at = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    answer = stock.distribute(ctx, {"household_id": "H1", "item_code": "RICE", "quantity": 4, "holder_kind": "site",
                                    "holder_id": "S1", "distributed_at": at})
    assert answer["balance"] == 6
    line = movements(place, kind="distribution")[0]
    assert line.household_id == "H1" and line.quantity == -4
    with place.read() as session:
        row = session.scalars(select(Distribution)).one()
        assert (row.movement_id, row.quantity) == (line.id, 4)
        assert session.get(GuaranteeStatus, "H1") is not None  # the guarantees hook ran in the transaction


def test_transfer_is_two_lines_with_one_transfer_id(place):
    ctx = world.context(place)
    receive(ctx, "depot", "D1", "WATER5", 30)
    answer = stock.transfer(ctx, {"from_kind": "depot", "from_id": "D1", "to_kind": "site", "to_id": "S2",
                                  "item_code": "WATER5", "quantity": 12, "reason": "top up"})
    lines = movements(place, transfer_id=answer["transfer_id"])
    assert [(m.kind, m.holder_id, m.quantity) for m in lines] == [("transfer_out", "D1", -12),
                                                                   ("transfer_in", "S2", 12)]
    assert answer["balances"] == {"from": 18, "to": 12}


def test_transfer_refused_leaves_both_sides_untouched(place):
    ctx = world.context(place)
    receive(ctx, "depot", "D1", "WATER5", 5)
    with pytest.raises(InsufficientStock):
        stock.transfer(ctx, {"from_kind": "depot", "from_id": "D1", "to_kind": "site", "to_id": "S2",
                             "item_code": "WATER5", "quantity": 6})
    assert balance(place, "depot", "D1", "WATER5") == 5 and balance(place, "site", "S2", "WATER5") == 0
    assert movements(place, kind="transfer_out") == [] and movements(place, kind="transfer_in") == []


def test_transfer_failing_on_its_second_line_rolls_back_the_first(place, monkeypatch):
    ctx = world.context(place)
    receive(ctx, "depot", "D1", "WATER5", 10)
    real = stock.record_movement

    def second_line_fails(unit, holder, item_code, delta, kind, **extra):
        if kind == "transfer_in":
            raise RuntimeError("the database went away")
        return real(unit, holder, item_code, delta, kind, **extra)

    monkeypatch.setattr(stock, "record_movement", second_line_fails)
    with pytest.raises(RuntimeError):
        stock.transfer(ctx, {"from_kind": "depot", "from_id": "D1", "to_kind": "site", "to_id": "S1",
                             "item_code": "WATER5", "quantity": 4})
    assert balance(place, "depot", "D1", "WATER5") == 10
    assert movements(place, kind="transfer_out") == []


def test_adjustment_needs_a_reason_and_cannot_go_negative(place):
    ctx = world.context(place)
    receive(ctx, "site", "S2", "BLANKET", 3)
    with pytest.raises(ValidationFailed) as missing:
        stock.adjust(ctx, {"holder_kind": "site", "holder_id": "S2", "item_code": "BLANKET", "quantity": -1})
    assert missing.value.field == "reason"
    with pytest.raises(InsufficientStock) as refused:
        stock.adjust(ctx, {"holder_kind": "site", "holder_id": "S2", "item_code": "BLANKET", "quantity": -4,
                           "reason": "count"})
    assert refused.value.detail["available"] == 3
    answer = stock.adjust(ctx, {"holder_kind": "site", "holder_id": "S2", "item_code": "BLANKET", "quantity": -2,
                                "reason": "spoilage: soaked"})
    assert answer["balance"] == 1 and answer["movement"]["reason"] == "spoilage: soaked"


@pytest.mark.parametrize("body, field", [
    ({"holder_kind": "warehouse", "holder_id": "D1", "item_code": "RICE", "quantity": 1, "source": "purchase"},
     "holder_kind"),
    ({"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 0, "source": "purchase"}, "quantity"),
    ({"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": "5", "source": "purchase"},
     "quantity"),
    ({"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 5, "source": "gift"}, "source"),
])
def test_bad_receipts_name_the_field(place, body, field):
    with pytest.raises(ValidationFailed) as refused:
        stock.receive(world.context(place), body)
    assert refused.value.field == field


def test_unknown_holder_item_or_household_is_not_found_naming_the_field(place):
    ctx = world.context(place)
    with pytest.raises(NotFound) as holder:
        receive(ctx, "depot", "D9", "RICE", 1)
    assert holder.value.field == "holder_id"
    with pytest.raises(NotFound) as item:
        receive(ctx, "depot", "D1", "CAVIAR", 1)
    assert item.value.field == "item_code"
    with pytest.raises(NotFound) as household:
        stock.distribute(ctx, {"household_id": "H404", "item_code": "RICE", "quantity": 1, "holder_kind": "site",
                               "holder_id": "S1"})
    assert household.value.field == "household_id"


def test_stock_never_negative_under_concurrent_distributions(place):
    """Balance 10, eight workers each distributing 3 at once: exactly three succeed."""
    receive(world.context(place), "site", "S1", "RICE", 10)
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        ctx = world.context(place, Actor(None, f"worker-{n}", "site_manager"))
        start.wait()
        try:
            stock.distribute(ctx, {"household_id": "H1", "item_code": "RICE", "quantity": 3,
                                   "holder_kind": "site", "holder_id": "S1"})
            result = "ok"
        except InsufficientStock as refused:
            result = f"insufficient:{refused.detail['available']:g}"
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            result = f"error:{error!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(o.split(":")[0] for o in outcomes) == ["insufficient"] * 5 + ["ok"] * 3, outcomes
    assert balance(place, "site", "S1", "RICE") == 1
    with place.read() as session:
        assert ledger.ledger_sums(session)[("site", "S1", "RICE")] == 1
        assert {k: v for k, v in ledger_sums_and_balances(session).items() if v[0] != v[1]} == {}
        assert session.scalar(select(func.count()).select_from(Distribution)) == 3


def ledger_sums_and_balances(session):
    sums = ledger.ledger_sums(session)
    balances = {(b["holder_kind"], b["holder_id"], b["item_code"]): b["quantity"] for b in ledger.balances(session)}
    return {key: (sums.get(key, 0.0), balances.get(key, 0.0)) for key in set(sums) | set(balances)}


def test_balances_and_ledger_reads(place):
    ctx = world.context(place)
    receive(ctx, "depot", "D1", "RICE", 7)
    receive(ctx, "site", "S1", "RICE", 2)
    rows = stock.balances(ctx, holder_kind="depot")["balances"]
    assert rows == [{"holder_kind": "depot", "holder_id": "D1", "item_code": "RICE", "quantity": 7.0,
                     "holder_name": "Depot west", "item_name": "Rice", "item_unit": "kg"}]
    lines = stock.ledger_lines(ctx, holder_kind="site", holder_id="S1")["lines"]
    assert [(line["kind"], line["quantity"]) for line in lines] == [("receipt", 2.0)]
    with pytest.raises(ValidationFailed) as bad:
        stock.balances(ctx, holder_kind="truck")
    assert bad.value.field == "holder_kind"
