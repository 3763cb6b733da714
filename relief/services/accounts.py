"""Users, their API tokens and browser sessions: creating, checking, ending.

A browser session lives in ``user_sessions`` as well as in the signed cookie,
so logging out, deactivating a user or changing their password ends it on the
server: a copied cookie stops working at once. A login costs one password hash
whether or not the name exists (a dummy hash stands in), so timing tells
nobody which names are real; failures are audited with the name tried and
the address, never the password.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from relief.domain.roles import ROLES
from relief.errors import Conflict, NotAuthenticated, NotFound, StoreBusy, ValidationFailed
from relief.jsonable import moment
from relief.services import fields
from relief.services.context import Actor, Context
from relief.store import accounts as store

NAME_LIMIT = 80
DISPLAY_NAME_LIMIT = 120
COUNTY_CODE_LIMIT = 24
PASSWORD_MIN, PASSWORD_MAX = 8, 256
#: Sessions older than this end even if nobody logged out (``RELIEF_SESSION_DAYS``).
DEFAULT_SESSION_DAYS = 14.0
#: A token's ``last_used_at`` is rewritten at most this often, so reads stay reads.
TOKEN_TOUCH_SECONDS = 300.0
ANONYMOUS_NAME = "anonymous"


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs what a wrong password does (made on first use)."""
    return generate_password_hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class NewUser:
    id: int
    name: str
    role: str
    token: str


@dataclass(frozen=True)
class LoggedIn:
    """A new browser session: ``key`` goes into the signed cookie, its digest into ``user_sessions``."""

    actor: Actor
    key: str


def _plain_text(value: Any, field: str, *, required: bool, limit: int) -> str | None:
    """Text of 1..limit characters with no control characters (they break logs, pages and PostgreSQL)."""
    text = fields.text({field: value}, field, required=required, limit=limit)
    if text is not None and any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return text


