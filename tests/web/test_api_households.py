"""Households over HTTP: search by each key, paging bounds, who may read and edit, audited resend-safe edits."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from relief.store.tables import Area, AuditEntry, Distribution, Event, GuaranteeStatus, Household, StockMovement
from tests import world

ID_1 = "42280119800101123X"
ID_2 = "42280119900202456X"
TOWNSHIP = "422801001"


@pytest.fixture
def place(store):
    world.build(store, sites=[world.site("S1", 10, 109.45), world.site("S9", 20, 109.46, area_m2=40.0)], households=[
        world.household("H1", 4, 109.450, head_name="王小明", id_number=ID_1, phone="13912345678"),
        world.household("H2", 3, 109.451, head_name="李四", id_number=ID_2, assistance_category="dibao"),
        world.household("H10", 2, 109.452, head_name="张三丰", village_code=None),
        world.household("H5", 4, 109.46, head_name="赵五", shelter="site", site_id="S9", evacuated=True),
        world.household("H6", 8, 109.45, head_name="钱六", shelter="site", site_id="S1", evacuated=True)])
    with store.write() as session:  # a township between the county and the village
        session.add(Area(code=TOWNSHIP, name_zh="某镇", name_en="A township", level="township",
                         parent_code=world.COUNTY))
        session.flush()
        session.get(Area, world.VILLAGE).parent_code = TOWNSHIP
        at = datetime.now(timezone.utc) - timedelta(hours=30)
        for i, (item, quantity) in enumerate((("RICE", 10.0), ("WATER5", 6.0))):
            movement = StockMovement(kind="distribution", holder_kind="site", holder_id="S1", item_code=item,
                                     quantity=-quantity, household_id="H1", at=at + timedelta(hours=i))
            session.add(movement)
            session.flush()
            session.add(Distribution(household_id="H1", item_code=item, quantity=quantity,
                                     distributed_at=at + timedelta(hours=i), movement_id=movement.id))
    return store


@pytest.fixture
def viewer(make_user):
    return make_user("viewer")


@pytest.fixture
def manager(make_user):
    return make_user("site_manager")


def found(client, user, **query) -> list[str]:
    response = client.get("/api/households", query_string=query, headers=user.headers)
    assert response.status_code == 200, response.get_json()
    return [r["household_id"] for r in response.get_json()["rows"]]


def count(store, model, *where) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def edits(store) -> int:
    return count(store, AuditEntry, AuditEntry.action == "household.edit")


# --- search ----------------------------------------------------------------------------------------

def test_search_by_each_key(client, place, viewer):
    assert found(client, viewer, q="小明") == ["H1"]
    assert found(client, viewer, q=ID_1) == ["H1"]
    assert found(client, viewer, q=ID_1.lower()) == ["H1"]  # the check character typed in lower case
    assert found(client, viewer, q="123X") == ["H1"] and found(client, viewer, q="456x") == ["H2"]
    assert found(client, viewer, q="9900202456X") == ["H2"]
    assert found(client, viewer, q="123") == []  # fewer than four characters of an ID number find nothing
    assert found(client, viewer, q="H1") == ["H1", "H10"]  # a household id, or its beginning
    assert found(client, viewer, q="H10") == ["H10"]
    assert found(client, viewer, village=world.VILLAGE) == ["H1", "H2", "H5", "H6"]
    in_village = ["H1", "H2", "H5", "H6"]
    assert found(client, viewer, village="某村") == found(client, viewer, village="a VILLAGE") == in_village
    assert found(client, viewer, q="某村") == ["H1", "H2", "H5", "H6"]
    assert found(client, viewer, q="李", village="某村") == ["H2"]
    assert found(client, viewer, q="%") == [] and found(client, viewer, q="_") == []  # no wildcards
    assert found(client, viewer) == ["H1", "H10", "H2", "H5", "H6"]


def test_a_search_row_names_its_places_and_masks_the_id_number(client, place, viewer):
    rows = client.get("/api/households?q=H5", headers=viewer.headers).get_json()["rows"]
    assert rows[0]["site"] == {"id": "S9", "name": "Site S9"}
    assert rows[0]["village"] == {"code": world.VILLAGE, "name": {"zh": "某村", "en": "A village"}}
    assert rows[0]["county"]["name"]["zh"] == "恩施市"
    row = client.get(f"/api/households?q={ID_1}", headers=viewer.headers).get_json()["rows"][0]
    assert row["id_number_masked"] == "4228**********123X" and ID_1 not in str(row)
    assert row["head_name"] == "王小明" and row["members"] == 4 and row["site"] is None


def test_paging_and_its_bounds(client, place, viewer):
    first = client.get("/api/households?limit=2", headers=viewer.headers).get_json()
    assert [r["household_id"] for r in first["rows"]] == ["H1", "H10"]
    assert (first["total"], first["next_offset"], first["limit"]) == (5, 2, 2)
    last = client.get("/api/households?limit=2&offset=4", headers=viewer.headers).get_json()
    assert [r["household_id"] for r in last["rows"]] == ["H6"] and last["next_offset"] is None
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"), ("offset=-1", "offset"),
                         ("q=" + "x" * 81, "q")):
        response = client.get(f"/api/households?{query}", headers=viewer.headers)
        assert response.status_code == 400, query
        assert response.get_json()["error"]["field"] == field, query


def test_households_are_for_staff(client, place, viewer):
    for url in ("/api/households?q=王", "/api/households/H1"):
        response = client.get(url)
        assert response.status_code == 401 and "王小明" not in response.get_data(as_text=True)
        assert client.get(url, headers=viewer.headers).status_code == 200
    assert client.patch("/api/households/H1", json={"members": 5, "reason": "x"}).status_code == 401
    refused = client.patch("/api/households/H1", json={"members": 5, "reason": "x"}, headers=viewer.headers)
    assert refused.status_code == 403


# --- one household -----------------------------------------------------------------------------------

def test_one_household_with_places_guarantees_and_aid(client, place, viewer, manager):
    answer = client.get("/api/households/H1", headers=viewer.headers).get_json()
    assert answer["head_name"] == "王小明" and answer["members"] == 4
    assert set(answer["vulnerabilities"]) == {"infants", "children", "elderly", "disabled", "chronic", "pregnant",
                                              "injured"}
    assert answer["areas"]["village"]["name"]["zh"] == "某村"
    assert answer["areas"]["township"] == {"code": TOWNSHIP, "name": {"zh": "某镇", "en": "A township"}}
    assert answer["areas"]["county"]["code"] == world.COUNTY
    assert answer["id_number"] == "4228**********123X" and answer["phone"] == "139****5678"  # a viewer: masked
    guarantees = answer["guarantees"]
    assert set(guarantees["reason_codes"]) == {"food", "clothing", "water", "housing", "medical"}
    assert guarantees["household_id"] == "H1" and "shortfalls" in guarantees
    aid = answer["aid"]["distributions"]
    assert [(a["item_code"], a["item_name"], a["unit"], a["quantity"]) for a in aid] == [
        ("WATER5", "Bottled water 5 L", "bottle", 6.0), ("RICE", "Rice", "kg", 10.0)]  # newest first
    assert aid[0]["from"] == {"kind": "site", "id": "S1", "name": "Site S1"}
    full = client.get("/api/households/H1", headers=manager.headers).get_json()
    assert full["id_number"] == ID_1 and full["phone"] == "13912345678"
    at_site = client.get("/api/households/H5", headers=viewer.headers).get_json()
    assert at_site["site"]["name"] == "Site S9" and at_site["shelter"] == "site"
    missing = client.get("/api/households/H404", headers=viewer.headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "household_id"


# --- editing ----------------------------------------------------------------------------------------

def test_an_edit_is_audited_rejudged_and_announced(client, place, manager):
    before = client.get("/api/households/H5", headers=manager.headers).get_json()["guarantees"]
    assert before["housing"] == "met"  # 40 m² for 4 people
    response = client.patch("/api/households/H5", headers=manager.headers, json={
        "members": 14, "elderly": 2, "assistance_category": "tekun", "reason": "counted again at the site"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["changed"] == {"members": {"before": 4, "after": 14}, "elderly": {"before": 0, "after": 2},
                               "assistance_category": {"before": None, "after": "tekun"}}
    assert body["guarantees"]["housing"] == "at_risk"  # 40 m² for 14 people: below the standard
    with place.read() as session:
        household = session.get(Household, "H5")
        assert (household.members, household.elderly, household.assistance_category) == (14, 2, "tekun")
        kept = session.get(GuaranteeStatus, "H5")
        assert kept.housing == "at_risk"
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.edit")).one()
        assert (audit.entity_id, audit.reason, audit.actor_name) == ("H5", "counted again at the site", manager.name)
        assert audit.detail == body["changed"]
        kinds = set(session.scalars(select(Event.kind)))
        event = session.scalars(select(Event).where(Event.kind == "household.updated")).one()
        payload, public = event.payload, event.public
    assert {"household.updated", "guarantee.changed", "site.occupancy_changed"} <= kinds
    assert payload["fields"] == ["members", "elderly", "assistance_category"] and public is False
    assert payload["household_id"] == "H5" and "赵五" not in str(payload)


def test_a_phone_is_audited_masked_and_a_category_can_be_cleared(client, place, manager):
    response = client.patch("/api/households/H2", headers=manager.headers,
                            json={"phone": "13800001111", "assistance_category": None, "reason": "phoned"})
    assert response.status_code == 200
    assert response.get_json()["changed"]["phone"] == {"before": "138****0000", "after": "138****1111"}
    with place.read() as session:
        assert session.get(Household, "H2").assistance_category is None
        assert session.get(Household, "H2").phone == "13800001111"
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.edit")).one()
        assert "13800001111" not in str(audit.detail)


def test_an_edit_changing_nothing_writes_nothing(client, place, manager):
    events = count(place, Event)
    response = client.patch("/api/households/H1", headers=manager.headers, json={"members": 4, "reason": "checked"})
    assert response.status_code == 200 and response.get_json()["changed"] == {}
    assert (edits(place), count(place, Event)) == (0, events)


def test_a_resend_answers_the_same_and_another_body_is_409(client, place, manager):
    body = {"members": 5, "reason": "a baby was born", "infants": 1, "client_id": "edit-h1-1"}
    first = client.patch("/api/households/H1", json=body, headers=manager.headers)
    again = client.patch("/api/households/H1", json=body, headers=manager.headers)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == first.get_json()
    assert edits(place) == 1
    other = client.patch("/api/households/H1", json={**body, "members": 6}, headers=manager.headers)
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "client_id_reused" and other.get_json()["error"]["field"] == "client_id"
    header = client.patch("/api/households/H1", json={"members": 6, "reason": "x"},
                          headers={**manager.headers, "Idempotency-Key": "edit-h1-1"})
    assert header.status_code == 409
    with place.read() as session:
        assert session.get(Household, "H1").members == 5


@pytest.mark.parametrize("body, field", [
    ({"members": 0, "reason": "r"}, "members"),
    ({"members": 2.5, "reason": "r"}, "members"),
    ({"members": True, "reason": "r"}, "members"),
    ({"members": "5", "reason": "r"}, "members"),
    ({"injured": -1, "reason": "r"}, "injured"),
    ({"members": 2, "elderly": 3, "reason": "r"}, "elderly"),
    ({"members": 1, "reason": "r"}, "members"),  # H1 has 4 … as recorded: infants + children + elderly fit
    ({"house_damage": "gone", "reason": "r"}, "house_damage"),
    ({"assistance_category": "低保", "reason": "r"}, "assistance_category"),
    ({"needs_living_aid": "yes", "reason": "r"}, "needs_living_aid"),
    ({"phone": "call me", "reason": "r"}, "phone"),
    ({"head_name": "改名", "reason": "r"}, "head_name"),
    ({"members": 5}, "reason"),
    ({"reason": "r"}, "body"),
    ({"members": 5, "reason": "r", "client_id": "bad id!"}, "client_id"),
])
def test_a_bad_field_is_named_and_nothing_is_written(client, place, manager, body, field):
    with place.write() as session:
        session.get(Household, "H1").children = 2  # so that members 1 is too few for the ages recorded
    audits, events = edits(place), count(place, Event)
    response = client.patch("/api/households/H1", json=body, headers=manager.headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert (edits(place), count(place, Event)) == (audits, events)
    with place.read() as session:
        household = session.get(Household, "H1")
        assert (household.members, household.house_damage, household.phone) == (4, "none", "13912345678")


def test_more_members_than_the_site_has_room_for_is_refused(client, place, manager):
    response = client.patch("/api/households/H6", json={"members": 11, "reason": "r"}, headers=manager.headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (error["code"], error["field"], error["detail"]["free_capacity"]) == ("capacity_exceeded", "members", 10)
    assert client.patch("/api/households/H6", json={"members": 10, "reason": "r"},
                        headers=manager.headers).status_code == 200
    assert client.patch("/api/households/H404", json={"members": 1, "reason": "r"},
                        headers=manager.headers).status_code == 404


def test_an_edit_from_a_browser_session_needs_the_csrf_token(client, place, manager):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page).group(1)
    login = client.post("/login", data={"name": manager.name, "password": f"pw-{manager.name}", "csrf_token": token})
    assert login.status_code == 302
    refused = client.patch("/api/households/H1", json={"members": 5, "reason": "r"})
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "csrf_token"
