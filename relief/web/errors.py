"""Every API error is JSON ``{"error": {"code", "message", "field"}}``.

A client's mistake is a 4xx naming the field: the parsers (``relief.services.fields``,
``relief.web.params``, ``relief.web.json``) refuse every bad value before it reaches
the store. The catch-all below is for the server's own faults only and stays a 500
(logged): turning unexpected exceptions into 4xx would hide bugs.
"""
from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from relief.errors import DuplicateAid, ReliefError
from relief.web.json import dumps
from relief.web.wording import duplicate_aid_message

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
        body = error.to_dict()
        if isinstance(error, DuplicateAid):  # its findings in the reader's language
            body["message"] = duplicate_aid_message(error.household_id, error.findings)
        response = jsonify({"error": body})
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response, error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if not _wants_json() or (error.code or 500) < 400:  # redirects stay redirects
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


def request_line_too_long() -> bytes:
    """The whole HTTP answer for a request line over the server's limit (gevent's 8 KiB), as JSON.

    The server refuses such a request before the app sees it, with an empty
    body; its handler can send this instead (``relief/cli/serve.py``).
    """
    body = dumps({"error": {"code": "request_uri_too_long", "field": None,
                            "message": "the URL is too long; send large filters in a body"}}).encode()
    return (b"HTTP/1.1 414 Request URI Too Long\r\nConnection: close\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
