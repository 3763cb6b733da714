"""Every API error is JSON ``{"error": {"code", "message", "field"}}``."""
from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from relief.errors import ReliefError

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: str, message: str, status: int, field: str | None = None, detail=None):
    body = {"code": code, "message": message, "field": field}
    if detail is not None:
        body["detail"] = detail
    return jsonify({"error": body}), status


def init_app(app) -> None:
    @app.errorhandler(ReliefError)
    def _relief_error(error: ReliefError):
        response = jsonify({"error": error.to_dict()})
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response, error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if not _wants_json():
            return error
        code = (error.name or "error").lower().replace(" ", "_")
        if error.code == 400 and "CSRF" in type(error).__name__.upper():
            code = "csrf"
        return error_response(code, error.description or error.name, error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return "Internal error", 500
        return error_response("internal", "internal error; it has been logged", 500)
