"""Builds the service Context for the current request and checks permissions."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request, session
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from relief import live, offload
from relief.domain.roles import may
from relief.errors import Forbidden, NotAuthenticated
from relief.services import accounts
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.web import security

ANONYMOUS = Actor(id=None, name="anonymous", role="")


def base_context() -> Context:
    app = current_app
    return Context(store=app.extensions["relief.store"], publish=live.publish,
                   standards_loader=standards_loader(app.extensions["relief.store"]),
                   settings=app.config, offload=offload.runner(app))


#: Where the browser session keeps its server-side session key (``user_sessions``).
SESSION_KEY = "session_key"


def token_actor(token: str) -> Actor | None:
    """The user of a bearer token, throttled per address: past the limit of bad tokens, 429 for any token.

    A token this process has just seen working skips the throttle (no storage round trip per API call).
    """
    ctx = base_context()
    actor = accounts.cached_actor_for_token(ctx, token) if token else None
    if actor is not None:
        return actor
    security.check_bearer()
    actor = accounts.actor_for_token(ctx, token) if token else None
    if actor is None:
        security.bearer_failed()
    return actor


def session_actor() -> Actor | None:
    """The user of this request's session cookie if that session is still live on the server.

    A cookie kept after logout, after its user was deactivated or after a password change
    no longer names a live session; the socket handshake checks cookies with this too.
    """
    if not session.get("user_id"):
        return None
    return accounts.actor_for_session(base_context(), session.get("user_id"), session.get(SESSION_KEY))


def start_session(logged_in) -> None:
    """A fresh cookie for a fresh session (nothing from before the login is kept but the language)."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = logged_in.actor.id
    session[SESSION_KEY] = logged_in.key
    if lang:
        session["lang"] = lang


def current_actor() -> Actor:
    """The bearer token's user, else the logged-in session's user, else anonymous."""
    if "actor" in g:
        return g.actor
    actor = ANONYMOUS
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        g.token_auth = True
        actor = token_actor(header[7:].strip()) or ANONYMOUS
    elif session.get("user_id"):
        g.token_auth = False
        actor = session_actor() or ANONYMOUS
    g.actor = actor
    return actor


def request_context() -> Context:
    ctx = base_context().as_actor(current_actor())
    ctx.idempotency_key = request.headers.get("Idempotency-Key") or None
    return ctx


def requires(permission: str):
    """Guard a write: 401 without credentials, 403 without the permission.

    Browser sessions must also send the CSRF token (header ``X-CSRFToken``);
    bearer-token clients are not exposed to CSRF and need none.
    """

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            actor = current_actor()
            if actor.id is None:
                raise NotAuthenticated("this action needs a logged-in user or an API token (Authorization: Bearer …)")
            if not g.get("token_auth"):
                try:
                    validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
                except ValidationError as error:
                    raise Forbidden(f"missing or bad CSRF token: {error}", field="csrf_token") from error
            if not may(actor.role, permission):
                raise Forbidden(f"role {actor.role!r} may not {permission}")
            return view(*args, **kwargs)

        return guarded

    return decorate
