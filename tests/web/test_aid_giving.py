"""Duplicate aid stopped at the moment of giving, over HTTP: 409 ``duplicate_aid`` naming the earlier aid in the
reader's language, ``override_reason`` checked (400 naming it), an override answered once however often it is sent,
on the distribution, case approval and tranche payment routes."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from relief.services import assistance as assistance_service
from relief.services import stock
from relief.store.tables import AidFlag, AssistanceCase, Distribution, HousePayment
from tests import assistance_world as aw
from tests import reconstruction_world as rw
from tests import world
from tests.services.test_aid_guard import add_partner_aid

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def place(store):
    world.build(store, households=[world.household("H1", 3, 109.45, shelter="site", site_id="S1", evacuated=True)])
    ctx = world.context(store)
    for kind, holder in (("depot", "D1"), ("site", "S1")):
        stock.receive(ctx, {"holder_kind": kind, "holder_id": holder, "item_code": "RICE", "quantity": 50,
                            "source": "allocation"})
    return store


@pytest.fixture
def keeper(make_user):
    return make_user("warehouse_keeper")


def hand_out(client, user, holder_kind, holder_id, *, language="en", **extra):
    body = {"household_id": "H1", "item_code": "RICE", "quantity": 3, "holder_kind": holder_kind,
            "holder_id": holder_id, **extra}
    return client.post("/api/stock/distributions", json=body, headers={**user.headers, "Accept-Language": language})


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_duplicate_distribution_is_409_naming_the_earlier_aid_in_the_readers_language(client, place, keeper):
    first = hand_out(client, keeper, "depot", "D1")
    assert first.status_code == 201
    earlier = f"distribution:{first.get_json()['distribution']['id']}"
    for language in ("en", "zh"):
        refused = hand_out(client, keeper, "site", "S1", language=language)
        assert refused.status_code == 409
        error = refused.get_json()["error"]
        assert error["code"] == "duplicate_aid" and error["field"] == "household_id"
        assert error["detail"]["earlier_aid_ids"] == [earlier]
        assert error["detail"]["override_field"] == "override_reason"
        assert error["detail"]["sources"] == ["depot:D1", "site:S1"]
        assert error["detail"]["findings"][0]["reason"] == "overlapping_sources"
        assert earlier in error["message"] and "override_reason" in error["message"]
        assert "D1" in error["message"] and "depot:D1" not in error["message"]  # the source in words
        assert bool(CJK.search(error["message"])) is (language == "zh"), error["message"]
    assert count(place, Distribution) == 1


@pytest.mark.parametrize("reason", ["x" * 501, ["not", "text"]])
def test_a_bad_override_reason_is_400_naming_it(client, place, keeper, reason):
    response = hand_out(client, keeper, "depot", "D1", override_reason=reason)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "override_reason"
    assert count(place, Distribution) == 0


def test_an_override_goes_through_once_and_its_resend_answers_the_same(client, place, keeper):
    hand_out(client, keeper, "depot", "D1")
    refused = hand_out(client, keeper, "site", "S1", client_id="give-2")
    assert refused.status_code == 409  # a refusal keeps nothing: the same id may come back with a reason
    body = {"client_id": "give-2", "override_reason": "two relatives joined the household yesterday"}
    first = hand_out(client, keeper, "site", "S1", **body)
    again = hand_out(client, keeper, "site", "S1", **body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    override = first.get_json()["aid_override"]
    assert override["override_reason"] == "two relatives joined the household yesterday"
    assert override["findings"][0]["reason"] == "overlapping_sources"
    assert count(place, Distribution) == 2
    with place.read() as session:
        [flag] = session.scalars(select(AidFlag)).all()
        assert flag.status == "justified_top_up"
        assert flag.override_of == f"distribution:{first.get_json()['distribution']['id']}"
    other = hand_out(client, keeper, "site", "S1", client_id="give-2", override_reason="another reason")
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "client_id_reused"


# --- case approval and tranche payment ------------------------------------------------------------

@pytest.fixture
def county(store):
    aw.build(store)
    return store


def test_a_case_approval_duplicating_partner_cash_is_409_and_passes_with_a_reason(client, county, make_user):
    case_id = aw.apply(county, "HH1")
    aw.to_notice(county, case_id)
    assistance_service.transition(aw.as_role(county, "township_clerk", at=aw.after_notice()), case_id,
                                  {"action": "check"})
    partner = add_partner_aid(county, "HH1", purpose="living_cash", start=aw.T0, end=aw.T0 + timedelta(days=60),
                              amount=900, agency="Charity")
    commander = make_user("commander")
    url = f"/api/cases/{case_id}/transitions"
    too_long = client.post(url, json={"action": "approve", "override_reason": "y" * 501}, headers=commander.headers)
    assert too_long.status_code == 400 and too_long.get_json()["error"]["field"] == "override_reason"
    refused = client.post(url, json={"action": "approve"}, headers=commander.headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "duplicate_aid"
    assert refused.get_json()["error"]["detail"]["earlier_aid_ids"] == [f"partner:{partner}"]
    with county.read() as session:
        assert session.get(AssistanceCase, case_id).stage == "township_checked"
    approved = client.post(url, json={"action": "approve", "override_reason": "charity cash was a loan"},
                           headers=commander.headers)
    assert approved.status_code == 200 and approved.get_json()["case"]["stage"] == "approved"
    assert approved.get_json()["aid_override"]["override_reason"] == "charity cash was a loan"


def test_a_tranche_payment_checks_the_override_field_and_the_entitlement(client, store, make_user):
    rw.build_areas(store)
    rw.add_house(store, "H1", stage="foundation", mode="in_place")
    add_partner_aid(store, "HH-H1", purpose="reconstruction", start=rw.T0 - timedelta(days=500),
                    end=rw.T0 - timedelta(days=400), amount=39000, agency="Build Back Foundation")
    officer = make_user("reconstruction_officer")
    url = "/api/houses/H1/payments"
    too_long = client.post(url, json={"tranche": "agreement", "override_reason": "z" * 501}, headers=officer.headers)
    assert too_long.status_code == 400 and too_long.get_json()["error"]["field"] == "override_reason"
    refused = client.post(url, json={"tranche": "agreement"}, headers=officer.headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "duplicate_aid"
    assert refused.get_json()["error"]["detail"]["findings"][0]["reason"] == "over_entitlement"
    assert "40,000" in refused.get_json()["error"]["message"]
    assert count(store, HousePayment) == 0
    paid = client.post(url, json={"tranche": "agreement", "override_reason": "the foundation's grant was returned"},
                       headers=officer.headers)
    assert paid.status_code == 201 and paid.get_json()["aid_override"]["findings"]
