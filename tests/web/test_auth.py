"""Logging in and out, throttles, ended sessions, token revocation and user deactivation over HTTP."""
from __future__ import annotations

import re
import time
import uuid

import pytest
from sqlalchemy import func, select

from relief.services.audit import entries
from relief.store.tables import User


@pytest.fixture
def make_app(database_url, tmp_path):
    """Apps with their own settings (limits, Redis) on the test database; each disposed after the test."""
    from relief import create_app

    made = []

    def make(**config):
        settings = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / f"instance-{len(made)}"),
                    "SECRET_KEY": "test-secret", "TESTING": True, "REDIS_URL": None}
        settings.update(config)
        made.append(create_app(settings))
        return made[-1]

    yield make
    for application in made:
        application.extensions["relief.store"].dispose()


def csrf_of(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf[-_]token"(?: type="hidden")? (?:value|content)="([^"]+)"', page).group(1)


def log_in(client, name: str, password: str, *, next_url: str | None = None, address: str = "127.0.0.1"):
    url = "/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"name": name, "password": password, "csrf_token": csrf_of(client)},
                       environ_base={"REMOTE_ADDR": address}, headers={"Accept-Language": "en"})


def session_cookie(client) -> str:
    return client.get_cookie("session").value


# ---- where a login sends you -------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["http://evil.example", "https://evil.example/x", "//evil.example",
                                    "/\\evil.example", "\\\\evil.example", "/%09/evil.example", "javascript:alert(1)",
                                    "JaVaScRiPt:alert(1)", "evil.example", "data:text/html,x", "///evil.example"])
