"""Admin API: users, the standards document, the audit trail."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.services import accounts, audit, standards
from relief.web import params
from relief.web.context import request_context, requires

bp = Blueprint("api_admin", __name__, url_prefix="/api")


@bp.post("/users")
@requires("users.manage")
def create_user():
    body = params.json_body()
    user = accounts.create_user(request_context(), body.get("name"), body.get("role"), password=body.get("password"),
                                display_name=body.get("display_name"))
    return jsonify({"id": user.id, "name": user.name, "role": user.role, "token": user.token}), 201


@bp.get("/users")
@requires("users.manage")
def list_users():
    return jsonify({"users": accounts.list_users(request_context())})


@bp.get("/standards")
def get_standards():
    ctx = request_context()
    return jsonify({"active": ctx.standards.document, "versions": standards.versions(ctx)})


@bp.put("/standards")
@requires("standards.edit")
def put_standards():
    body = params.json_body()
    version = standards.publish(request_context(), body.get("document"), reason=body.get("reason"))
    return jsonify({"version": version}), 201


@bp.get("/audit")
@requires("staff.read")
def audit_trail():
    return jsonify({"entries": audit.entries(request_context(), entity=request.args.get("entity"),
                                             entity_id=request.args.get("entity_id"),
                                             limit=params.integer("limit", 200, minimum=1, maximum=5000))})
