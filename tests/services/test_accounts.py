"""Accounts: one password hash per login whoever is named, sessions that end, tokens that stop at once."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from relief.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from relief.services import accounts
from relief.services.audit import entries


@pytest.fixture
def hashes(monkeypatch):
    """Every password check the service makes, as (stored hash, password) pairs."""
    calls: list[tuple[str, str]] = []
    real = accounts.check_password_hash

    def counted(stored: str, password: str) -> bool:
        calls.append((stored, password))
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counted)
    return calls


def test_the_dummy_hash_costs_what_a_real_one_does():
    method = generate_password_hash("anything").split("$", 1)[0]  # e.g. scrypt:32768:8:1
    assert accounts.dummy_hash().split("$", 1)[0] == method


@pytest.mark.parametrize("case", ["unknown name", "wrong password", "deactivated", "no password", "name too long",
                                  "password too long", "not text"])
def test_every_failed_login_computes_exactly_one_hash(ctx, hashes, case):
    accounts.create_user(ctx, "known", "viewer", password="right-password")
    accounts.create_user(ctx, "token-only", "viewer")
    accounts.create_user(ctx, "gone", "viewer", password="right-password")
    accounts.set_active(ctx, "gone", False)
    name, password = {"unknown name": ("unknown", "right-password"), "wrong password": ("known", "wrong-password"),
                      "deactivated": ("gone", "right-password"), "no password": ("token-only", "anything-at-all"),
                      "name too long": ("k" * 5000, "right-password"), "password too long": ("known", "p" * 100_000),
                      "not text": (["known"], {"p": 1})}[case]
    with pytest.raises(NotAuthenticated):
        accounts.login(ctx, name, password, address="10.0.0.1")
    assert len(hashes) == 1
    assert len(hashes[0][1]) <= accounts.PASSWORD_MAX


def test_a_right_login_computes_one_hash_and_starts_a_session(ctx, hashes):
    user = accounts.create_user(ctx, "known", "commander", password="right-password")
    logged_in = accounts.login(ctx, "  known ", "right-password", address="10.0.0.2")
    assert len(hashes) == 1
    assert logged_in.actor.id == user.id and len(logged_in.key) >= 40
    assert accounts.actor_for_session(ctx, user.id, logged_in.key) == logged_in.actor
    audit = [e for e in entries(ctx, entity="user", entity_id=str(user.id)) if e["action"] == "login"]
    assert audit[0]["detail"] == {"address": "10.0.0.2"} and audit[0]["actor"] == "known"


def test_a_session_key_is_only_good_for_its_own_user(ctx):
    first = accounts.create_user(ctx, "first", "viewer", password="right-password")
    second = accounts.create_user(ctx, "second", "admin", password="right-password")
    key = accounts.login(ctx, "first", "right-password").key
    assert accounts.actor_for_session(ctx, second.id, key) is None
    assert accounts.actor_for_session(ctx, first.id, key + "x") is None
    assert accounts.actor_for_session(ctx, first.id, None) is None
    assert accounts.actor_for_session(ctx, str(first.id), key) is None


@pytest.mark.parametrize("ending", ["logout", "deactivate", "password", "expiry"])
def test_sessions_end_on_the_server(ctx, ending):
    user = accounts.create_user(ctx, "someone", "viewer", password="right-password")
    key = accounts.login(ctx, "someone", "right-password").key
    other_key = accounts.login(ctx, "someone", "right-password").key
    check = ctx
    if ending == "logout":
        accounts.logout(ctx.as_actor(accounts.actor_for_session(ctx, user.id, key)), key)
    elif ending == "deactivate":
        accounts.set_active(ctx, user.id, False)
    elif ending == "password":
        accounts.set_password(ctx, "someone", "another-password")
    else:
        days = accounts.DEFAULT_SESSION_DAYS
        check = replace(ctx, clock=lambda: ctx.now() + timedelta(days=days, minutes=1))
    assert accounts.actor_for_session(check, user.id, key) is None
    still = accounts.actor_for_session(check, user.id, other_key)
    assert (still is not None) == (ending == "logout")  # a logout ends that session only


def test_expired_sessions_are_purged_at_the_next_login(ctx, store):
    from sqlalchemy import func, select

    from relief.store.tables.accounts import UserSession

    accounts.create_user(ctx, "someone", "viewer", password="right-password")
    accounts.login(ctx, "someone", "right-password")
    later = replace(ctx, clock=lambda: ctx.now() + timedelta(days=accounts.DEFAULT_SESSION_DAYS + 1))
    accounts.login(later, "someone", "right-password")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_revoked_token_stops_at_once_despite_the_cache(ctx):
    user = accounts.create_user(ctx, "api-client", "viewer")
    assert accounts.actor_for_token(ctx, user.token).id == user.id  # now cached
    [token] = accounts.tokens_of(ctx, user.id)
    accounts.revoke_token(ctx, token["id"])
    assert accounts.cached_actor_for_token(ctx, user.token) is None
    assert accounts.actor_for_token(ctx, user.token) is None


def test_revoking_all_of_a_users_tokens_leaves_other_users_alone(ctx):
    user = accounts.create_user(ctx, "api-client", "viewer")
    second = accounts.issue_token(ctx, "api-client", "second phone")
    other = accounts.create_user(ctx, "other", "viewer")
    assert len(accounts.revoke_tokens_of(ctx, "api-client")) == 2
    assert accounts.revoke_tokens_of(ctx, "api-client") == []
    assert accounts.actor_for_token(ctx, user.token) is None and accounts.actor_for_token(ctx, second) is None
    assert accounts.actor_for_token(ctx, other.token).id == other.id


def test_last_use_is_noted_without_a_write_per_call(ctx):
    user = accounts.create_user(ctx, "api-client", "viewer")
    assert accounts.tokens_of(ctx, user.id)[0]["last_used_at"] is None
    accounts.actor_for_token(ctx, user.token)
    first = accounts.tokens_of(ctx, user.id)[0]["last_used_at"]
    assert first is not None
    accounts.forget_cached_tokens()
    soon = replace(ctx, clock=lambda: ctx.now() + timedelta(seconds=accounts.TOKEN_TOUCH_SECONDS / 2))
    accounts.actor_for_token(soon, user.token)
    assert accounts.tokens_of(ctx, user.id)[0]["last_used_at"] == first
    accounts.forget_cached_tokens()
    later = replace(ctx, clock=lambda: ctx.now() + timedelta(seconds=accounts.TOKEN_TOUCH_SECONDS * 2))
    accounts.actor_for_token(later, user.token)
    assert accounts.tokens_of(ctx, user.id)[0]["last_used_at"] > first


def test_activation_changes_are_audited_once(ctx):
    user = accounts.create_user(ctx, "someone", "viewer")
    accounts.set_active(ctx, user.id, False)
    accounts.set_active(ctx, user.id, False)
    accounts.set_active(ctx, "someone", True)
    actions = [e["action"] for e in entries(ctx, entity="user", entity_id=str(user.id))]
    assert actions.count("user.deactivate") == 1 and actions.count("user.activate") == 1


def test_nobody_deactivates_themselves(ctx):
    user = accounts.create_user(ctx, "admin-1", "admin")
    with pytest.raises(Conflict):
        accounts.set_active(ctx.as_actor(accounts.actor_for_token(ctx, user.token)), user.id, False)


@pytest.mark.parametrize(("target", "field"), [(424242, "user_id"), ("nobody", "name")])
def test_unknown_users_name_the_field(ctx, target, field):
    with pytest.raises(NotFound) as refused:
        accounts.set_active(ctx, target, False)
    assert refused.value.field == field


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "a\x00b"}, "name"), ({"name": " "}, "name"), ({"role": None}, "role"),
    ({"password": "1234567"}, "password"), ({"display_name": "line\nbreak"}, "display_name"),
    ({"display_name": "d" * 121}, "display_name"), ({"county_code": 422801}, "county_code"),
])
def test_create_user_refuses_bad_fields(ctx, kwargs, field):
    values = {"name": "fine-name", "role": "viewer", **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        accounts.create_user(ctx, values.pop("name"), values.pop("role"), **values)
    assert refused.value.field == field
    assert accounts.list_users(ctx) == []


def test_a_new_password_is_bounded_too(ctx):
    accounts.create_user(ctx, "someone", "viewer", password="right-password")
    with pytest.raises(ValidationFailed):
        accounts.set_password(ctx, "someone", "x" * (accounts.PASSWORD_MAX + 1))
    assert accounts.login(ctx, "someone", "right-password").actor.name == "someone"
