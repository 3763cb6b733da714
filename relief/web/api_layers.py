"""GET /api/areas|incidents|sites|depots|facilities and /api/health; GET /api/layers/aid-flags (staff: open aid
flags per village)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.domain.vocabulary import AREA_LEVELS, INCIDENT_KINDS, INCIDENT_STATUSES
from relief.services import map_layers, system
from relief.web import params
from relief.web.context import base_context
from relief.web.gate import public, requires

bp = Blueprint("api_layers", __name__, url_prefix="/api")


@bp.get("/health")
@public
def health():
    return jsonify(system.health(base_context()))


@bp.get("/areas")
@public
def areas():
    level = params.words("level", AREA_LEVELS)
    return jsonify(map_layers.feature_collection(base_context(), "areas", bbox=params.bbox(),
                                             level=level[0] if level else None,
                                             parent=request.args.get("parent") or None, **params.paging()))


@bp.get("/incidents")
@public
def incidents():
    return jsonify(map_layers.feature_collection(
        base_context(), "incidents", bbox=params.bbox(), kinds=params.words("kind", INCIDENT_KINDS),
        statuses=params.words("status", INCIDENT_STATUSES), since=params.query_time("since"),
        until=params.query_time("until"), **params.paging()))


@bp.get("/sites")
@public
def sites():
    return jsonify(map_layers.feature_collection(base_context(), "sites", bbox=params.bbox(), **params.paging()))


@bp.get("/depots")
@public
def depots():
    return jsonify(map_layers.feature_collection(base_context(), "depots", bbox=params.bbox(), **params.paging()))


@bp.get("/facilities")
@public
def facilities():
    return jsonify(map_layers.feature_collection(base_context(), "facilities", bbox=params.bbox(), **params.paging()))


@bp.get("/layers/aid-flags")
@requires("staff.read")
def aid_flags_by_village():
    """Open duplicate and missed aid flags per village (staff only: flags are never public)."""
    return jsonify(map_layers.aid_flags_by_village(base_context()))
