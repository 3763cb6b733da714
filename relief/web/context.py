"""Builds the service Context for the current request and finds who is calling (the gate is ``web/gate.py``)."""
from __future__ import annotations

from flask import current_app, g, request, session

from relief import live, offload
from relief.services import accounts
from relief.services.context import Actor, Context
from relief.web import security

ANONYMOUS = Actor(id=None, name="anonymous", role="")


def base_context() -> Context:
    app = current_app
    return Context(store=app.extensions["relief.store"], publish=live.publish,
                   standards_loader=app.extensions["relief.standards"],
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

