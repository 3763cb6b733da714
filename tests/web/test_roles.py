"""Writes need credentials and the right role, and leave an audit row."""
from __future__ import annotations

import re

from relief.services.audit import entries


def test_write_without_token_is_401(client):
    response = client.post("/api/users", json={"name": "x", "role": "viewer"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_write_with_wrong_role_is_403(client, make_user):
    viewer = make_user("viewer")
    response = client.post("/api/users", json={"name": "x", "role": "viewer"}, headers=viewer.headers)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_bad_token_is_401(client):
    response = client.post("/api/users", json={"name": "x", "role": "viewer"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_write_with_right_role_succeeds_and_is_audited(client, ctx, make_user):
    admin = make_user("admin")
    response = client.post("/api/users", json={"name": "field-1", "role": "field_reporter"}, headers=admin.headers)
    assert response.status_code == 201
    created = response.get_json()
    audit = [e for e in entries(ctx, entity="user", entity_id=str(created["id"])) if e["action"] == "user.create"]
    assert len(audit) == 1 and audit[0]["actor"] == admin.name and audit[0]["actor_id"] == admin.id
    # the new token works
    me = client.get("/api/audit?limit=1", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 200


def test_bad_input_names_the_field(client, make_user):
    admin = make_user("admin")
    response = client.post("/api/users", json={"name": "y", "role": "wizard"}, headers=admin.headers)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "role"
    response = client.post("/api/users", data="not json", headers=admin.headers, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "body"


def test_browser_session_writes_need_csrf(client, make_user):
    admin = make_user("admin")
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = client.post("/login", data={"name": admin.name, "password": f"pw-{admin.name}", "csrf_token": token})
    assert response.status_code == 302
    refused = client.post("/api/users", json={"name": "z", "role": "viewer"})
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "csrf_token"
    page = client.get("/").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    accepted = client.post("/api/users", json={"name": "z", "role": "viewer"}, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_login_form_without_csrf_is_refused(client, make_user):
    admin = make_user("admin")
    response = client.post("/login", data={"name": admin.name, "password": f"pw-{admin.name}"})
    assert response.status_code == 400
    assert client.post("/api/users", json={"name": "q", "role": "viewer"}).status_code == 401
