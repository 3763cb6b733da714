"""Creating users, issuing tokens and checking credentials."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from werkzeug.security import check_password_hash, generate_password_hash

from relief.domain.roles import ROLES
from relief.errors import Conflict, NotAuthenticated, ValidationFailed
from relief.services.context import Actor, Context
from relief.store import accounts as store


@dataclass(frozen=True)
class NewUser:
    id: int
    name: str
    role: str
    token: str


def create_user(ctx: Context, name: str, role: str, *, password: str | None = None, display_name: str | None = None,
                county_code: str | None = None) -> NewUser:
    """Create a user with a fresh API token; the token is shown once, only its hash is kept."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed("user name must be 1-80 characters", field="name")
    if role not in ROLES:
        raise ValidationFailed(f"unknown role {role!r}; roles: {', '.join(ROLES)}", field="role")
    token = secrets.token_urlsafe(32)
    with ctx.transaction() as unit:
        if store.user_by_name(unit.session, name):
            raise Conflict(f"user {name!r} already exists", field="name")
        user = store.add_user(unit.session, name=name, role=role, display_name=display_name,
                              password_hash=generate_password_hash(password) if password else None,
                              county_code=county_code)
        store.add_token(unit.session, user, token, "created with the user", unit.now)
        unit.audit("user.create", "user", user.id, detail={"name": name, "role": role})
    return NewUser(user.id, name, role, token)


def issue_token(ctx: Context, name: str, label: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    with ctx.transaction() as unit:
        user = store.user_by_name(unit.session, name)
        if user is None:
            raise ValidationFailed(f"no user {name!r}", field="name")
        store.add_token(unit.session, user, token, label, unit.now)
        unit.audit("token.issue", "user", user.id, detail={"label": label})
    return token


#: A token's user is remembered this long, so a burst of field reports costs
#: one lookup; a deactivated user or revoked token stops working within it.
TOKEN_CACHE_SECONDS = 30.0
_token_cache: dict[tuple[str, str], tuple[float, Actor]] = {}


def forget_cached_tokens() -> None:
    _token_cache.clear()


def actor_for_token(ctx: Context, token: str) -> Actor | None:
    key = (ctx.store.url, store.token_digest(token))
    hit = _token_cache.get(key)
    if hit and time.monotonic() - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    with ctx.reading() as session:
        user = store.user_by_token(session, token)
        actor = Actor(user.id, user.name, user.role) if user else None
    if actor is None:
        _token_cache.pop(key, None)
    else:
        if len(_token_cache) > 10_000:
            _token_cache.clear()
        _token_cache[key] = (time.monotonic(), actor)
    return actor


def actor_for_id(ctx: Context, user_id: int) -> Actor | None:
    with ctx.reading() as session:
        user = store.user_by_id(session, user_id)
        return Actor(user.id, user.name, user.role) if user and user.active else None


def login(ctx: Context, name: str, password: str) -> Actor:
    with ctx.reading() as session:
        user = store.user_by_name(session, name or "")
        if user is None or not user.password_hash or not user.active or not check_password_hash(user.password_hash, password or ""):
            raise NotAuthenticated("wrong user name or password", field="password")
        return Actor(user.id, user.name, user.role)


def list_users(ctx: Context) -> list[dict]:
    with ctx.reading() as session:
        return [{"id": u.id, "name": u.name, "role": u.role, "active": u.active} for u in store.list_users(session)]