def test_login_never_redirects_off_site(client, make_user, target):
    user = make_user("viewer")
    response = log_in(client, user.name, f"pw-{user.name}", next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_honours_a_same_site_path(client, make_user):
    user = make_user("viewer")
    response = log_in(client, user.name, f"pw-{user.name}", next_url="/dashboard%3Flevel%3Dtownship")
    assert response.headers["Location"] == "/dashboard?level=township"


# ---- throttling ------------------------------------------------------------------------------------------------

def test_after_too_many_wrong_passwords_the_right_one_waits_for_the_window(make_app, ctx):
    from relief.services.accounts import create_user

    create_user(ctx, "slow-guess", "viewer", password="pw-slow-guess")
    client = make_app(LOGIN_LIMIT="3 per 2 seconds").test_client()
    for _ in range(3):
        assert log_in(client, "slow-guess", "wrong-password").status_code == 401
    refused = log_in(client, "slow-guess", "pw-slow-guess")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert refused.mimetype == "text/html" and "Too many failed attempts" in refused.get_data(as_text=True)
    assert staff_read(client) == 401
    time.sleep(2.1)
    assert log_in(client, "slow-guess", "pw-slow-guess").status_code == 302


def test_an_account_is_throttled_whatever_address_guesses(make_app, ctx):
    from relief.services.accounts import create_user

    create_user(ctx, "target", "viewer", password="pw-target-1")
    client = make_app(LOGIN_LIMIT="3 per 15 minutes").test_client()
    for n in range(3):
        assert log_in(client, "target", "wrong-password", address=f"10.0.0.{n}").status_code == 401
    assert log_in(client, "target", "pw-target-1", address="10.0.0.99").status_code == 429
    # other accounts are untouched
    create_user(ctx, "bystander", "viewer", password="pw-bystander")
    assert log_in(client, "bystander", "pw-bystander", address="10.0.0.99").status_code == 302


def test_an_address_is_throttled_whatever_names_it_tries(make_app, make_user):
    user = make_user("viewer")
    client = make_app(LOGIN_ADDRESS_LIMIT="4 per 15 minutes").test_client()
    for n in range(4):
        assert log_in(client, f"nobody-{n}", "wrong-password", address="10.9.9.9").status_code == 401
    assert log_in(client, user.name, f"pw-{user.name}", address="10.9.9.9").status_code == 429
    assert log_in(client, user.name, f"pw-{user.name}", address="10.9.9.10").status_code == 302


def test_right_logins_do_not_count(make_app, make_user):
    user = make_user("viewer")
    client = make_app(LOGIN_LIMIT="2 per 15 minutes", LOGIN_ADDRESS_LIMIT="2 per 15 minutes").test_client()
    for _ in range(5):
        assert log_in(client, user.name, f"pw-{user.name}").status_code == 302


def test_bad_bearer_tokens_are_throttled_per_address_with_json(make_app, make_user):
    fresh = make_user("viewer")  # never used yet: not in the token cache
    client = make_app(BAD_TOKEN_LIMIT="5 per 15 minutes").test_client()
    far = {"REMOTE_ADDR": "10.1.1.1"}
    for n in range(5):
        response = client.get("/api/audit", headers={"Authorization": f"Bearer guess-{n}"}, environ_base=far)
        assert response.status_code == 401
    refused = client.get("/api/audit", headers=fresh.headers, environ_base=far)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.get_json()["error"]["code"] == "throttled"
    assert refused.get_json()["error"]["field"] == "Authorization"
    assert client.get("/api/audit", headers=fresh.headers, environ_base={"REMOTE_ADDR": "10.1.1.2"}).status_code == 200


def test_the_default_limits_are_safe(app):
    from limits import parse

    for setting, most in (("LOGIN_LIMIT", 20), ("LOGIN_ADDRESS_LIMIT", 100), ("BAD_TOKEN_LIMIT", 100)):
        limit = parse(app.config[setting])
        assert limit.amount <= most and limit.get_expiry() >= 60, setting


@pytest.mark.redis
def test_with_redis_every_process_counts_together(make_app, make_user, redis_url):
    user = make_user("viewer")
    shared = {"REDIS_URL": redis_url, "SOCKETIO_CHANNEL": f"auth-test-{uuid.uuid4().hex}",
              "LOGIN_LIMIT": "4 per 15 minutes"}
    first, second = make_app(**shared).test_client(), make_app(**shared).test_client()
    for client in (first, second, first, second):
        assert log_in(client, user.name, "wrong-password").status_code == 401
    assert log_in(second, user.name, f"pw-{user.name}").status_code == 429
    assert log_in(first, user.name, f"pw-{user.name}").status_code == 429


# ---- failed logins are audited --------------------------------------------------------------------------------

def test_failed_logins_are_audited_without_the_password(client, ctx, make_user):
    user = make_user("viewer")
    log_in(client, user.name, "secret-wrong-1", address="10.2.3.4")
    log_in(client, "no-such-user", "secret-wrong-2", address="10.2.3.5")
    failed = [e for e in entries(ctx, entity="user") if e["action"] == "login.failed"]
    assert {(e["detail"]["name"], e["detail"]["address"], e["entity_id"]) for e in failed} == {
        (user.name, "10.2.3.4", str(user.id)), ("no-such-user", "10.2.3.5", None)}
    assert all(e["actor"] == "anonymous" and e["actor_id"] is None for e in failed)
    assert "secret-wrong" not in repr(entries(ctx, limit=1000))


# ---- sessions end on the server -------------------------------------------------------------------------------

def replay(app, cookie: str):
    """A second browser holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def staff_read(client) -> int:
    """A staff-only read with the session cookie (and its CSRF token, which ``requires`` asks of cookies)."""
    return client.get("/api/audit?limit=1", headers={"X-CSRFToken": csrf_of(client, "/")}).status_code


def test_a_cookie_replayed_after_logout_no_longer_authenticates(app, client, make_user):
    admin = make_user("admin")
    assert log_in(client, admin.name, f"pw-{admin.name}").status_code == 302
    copied = session_cookie(client)
    thief = replay(app, copied)
    csrf = csrf_of(thief, "/")
    assert staff_read(thief) == 200
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/")}).status_code == 302
    thief = replay(app, copied)
    assert staff_read(thief) == 401
    refused = thief.post("/api/users", json={"name": "made-by-thief", "role": "admin"}, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 401
    assert "Log in" in thief.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_logging_out_ends_only_that_session(app, make_user):
    user = make_user("viewer")
    phone, screen = app.test_client(), app.test_client()
    log_in(phone, user.name, f"pw-{user.name}")
    log_in(screen, user.name, f"pw-{user.name}")
    phone.post("/logout", data={"csrf_token": csrf_of(phone, "/")})
    assert staff_read(phone) == 401 and staff_read(screen) == 200


def test_deactivating_a_user_ends_their_sessions_and_stops_their_tokens(app, client, make_user):
    admin, viewer = make_user("admin"), make_user("viewer")
    log_in(client, viewer.name, f"pw-{viewer.name}")
    assert staff_read(client) == 200
    assert client.get("/api/audit?limit=1", headers=viewer.headers).status_code == 200  # token now cached
    admin_client = app.test_client()
    answer = admin_client.post(f"/api/users/{viewer.id}/deactivate", headers=admin.headers)
    assert answer.status_code == 200 and answer.get_json()["user"]["active"] is False
    assert staff_read(client) == 401
    assert admin_client.get("/api/audit?limit=1", headers=viewer.headers).status_code == 401
    assert log_in(app.test_client(), viewer.name, f"pw-{viewer.name}").status_code == 401
    # activated again: the token works, but the ended session stays ended
    assert admin_client.post(f"/api/users/{viewer.id}/activate", headers=admin.headers).status_code == 200
    assert admin_client.get("/api/audit?limit=1", headers=viewer.headers).status_code == 200
    assert staff_read(client) == 401


def test_changing_a_password_ends_the_sessions(app, client, ctx, make_user):
    from relief.services.accounts import set_password

    viewer = make_user("viewer")
    log_in(client, viewer.name, f"pw-{viewer.name}")
    set_password(ctx, viewer.name, "a-new-password")
    assert staff_read(client) == 401
    assert log_in(client, viewer.name, "a-new-password").status_code == 302


# ---- users and tokens through the admin API ------------------------------------------------------------------

def test_admin_lists_users_and_tokens_without_secrets(client, make_user):
    admin, viewer = make_user("admin"), make_user("viewer")
    users = client.get("/api/users", headers=admin.headers).get_json()["users"]
    assert {u["name"] for u in users} >= {admin.name, viewer.name}
    assert all(set(u) == {"id", "name", "role", "display_name", "county_code", "active", "created_at"} for u in users)
    client.get("/api/audit?limit=1", headers=viewer.headers)
    tokens = client.get(f"/api/users/{viewer.id}/tokens", headers=admin.headers).get_json()["tokens"]
    assert len(tokens) == 1 and tokens[0]["last_used_at"] is not None and tokens[0]["revoked_at"] is None
    assert set(tokens[0]) == {"id", "user_id", "label", "created_at", "last_used_at", "revoked_at"}
    assert viewer.token not in repr(tokens)


def test_a_revoked_token_is_refused_on_the_next_call(client, ctx, make_user):
    admin, viewer = make_user("admin"), make_user("viewer")
    assert client.get("/api/audit?limit=1", headers=viewer.headers).status_code == 200  # cached from here on
    token_id = client.get(f"/api/users/{viewer.id}/tokens", headers=admin.headers).get_json()["tokens"][0]["id"]
    revoked = client.delete(f"/api/tokens/{token_id}", headers=dict(admin.headers, **{"Idempotency-Key": "rv-1"}))
    assert revoked.status_code == 200 and revoked.get_json()["token"]["revoked_at"]
    assert client.get("/api/audit?limit=1", headers=viewer.headers).status_code == 401
    again = client.delete(f"/api/tokens/{token_id}", headers=dict(admin.headers, **{"Idempotency-Key": "rv-1"}))
    assert again.status_code == 200 and again.get_json() == revoked.get_json()
    audit = [e for e in entries(ctx, entity="user", entity_id=str(viewer.id)) if e["action"] == "token.revoke"]
    assert len(audit) == 1 and audit[0]["actor"] == admin.name and audit[0]["detail"] == {"token_id": token_id}


@pytest.mark.parametrize(("method", "url", "field"), [
    ("delete", "/api/tokens/999999", "token_id"), ("delete", "/api/tokens/99999999999999999999", "token_id"),
    ("delete", "/api/tokens/abc", "token_id"), ("post", "/api/users/999999/deactivate", "user_id"),
    ("post", "/api/users/-1/activate", "user_id"), ("get", "/api/users/1e9/tokens", "user_id"),
])
def test_unknown_ids_are_404_naming_the_field(client, make_user, method, url, field):
    admin = make_user("admin")
    response = getattr(client, method)(url, headers=admin.headers)
    assert response.status_code == 404 and response.get_json()["error"]["field"] == field


@pytest.mark.parametrize(("method", "url"), [("get", "/api/users"), ("get", "/api/users/{id}/tokens"),
                                             ("post", "/api/users/{id}/deactivate"), ("delete", "/api/tokens/1")])
def test_only_admins_manage_users(client, make_user, method, url):
    commander = make_user("commander")
    response = getattr(client, method)(url.format(id=commander.id), headers=commander.headers)
    assert response.status_code == 403


def test_an_admin_cannot_deactivate_themselves(client, make_user):
    admin = make_user("admin")
    response = client.post(f"/api/users/{admin.id}/deactivate", headers=admin.headers)
    assert response.status_code == 409 and response.get_json()["error"]["field"] == "user_id"
    assert client.get("/api/users", headers=admin.headers).status_code == 200


# ---- bad input to POST /api/users ------------------------------------------------------------------------------

def user_count(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(("body", "field"), [
    ({"name": 123, "role": "viewer"}, "name"),
    ({"name": ["a"], "role": "viewer"}, "name"),
    ({"name": {"a": 1}, "role": "viewer"}, "name"),
    ({"name": None, "role": "viewer"}, "name"),
    ({"name": "x" * 81, "role": "viewer"}, "name"),
    ({"name": "tab\there", "role": "viewer"}, "name"),
    ({"name": "nul\x00byte", "role": "viewer"}, "name"),
    ({"name": "ok-name", "role": 5}, "role"),
    ({"name": "ok-name", "role": ["admin"]}, "role"),
    ({"name": "ok-name", "role": {"admin": 1}}, "role"),
    ({"name": "ok-name", "role": "viewer", "password": 12345678}, "password"),
    ({"name": "ok-name", "role": "viewer", "password": "short"}, "password"),
    ({"name": "ok-name", "role": "viewer", "password": "p" * 257}, "password"),
    ({"name": "ok-name", "role": "viewer", "display_name": "d" * 121}, "display_name"),
    ({"name": "ok-name", "role": "viewer", "display_name": "d" * 1_000_000}, "display_name"),
    ({"name": "ok-name", "role": "viewer", "display_name": 5}, "display_name"),
    ({"name": "ok-name", "role": "viewer", "display_name": ["d"]}, "display_name"),
    ({"name": "ok-name", "role": "viewer", "county_code": "4" * 25}, "county_code"),
])
def test_bad_user_fields_are_400_naming_them_and_write_nothing(client, store, make_user, body, field):
    admin = make_user("admin")
    before = user_count(store)
    response = client.post("/api/users", json=body, headers=admin.headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["field"] == field
    assert user_count(store) == before


def test_the_longest_display_name_is_accepted(client, make_user):
    admin = make_user("admin")
    response = client.post("/api/users", json={"name": "long-display", "role": "viewer", "display_name": "名" * 120},
                           headers=admin.headers)
    assert response.status_code == 201
    listed = client.get("/api/users", headers=admin.headers).get_json()["users"]
    assert next(u for u in listed if u["name"] == "long-display")["display_name"] == "名" * 120