def _password(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed("password must be text", field="password")
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise ValidationFailed(f"password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters", field="password")
    return value


def create_user(ctx: Context, name: Any, role: Any, *, password: Any = None, display_name: Any = None,
                county_code: Any = None) -> NewUser:
    """Create a user with a fresh API token; the token is shown once, only its hash is kept."""
    name = _plain_text(name, "name", required=True, limit=NAME_LIMIT)
    if not isinstance(role, str) or role not in ROLES:
        raise ValidationFailed(f"unknown role; roles: {', '.join(ROLES)}", field="role")
    password = _password(password)
    display_name = _plain_text(display_name, "display_name", required=False, limit=DISPLAY_NAME_LIMIT)
    county_code = _plain_text(county_code, "county_code", required=False, limit=COUNTY_CODE_LIMIT)
    token = secrets.token_urlsafe(32)
    password_hash = ctx.offload(generate_password_hash, password) if password else None
    with ctx.transaction() as unit:
        if store.user_by_name(unit.session, name):
            raise Conflict(f"user {name!r} already exists", field="name")
        user = store.add_user(unit.session, name=name, role=role, display_name=display_name,
                              password_hash=password_hash,
                              county_code=county_code)
        store.add_token(unit.session, user, token, "created with the user", unit.now)
        unit.audit("user.create", "user", user.id, detail={"name": name, "role": role})
    return NewUser(user.id, name, role, token)


def issue_token(ctx: Context, name: str, label: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    label = _plain_text(label, "label", required=False, limit=120)
    with ctx.transaction() as unit:
        user = store.user_by_name(unit.session, name)
        if user is None:
            raise ValidationFailed(f"no user {name!r}", field="name")
        token_row = store.add_token(unit.session, user, token, label, unit.now)
        unit.audit("token.issue", "user", user.id, detail={"label": label, "token_id": token_row.id})
    return token


#: A token's user is remembered this long, so a burst of field reports costs
#: one lookup. Revoking a token or deactivating a user clears this process's
#: cache at once; other worker processes stop accepting it within this time.
TOKEN_CACHE_SECONDS = 30.0
_token_cache: dict[tuple[str, str], tuple[float, Actor]] = {}


def forget_cached_tokens() -> None:
    """Called after every revocation or deactivation: this process stops trusting cached tokens at once."""
    _token_cache.clear()


def cached_actor_for_token(ctx: Context, token: str) -> Actor | None:
    """The token's user if this process checked it within ``TOKEN_CACHE_SECONDS``; no store, no throttle."""
    hit = _token_cache.get((ctx.store.url, store.token_digest(token)))
    return hit[1] if hit and time.monotonic() - hit[0] < TOKEN_CACHE_SECONDS else None


def actor_for_token(ctx: Context, token: str) -> Actor | None:
    key = (ctx.store.url, store.token_digest(token))
    hit = _token_cache.get(key)
    if hit and time.monotonic() - hit[0] < TOKEN_CACHE_SECONDS:
        return hit[1]
    with ctx.reading() as session:
        found = store.token_and_user(session, token)
        actor = Actor(found[1].id, found[1].name, found[1].role) if found else None
        stale = found is not None and (found[0].last_used_at is None
                                       or (ctx.now() - found[0].last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS)
        token_id = found[0].id if found else None
    if actor is None:
        _token_cache.pop(key, None)
        return None
    if stale:
        _touch_token(ctx, token_id)
    if len(_token_cache) > 10_000:
        _token_cache.clear()
    _token_cache[key] = (time.monotonic(), actor)
    return actor


def _touch_token(ctx: Context, token_id: int) -> None:
    """Note that a token is in use; a busy store skips it (it is a hint for admins, not a record)."""
    try:
        with ctx.store.write() as session:
            store.touch_token(session, token_id, ctx.now())
    except StoreBusy:
        pass


def _session_days(ctx: Context) -> float:
    return float(ctx.settings.get("SESSION_DAYS") or DEFAULT_SESSION_DAYS)


def actor_for_session(ctx: Context, user_id: Any, key: Any) -> Actor | None:
    """The user of a live session: not logged out, not expired, user still active and password unchanged."""
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(key, str) or not key:
        return None
    not_before = ctx.now() - timedelta(days=_session_days(ctx))
    with ctx.reading() as session:
        user = store.user_by_session(session, user_id, key, not_before)
        return Actor(user.id, user.name, user.role) if user else None


def login(ctx: Context, name: Any, password: Any, *, address: str | None = None) -> LoggedIn:
    """Check a name and password and start a session; exactly one password hash is computed either way."""
    name = name.strip() if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    plausible = 0 < len(name) <= NAME_LIMIT and len(password) <= PASSWORD_MAX
    with ctx.reading() as session:
        user = store.user_by_name(session, name) if plausible else None
        usable = user is not None and bool(user.password_hash) and user.active
        stored = user.password_hash if usable else dummy_hash()
        found = (user.id, user.name, user.role) if user is not None else None
    # The hash is the slow part (~0.2 s by design): beside the event loop, not on it.
    matches = ctx.offload(check_password_hash, stored, password[:PASSWORD_MAX])
    if not (usable and matches):
        tried = ctx.as_actor(Actor(None, ANONYMOUS_NAME, ""))
        with tried.transaction() as unit:
            unit.audit("login.failed", "user", found[0] if found else None,
                       detail={"name": name[:NAME_LIMIT], "address": address})
        raise NotAuthenticated("wrong user name or password", field="password")
    actor = Actor(*found)
    key = secrets.token_urlsafe(32)
    with ctx.as_actor(actor).transaction() as unit:
        store.purge_sessions(unit.session, unit.now - timedelta(days=_session_days(ctx)))
        store.add_session(unit.session, actor.id, key, unit.now)
        unit.audit("login", "user", actor.id, detail={"address": address})
    return LoggedIn(actor, key)


def logout(ctx: Context, key: Any, *, address: str | None = None) -> None:
    """End one session on the server; its cookie, if kept somewhere, no longer authenticates."""
    if not isinstance(key, str) or not key:
        return
    with ctx.transaction() as unit:
        if store.end_session(unit.session, key) and ctx.actor.id is not None:
            unit.audit("logout", "user", ctx.actor.id, detail={"address": address})


def _user(session, user: int | str):
    """A user by id (int, from the API) or by name (str, from the command line); 404 naming which."""
    if isinstance(user, int) and not isinstance(user, bool):
        row = store.user_by_id(session, user)
        if row is None:
            raise NotFound(f"no user with id {user}", field="user_id")
        return row
    row = store.user_by_name(session, user) if isinstance(user, str) else None
    if row is None:
        raise NotFound(f"no user {user!r}", field="name")
    return row


def user_view(user) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role, "display_name": user.display_name,
            "county_code": user.county_code, "active": user.active,
            "created_at": user.created_at.isoformat() if user.created_at else None}


def set_active(ctx: Context, user: int | str, active: bool) -> dict:
    """Activate or deactivate; deactivating ends the user's sessions and stops their tokens at once."""
    with ctx.transaction() as unit:
        row = _user(unit.session, user)
        if not active and row.id == ctx.actor.id:
            raise Conflict("you cannot deactivate yourself", field="user_id")
        if row.active != active:
            row.active = active
            ended = 0 if active else store.end_sessions_of(unit.session, row.id)
            unit.audit("user.activate" if active else "user.deactivate", "user", row.id,
                       detail={"name": row.name, "sessions_ended": ended})
        view = user_view(row)
    forget_cached_tokens()
    return view


def set_password(ctx: Context, user: int | str, password: Any) -> None:
    """A new password ends every session of the user (whoever knew the old one is logged out)."""
    password = _password(password)
    if password is None:
        raise ValidationFailed("password is required", field="password")
    password_hash = ctx.offload(generate_password_hash, password)
    with ctx.transaction() as unit:
        row = _user(unit.session, user)
        row.password_hash = password_hash
        ended = store.end_sessions_of(unit.session, row.id)
        unit.audit("user.password", "user", row.id, detail={"name": row.name, "sessions_ended": ended})


def token_view(token) -> dict:
    return {"id": token.id, "user_id": token.user_id, "label": token.label, "created_at": moment(token.created_at),
            "last_used_at": moment(token.last_used_at), "revoked_at": moment(token.revoked_at)}


def tokens_of(ctx: Context, user: int | str) -> list[dict]:
    """A user's tokens (ids, label, times); the secrets are not kept, so never shown."""
    with ctx.reading() as session:
        return [token_view(t) for t in store.tokens_of(session, _user(session, user).id)]


def revoke_token(ctx: Context, token_id: int) -> dict:
    """Revoke one token; it is refused (401) from the next call. Revoking it again changes nothing."""
    with ctx.transaction() as unit:
        token = store.token_by_id(unit.session, token_id)
        if token is None:
            raise NotFound(f"no token with id {token_id}", field="token_id")
        if token.revoked_at is None:
            token.revoked_at = unit.now
            unit.audit("token.revoke", "user", token.user_id, detail={"token_id": token.id})
        view = token_view(token)
    forget_cached_tokens()
    return view


def revoke_tokens_of(ctx: Context, user: int | str) -> list[int]:
    """Revoke every live token of a user; returns their ids."""
    with ctx.transaction() as unit:
        row = _user(unit.session, user)
        revoked = store.revoke_tokens(unit.session, row.id, unit.now)
        if revoked:
            unit.audit("token.revoke", "user", row.id, detail={"token_ids": revoked})
    forget_cached_tokens()
    return revoked


def list_users(ctx: Context) -> list[dict]:
    with ctx.reading() as session:
        return [user_view(u) for u in store.list_users(session)]


def set_role(ctx: Context, user: int | str, role: Any) -> dict:
    """Give a user another role; their sessions and tokens act with it from the next call (audited).

    An administrator cannot change their own role (nobody locks the last admin out by a slip).
    """
    if not isinstance(role, str) or role not in ROLES:
        raise ValidationFailed(f"unknown role; roles: {', '.join(ROLES)}", field="role")
    with ctx.transaction() as unit:
        row = _user(unit.session, user)
        if row.id == ctx.actor.id and row.role != role:
            raise Conflict("you cannot change your own role", field="role")
        if row.role != role:
            unit.audit("user.role", "user", row.id, detail={"name": row.name, "from": row.role, "to": role})
            row.role = role
        view = user_view(row)
    forget_cached_tokens()
    return view
