"""The HTTP face of resend-safe writes (``relief.services.resend``).

A route hands its use case to :func:`answer_once`: the first send answers
with the route's status (201 for something new), a resend with the same
``client_id`` (body) or ``Idempotency-Key`` (header) answers 200 with the
same body, and the same id with another body is 409 ``client_id_reused``.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from flask import jsonify

from relief.services import resend
from relief.services.context import Context
from relief.web.context import request_context


def answer_once(operation: str, body: Mapping[str, Any], work: Callable[[Context], dict[str, Any]], *,
                scope: Any = None, status: int = 201, keep: resend.Keeping | None = None):
    submission = resend.once(request_context(), operation, body, work, scope=scope, keep=keep)
    return jsonify(submission.body), status if submission.created else 200
