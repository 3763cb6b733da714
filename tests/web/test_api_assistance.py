"""Assistance over HTTP: the chain through the API, bad input naming the field, the public notice (JSON and
page) masked, and objections without login, limited per address."""
from __future__ import annotations

from tests import assistance_world as aw


def _world(app):
    aw.build(app.extensions["relief.store"])


def test_the_api_chain_and_the_masked_public_notice(app, client, make_user):
    _world(app)
    clerk, committee = make_user("township_clerk"), make_user("village_committee")
    body = {"household_id": "HH1", "programme": "transitional", "period_start": aw.T0.isoformat(),
            "client_id": "apply-1"}
    first = client.post("/api/cases", json=body, headers=clerk.headers)
    assert first.status_code == 201, first.json
    again = client.post("/api/cases", json=body, headers=clerk.headers)
    assert again.status_code == 200 and again.json == first.json  # a resend
    case_id = first.json["case"]["case_id"]
    for action in ("review", "publish"):
        answer = client.post(f"/api/cases/{case_id}/transitions", json={"action": action}, headers=committee.headers)
        assert answer.status_code == 200, answer.json
    early = client.post(f"/api/cases/{case_id}/transitions", json={"action": "check"}, headers=clerk.headers)
    assert early.status_code == 409 and early.json["error"]["field"] == "notice_ends_at"
    listed = client.get("/api/cases?stage=on_notice&township=" + aw.WEST, headers=clerk.headers)
    assert [c["case_id"] for c in listed.json["cases"]] == [case_id]
    assert client.get("/api/cases").status_code == 401
    objection = client.post(f"/api/cases/{case_id}/objections", json={"text": "不属实"})
    assert objection.status_code == 201 and objection.json["case"]["name"] == "张*明"
    for answer in (client.get(f"/public/notice/{aw.WEST}", headers={"Accept": "application/json"}),
                   client.get(f"/public/notice/{aw.WEST}"), client.get("/api/programmes"), objection):
        text = answer.get_data(as_text=True)
        assert answer.status_code in (200, 201)
        for secret in ("张三明", aw.id_number(1), "HH1"):
            assert secret not in text, (answer.request.path, secret)
    page = client.get(f"/public/notice/{aw.WEST}").get_data(as_text=True)
    assert "张*明" in page and "objection-form" in page


def test_bad_input_names_the_field(app, client, make_user):
    _world(app)
    clerk = make_user("township_clerk")
    base = {"household_id": "HH1", "programme": "transitional", "period_start": aw.T0.isoformat()}
    cases = [({"amount": 999999}, 400, "amount"), ({"id_number": "110105194912310021"}, 400, "id_number"),
             ({"account": {"bank": "b", "account_no": "4111111111111112", "holder_name": "x"}}, 400,
              "account.account_no"), ({"period_start": "yesterday"}, 400, "period_start")]
    for extra, status, field in cases:
        answer = client.post("/api/cases", json={**base, **extra}, headers=clerk.headers)
        assert (answer.status_code, answer.json["error"]["field"]) == (status, field), answer.json
    assert client.post("/api/cases", json=base, headers=clerk.headers).status_code == 201
    second = client.post("/api/cases", json=base, headers=clerk.headers)
    assert (second.status_code, second.json["error"]["field"]) == (409, "period_start")


def test_objections_are_limited_per_address(app, client, make_user):
    _world(app)
    app.config["OBJECTION_LIMIT"] = "2 per hour"
    answers = [client.post("/api/cases/NOPE/objections", json={"text": "x"}).status_code for _ in range(3)]
    assert answers == [404, 404, 429]
