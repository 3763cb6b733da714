"""The map's key figures (``GET /api/key-figures``) against a small world built with the factories."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from relief.services import stock
from relief.store.tables import GuaranteeStatus
from tests import world

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
MET = dict(food="met", clothing="met", water="met", housing="met", medical="met")


def incident(status: str, level: str | None, x: float):
    row = world.hazard(x, 30.2, x + 0.01, 30.21, status=status)
    row.response_level = level
    return row


@pytest.fixture
def region(store):
    """S1 (10 places) holds 11 people: full. S2 (20 places) holds 19. S3 is closed. H4 is dispersed, H5 at home."""
    world.build(store, households=[
        world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True),
        world.household("H2", 8, 109.45, shelter="site", site_id="S1", evacuated=True),
        world.household("H3", 19, 109.48, shelter="site", site_id="S2", evacuated=True),
        world.household("H4", 4, 109.50, shelter="dispersed", dispersed_kind="host_family", house_damage="severe"),
        world.household("H5", 5, 109.50),
    ], incidents=[
        incident("verified", "II", 109.40), incident("responding", "II", 109.42), incident("stabilised", "IV", 109.44),
        incident("reported", None, 109.46),
        incident("closed", "I", 109.48), incident("rejected", None, 109.50), incident("duplicate", "III", 109.52),
    ])
    ctx = world.context(store)
    receipts = [("S1", "RICE", 5),      # 11 people eat 6.6 kg a day: under a day left
                ("S1", "WATER5", 100),  # 165 L a day: 3 days
                ("S1", "BLANKET", 20),  # not consumed daily: never runs out
                ("S2", "RICE", 10),     # 19 people, 11.4 kg a day: under a day
                ("S2", "WATER5", 60),   # 285 L a day: 1.05 days, just beyond 24 h
                ("S3", "RICE", 1)]      # a closed site counts for nothing
    for site, item, quantity in receipts:
        stock.receive(ctx, {"holder_kind": "site", "holder_id": site, "item_code": item, "quantity": quantity,
                            "source": "allocation"})
    verdicts = {"H1": {**MET, "food": "unmet", "water": "unmet"}, "H2": {**MET, "housing": "unmet"},
                "H3": {**MET, "food": "at_risk"}, "H4": MET,
                "H5": {g: "not_applicable" for g in MET}}
    with store.write() as session:
        for hid, row in verdicts.items():
            session.add(GuaranteeStatus(household_id=hid, village_code=world.VILLAGE, **row, reasons={},
                                        shortfalls={}, as_of=NOW, standards_version="test"))
    return store


def test_key_figures_count_what_the_world_holds(client, region):
    response = client.get("/api/key-figures")
    assert response.status_code == 200
    body = response.get_json()
    assert body["incidents"] == {"total": 4, "by_level": [
        {"level": "I", "count": 0}, {"level": "II", "count": 2}, {"level": "III", "count": 0},
        {"level": "IV", "count": 1}, {"level": None, "count": 1}]}
    assert body["relocated"] == {"persons": 3 + 8 + 19 + 4, "households": 4}
    assert body["households_unmet"] == {"any": 2, "food": 1, "clothing": 0, "water": 1, "housing": 1, "medical": 0}
    assert body["sites"] == {"open": 2, "full": 1}
    assert body["stock_running_out"] == {"items": 2, "sites": 2, "within_hours": 24}


def test_key_figures_are_public_counts_without_names(client, region):
    text = client.get("/api/key-figures").get_data(as_text=True)
    for private in ("户主", "13800000000", "Site S1", "H1", "S1", "RICE"):
        assert private not in text


def test_a_site_filling_up_and_a_delivery_move_the_figures(client, region, store):
    """A delivery of rice to S2 and one more person there: S2 is full, and its water now lasts exactly a day."""
    ctx = world.context(store)
    stock.receive(ctx, {"holder_kind": "site", "holder_id": "S2", "item_code": "RICE", "quantity": 100,
                        "source": "allocation"})
    with store.write() as session:
        session.add(world.household("H6", 1, 109.48, shelter="site", site_id="S2", evacuated=True))
    body = client.get("/api/key-figures").get_json()
    assert body["sites"] == {"open": 2, "full": 2}
    assert body["relocated"] == {"persons": 35, "households": 5}
    # S2's rice now lasts days; its 300 L of water for 20 people last exactly 24 h, which is within 24 h
    assert body["stock_running_out"] == {"items": 2, "sites": 2, "within_hours": 24}


def test_an_empty_world_has_zeros(client):
    body = client.get("/api/key-figures").get_json()
    assert body["incidents"]["total"] == 0 and body["relocated"] == {"persons": 0, "households": 0}
    assert body["sites"] == {"open": 0, "full": 0} and body["stock_running_out"]["items"] == 0
    assert body["households_unmet"]["any"] == 0
