"""The public donations page: Beijing time to the minute, donors masked, contacts never shown."""
from __future__ import annotations

import re

import pytest

from relief.domain.disclosure import public_donor_name
from tests import world


@pytest.fixture
def donated(client, store, make_user):
    world.build(store)
    keeper = make_user("warehouse_keeper")
    for body in (
        {"client_id": "don-1", "kind": "cash", "donor_name": "李四光", "donor_contact": "13911112222",
         "amount_yuan": 5000, "received_at": "2026-11-20T01:05:37.123456+00:00"},
        {"client_id": "don-2", "kind": "in_kind", "donor_name": "王五", "consent_public": True, "item_code": "RICE",
         "quantity": 1250, "destination_kind": "depot", "destination_id": "D1",
         "received_at": "2026-11-19T16:30:00+00:00"},
    ):
        response = client.post("/api/donations", json=body, headers=keeper.headers)
        assert response.status_code == 201, response.get_json()
    return client


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-donation="\d+">(.*?)</tr>', html, flags=re.S)


@pytest.mark.parametrize("lang, label", [("zh", "北京时间"), ("en", "Beijing time")])
def test_times_are_beijing_time_to_the_minute(donated, lang, label):
    donated.get(f"/lang/{lang}")
    html = donated.get("/public/donations").get_data(as_text=True)
    cash, rice = rows(html)
    assert '<time datetime="2026-11-20T01:05:37.123456+00:00">2026-11-20 09:05</time>' in cash
    assert ">2026-11-20 00:30</time>" in rice  # 16:30 UTC is past midnight in Beijing: the next day
    assert label in html[html.index('id="donations"'):]
    assert "UTC" not in html and ".123456<" not in html and "09:05:37" not in html


def test_another_configured_zone_is_named(donated, app):
    app.config["TIMEZONE"] = "Europe/London"
    donated.get("/lang/en")
    html = donated.get("/public/donations").get_data(as_text=True)
    cash, _rice = rows(html)
    assert ">2026-11-20 01:05</time>" in cash
    assert "Beijing time" not in html and "(UTC+00:00)" in html


def test_donors_are_masked_and_contacts_never_shown(donated):
    html = donated.get("/public/donations").get_data(as_text=True)
    cash, rice = rows(html)
    assert public_donor_name("李四光", False) in cash and "李四光" not in html
    assert "13911112222" not in html
    assert "王五" in rice  # consented
    assert "Rice" in rice and "1250" in rice


def test_json_keeps_utc(donated):
    """The JSON keeps UTC ISO 8601: only the page turns times local."""
    answer = donated.get("/api/public/donations").get_json()
    assert {d["received_at"] for d in answer["donations"]} == {"2026-11-20T01:05:37.123456+00:00",
                                                               "2026-11-19T16:30:00+00:00"}
