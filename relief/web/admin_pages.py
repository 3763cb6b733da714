"""GET /users: users admin (create, change role, deactivate / activate, list and revoke tokens).

The page is a shell; ``static/js/users_pages.js`` reads and writes through the admin API
(``web/api_admin.py``: ``GET/POST /api/users``, ``POST /api/users/<id>/role|deactivate|activate``,
``GET /api/users/<id>/tokens``, ``DELETE /api/tokens/<id>``), each write with a ``client_id`` so
that a resend on a bad network is answered once. Every word is translated here and handed to the
script; roles come from ``relief.domain.roles`` with their names in the user's language.
"""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from relief.domain.roles import ROLES
from relief.services.accounts import PASSWORD_MAX, PASSWORD_MIN
from relief.web.gate import browsers_log_in_first, requires
from relief.web.pages import role_label

bp = Blueprint("admin_pages", __name__)
browsers_log_in_first(bp)


def users_strings() -> dict[str, str]:
    return {
        "name": _("User name"), "role": _("Role"), "active": _("Active"), "last_used": _("Token last used"),
        "actions": _("Actions"), "yes": _("yes"), "no": _("no"), "never": _("never"),
        "deactivate": _("Deactivate"), "activate": _("Activate"), "change_role": _("Change role"),
        "tokens": _("Tokens"), "hide_tokens": _("Hide tokens"), "revoke": _("Revoke"), "revoked": _("revoked"),
        "label": _("Label"), "created": _("Created"), "state": _("State"), "live": _("in use"),
        "no_tokens": _("This user has no tokens."), "loading": _("Loading…"), "failed": _("Could not load"),
        "created_user": _("User %(name)s created.", name="{name}"),
        "new_token": _("Their API token, shown this once only: copy it now."),
        "role_changed": _("%(name)s is now %(role)s.", name="{name}", role="{role}"),
        "deactivated": _("%(name)s is deactivated: their sessions ended and their tokens stopped working.",
                         name="{name}"),
        "activated": _("%(name)s is active again.", name="{name}"),
        "token_revoked": _("Token revoked: it is refused from the next call."),
        "confirm_deactivate": _("Deactivate %(name)s? Their sessions end at once.", name="{name}"),
        "confirm_revoke": _("Revoke this token? Programs using it stop working at once."),
        "inactive": _("inactive"),
    }


@bp.get("/users")
@requires("users.manage")
def users_page():
    settings = {
        "roles": [{"code": role, "label": role_label(role)} for role in ROLES],
        "urls": {"users": "/api/users", "tokens": "/api/tokens"},
        "strings": users_strings(),
    }
    return render_template("users.html", settings=settings, roles=settings["roles"], password_min=PASSWORD_MIN,
                           password_max=PASSWORD_MAX)
