"""The one authorisation gate: every route names a permission (``@requires``) or says it is ``@public``.

- ``@requires("permission")``: 401 without credentials, 403 without the permission (names from
  ``relief.domain.roles.PERMISSIONS``). Browser sessions must also send the CSRF token (header
  ``X-CSRFToken`` or form field ``csrf_token``) on unsafe methods; reads need none, and bearer-token
  clients never do (a browser does not send a token on its own).
- ``@public``: anyone may call the route. One that shows staff more asks :func:`actor_may`; one whose
  answer needs a permission only for some requests (a body's type, a query) calls :func:`check`.

Each decorator records its choice on the view (``view.permission`` / ``view.public``), so a test can
walk ``app.url_map`` and refuse a route that states neither.
"""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, redirect, request, url_for
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from relief.domain.roles import PERMISSIONS
from relief.errors import Forbidden, NotAuthenticated
from relief.web.context import current_actor

#: The methods that change something: the only ones a cross-site form could abuse, so the only ones needing CSRF.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _known(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise LookupError(f"no permission {permission!r} in relief.domain.roles.PERMISSIONS")
    return permission


def check(permission: str, *, hint: str | None = None) -> None:
    """The gate itself, for a permission a route chooses while answering; raises 401/403.

    ``hint`` tells an anonymous caller what they may read instead.
    """
    _known(permission)
    actor = current_actor()
    if actor.id is None:
        how = "log in or send an API token (Authorization: Bearer …)"
        raise NotAuthenticated(f"{hint}; {how}" if hint else f"this needs a logged-in user: {how}")
    if request.method in UNSAFE_METHODS and not g.get("token_auth"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
        except ValidationError as error:
            raise Forbidden(f"missing or bad CSRF token: {error}", field="csrf_token") from error
    if not actor.may(permission):
        raise Forbidden(f"role {actor.role!r} may not {permission}")


def requires(permission: str, *, hint: str | None = None):
    """Guard a route with :func:`check` before it runs."""
    _known(permission)

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            check(permission, hint=hint)
            return view(*args, **kwargs)

        guarded.permission = permission
        return guarded

    return decorate


def public(view):
    """Mark a route anyone may call (it is still free to show staff more through :func:`actor_may`)."""
    view.public = True
    return view


def actor_may(permission: str) -> bool:
    """Whether this request's caller holds ``permission``: for routes that answer staff and public differently."""
    return current_actor().may(_known(permission))



def browsers_log_in_first(blueprint) -> None:
    """Staff pages: a browser's navigation without a session goes to the login page and comes back.

    Only a navigation (it asks for ``text/html``) is redirected; scripts, API clients and ``.json`` reads
    get the gate's 401 as every other route does.
    """
    @blueprint.errorhandler(NotAuthenticated)
    def _log_in_first(error: NotAuthenticated):
        if "text/html" not in request.headers.get("Accept", "") or request.path.endswith(".json"):
            return jsonify({"error": error.to_dict()}), error.status
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
