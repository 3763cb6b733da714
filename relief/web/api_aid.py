"""The aid chain over JSON: a household's chain, the duplicate- and missed-aid flags, their review (staff only).

- ``GET /api/aid-flags?flag=duplicate|missed&township=<code>&status=<status>``: one page of flags, oldest
  first (``offset``, ``limit``): ``{"items", "total", "offset", "limit", "next_offset"}``; each item has its
  ``allowed_statuses`` and ``overdue`` (a missed entry past its deadline, judged when asked).
- ``GET /api/aid-flags/<id>``: one flag with its history.
- ``POST /api/aid-flags/<id>/transitions``: ``{"to", "reason"?, "client_id"?}``; resend-safe (the same
  ``client_id`` answers 200 with the same body); 400 naming ``to`` or ``reason``; 409 for a step the review
  table (``relief.domain.aid_chain.STEPS``) does not allow, with the allowed statuses.
- ``GET /api/aid-flags/counts``: unresolved flags by township and village, by kind and status, the oldest.
- ``GET /api/households/<id>/aid``: the household's aid chain in time order and its flags.

Every route needs ``aid_flags.review``: a chain or a flag names a household and is never public.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from relief.domain.vocabulary import AID_FLAG_KINDS, AID_FLAG_STATUSES
from relief.errors import ValidationFailed
from relief.services import aid_chain as service
from relief.web import params
from relief.web.context import request_context
from relief.web.gate import requires
from relief.web.resend import answer_once

bp = Blueprint("api_aid", __name__, url_prefix="/api")
PERMISSION = service.PERMISSION
_HOUSEHOLD_ID = r"<string(maxlength=40):household_id>"


def _word(name: str, allowed: tuple[str, ...]) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}", field=name)
    return raw


def _code(name: str) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if len(raw) > 24 or not raw.isalnum():
        raise ValidationFailed(f"{name} must be an area code", field=name)
    return raw


@bp.get("/aid-flags")
@requires(PERMISSION)
def aid_flags():
    return jsonify(service.list_flags(request_context(), flag=_word("flag", AID_FLAG_KINDS), township=_code("township"),
                                      status=_word("status", AID_FLAG_STATUSES), **params.paging()))


@bp.get("/aid-flags/counts")
@requires(PERMISSION)
def aid_flag_counts():
    return jsonify(service.counts(request_context(), oldest=params.integer("oldest", 10, minimum=0, maximum=100)))


@bp.get("/aid-flags/<int:flag_id>")
@requires(PERMISSION)
def aid_flag(flag_id: int):
    return jsonify(service.flag_detail(request_context(), flag_id))


@bp.post("/aid-flags/<int:flag_id>/transitions")
@requires(PERMISSION)
def aid_flag_transition(flag_id: int):
    body = params.json_body()
    return answer_once("aid_flag.transition", body, lambda ctx: service.transition_flag(ctx, flag_id, body),
                       scope=flag_id)


@bp.get(f"/households/{_HOUSEHOLD_ID}/aid")
@requires(PERMISSION)
def household_aid(household_id: str):
    return jsonify(service.household_aid(request_context(), household_id))
