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

ANONYMOUS = Actor(id=None, name="anonymous", role="")


def base_context() -> Context:
    app = current_app
    return Context(store=app.extensions["relief.store"], publish=live.publish,
                   standards_loader=standards_loader(app.extensions["relief.store"]),
                   settings=app.config, offload=offload.runner(app))


def current_actor() -> Actor:
    """The bearer token's user, else the logged-in session's user, else anonymous."""
    if "actor" in g:
        return g.actor
    actor = ANONYMOUS
    header = request.headers.get("Authorization", "")
    ctx = base_context()
    if header.lower().startswith("bearer "):
        actor = accounts.actor_for_token(ctx, header[7:].strip()) or ANONYMOUS
        g.token_auth = True
    elif session.get("user_id"):
        actor = accounts.actor_for_id(ctx, session["user_id"]) or ANONYMOUS
        g.token_auth = False
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
