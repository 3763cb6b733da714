"""Admin API: users and their tokens, the standards document, the audit trail.

Deactivating a user or revoking a token takes effect on the next call in this
process (its token cache is cleared after the commit) and within
``accounts.TOKEN_CACHE_SECONDS`` in other worker processes.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.errors import NotFound
from relief.services import accounts, audit, fields, standards
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import public, requires
from relief.web.resend import answer_once

bp = Blueprint("api_admin", __name__, url_prefix="/api")

#: Row ids are 32-bit on PostgreSQL; a larger one names no row.
MAX_ROW_ID = 2**31 - 1


@bp.post("/users")
@requires("users.manage")
def create_user():
    """Not through ``answer_once``: the answer holds the new token, which is never stored; a resend is 409 by name."""
    body = params.json_body()
    user = accounts.create_user(request_context(), body.get("name"), body.get("role"), password=body.get("password"),
                                display_name=body.get("display_name"), county_code=body.get("county_code"))
    return jsonify({"id": user.id, "name": user.name, "role": user.role, "token": user.token}), 201


@bp.get("/users")
@requires("users.manage")
def list_users():
    return jsonify({"users": accounts.list_users(request_context())})


def _optional_body() -> dict:
    """These writes need no fields; a body may still carry the ``client_id``."""
    if not request.get_data(cache=True):
        return {}
    return params.json_body()


def _path_id(value: str, field: str) -> int:
    """Path ids are routed as text so that a huge or odd one is a 404 naming the field, never a 500."""
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ROW_ID:
        raise NotFound(f"no such {field.removesuffix('_id')}: {value[:40]!r}", field=field)
    return int(value)


def _set_active(user_id: str, active: bool):
    uid = _path_id(user_id, "user_id")
    body = _optional_body()
    answer = answer_once("user.activate" if active else "user.deactivate", body,
                         lambda ctx: {"user": accounts.set_active(ctx, uid, active)}, scope=uid, status=200)
    accounts.forget_cached_tokens()  # again after the commit: nothing read before it stays cached
    return answer


@bp.post("/users/<user_id>/deactivate")
@requires("users.manage")
def deactivate_user(user_id: str):
    return _set_active(user_id, False)


@bp.post("/users/<user_id>/activate")
@requires("users.manage")
def activate_user(user_id: str):
    return _set_active(user_id, True)


@bp.post("/users/<user_id>/role")
@requires("users.manage")
def change_role(user_id: str):
    """Body ``{"role": …, "client_id": …}``; a resend answers the first answer again."""
    uid = _path_id(user_id, "user_id")
    body = params.json_body()
    answer = answer_once("user.role", body, lambda ctx: {"user": accounts.set_role(ctx, uid, body.get("role"))},
                         scope=uid, status=200)
    accounts.forget_cached_tokens()  # again after the commit: a token read before it keeps no old role
    return answer


@bp.get("/users/<user_id>/tokens")
@requires("users.manage")
def user_tokens(user_id: str):
    return jsonify({"tokens": accounts.tokens_of(request_context(), _path_id(user_id, "user_id"))})


@bp.delete("/tokens/<token_id>")
@requires("users.manage")
def revoke_token(token_id: str):
    tid = _path_id(token_id, "token_id")
    answer = answer_once("token.revoke", _optional_body(), lambda ctx: {"token": accounts.revoke_token(ctx, tid)},
                         scope=tid, status=200)
    accounts.forget_cached_tokens()
    return answer


@bp.get("/standards")
@public
def get_standards():
    ctx = request_context()
    return jsonify({"active": ctx.standards.document, "versions": standards.versions(ctx)})


@bp.put("/standards")
@requires("standards.edit")
def put_standards():
    body = params.json_body()
    version = standards.publish(request_context(), body.get("document"), reason=fields.text(body, "reason"))
    return jsonify({"version": version}), 201


@bp.get("/audit")
@requires("staff.read")
def audit_trail():
    return jsonify({"entries": audit.entries(request_context(), entity=request.args.get("entity"),
                                             entity_id=request.args.get("entity_id"),
                                             limit=params.integer("limit", 200, minimum=1, maximum=5000))})
