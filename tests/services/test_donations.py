"""Donations: in kind as ledger receipts, cash with or without a destination, masked public listing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from relief.errors import NotFound, ValidationFailed
from relief.services import donations
from relief.store import ledger
from relief.store.tables import AuditEntry, Donation, StockMovement
from tests import world

IN_KIND = {"donor_name": "王小明", "donor_contact": "13812345678", "consent_public": False, "kind": "in_kind",
           "item_code": "BLANKET", "quantity": 20, "destination_kind": "depot", "destination_id": "D1"}
CASH = {"donor_name": "恩施州红十字会", "donor_contact": "0718-8221234", "consent_public": True, "kind": "cash",
        "amount_yuan": 5000}


@pytest.fixture
def place(store):
    world.build(store)
    return store


def test_in_kind_donation_is_a_ledger_receipt_linked_by_movement_id(place):
    published = []
    answer = donations.record_donation(world.context(place, published=published), IN_KIND)
    with place.read() as session:
        donation = session.scalars(select(Donation)).one()
        movement = session.get(StockMovement, donation.movement_id)
        assert (movement.kind, movement.source, movement.holder_id) == ("receipt", "donation", "D1")
        assert movement.quantity == 20
        assert ledger.balance(session, "depot", "D1", "BLANKET") == 20
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "donation.record")).one()
        assert "王小明" not in repr(audit.detail) and "13812345678" not in repr(audit.detail)
    assert answer["donation"]["donor_name"] == "王小明"  # the staff answer keeps the record
    assert answer["public"]["donor"] == "王**" and "donor_contact" not in answer["public"]
    [event] = [e for e in published if e["kind"] == "donation.recorded"]
    assert event["public"] is True and event["topic"] == "stock"
    assert "王小明" not in repr(event) and "13812345678" not in repr(event)
    assert [e["kind"] for e in published].count("stock.changed") == 1


def test_cash_donation_needs_no_stock_and_may_have_no_destination(place):
    answer = donations.record_donation(world.context(place), CASH)
    assert answer["donation"]["movement_id"] is None and answer["public"]["donor"] == "恩施州红十字会"
    with place.read() as session:
        assert session.scalars(select(StockMovement)).all() == []


@pytest.mark.parametrize("change, field", [
    ({"donor_name": ""}, "donor_name"), ({"kind": "crypto"}, "kind"), ({"consent_public": "yes"}, "consent_public"),
    ({"quantity": -1}, "quantity"), ({"amount_yuan": 100}, "amount_yuan"),
    ({"destination_kind": None}, "destination_kind"), ({"destination_kind": "village"}, "destination_kind"),
    ({"item_code": None}, "item_code"),
])
def test_bad_in_kind_donation_names_the_field(place, change, field):
    with pytest.raises(ValidationFailed) as refused:
        donations.record_donation(world.context(place), {**IN_KIND, **change})
    assert refused.value.field == field


@pytest.mark.parametrize("change, field", [
    ({"amount_yuan": 0}, "amount_yuan"), ({"item_code": "RICE"}, "item_code"),
    ({"destination_id": "D1"}, "destination_kind"),
])
def test_bad_cash_donation_names_the_field(place, change, field):
    with pytest.raises(ValidationFailed) as refused:
        donations.record_donation(world.context(place), {**CASH, **change})
    assert refused.value.field == field


def test_unknown_destination_or_item(place):
    with pytest.raises(NotFound) as destination:
        donations.record_donation(world.context(place), {**IN_KIND, "destination_id": "D9"})
    assert destination.value.field == "destination_id"
    with pytest.raises(NotFound) as item:
        donations.record_donation(world.context(place), {**IN_KIND, "item_code": "GOLD"})
    assert item.value.field == "item_code"


def test_public_listing_masks_and_totals_by_destination(place):
    ctx = world.context(place)
    donations.record_donation(ctx, IN_KIND)
    donations.record_donation(ctx, {**IN_KIND, "donor_name": "李四", "quantity": 5})
    donations.record_donation(ctx, CASH)
    donations.record_donation(ctx, {**CASH, "donor_name": "张三丰", "consent_public": False, "amount_yuan": 200,
                                    "destination_kind": "site", "destination_id": "S1"})
    listing = donations.public_listing(ctx)
    text = repr(listing)
    for secret in ("王小明", "李四", "张三丰", "13812345678", "0718-8221234"):
        assert secret not in text
    assert sorted(d["donor"] for d in listing["donations"]) == sorted(["张**", "李**", "恩施州红十字会", "王**"])
    totals = {(t["destination_kind"], t["destination_id"]): t for t in listing["totals"]["by_destination"]}
    assert totals["depot", "D1"]["items"] == [{"item_code": "BLANKET", "item_name": "Blanket", "unit": "piece",
                                               "quantity": 25.0}]
    assert totals["site", "S1"]["cash_yuan"] == 200 and totals["site", "S1"]["destination_name"] == "Site S1"
    assert totals[None, None]["cash_yuan"] == 5000
    assert listing["totals"]["cash_yuan"] == 5200 and listing["totals"]["donations"] == 4
    assert listing["page"]["total"] == 4
