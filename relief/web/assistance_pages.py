"""Living assistance pages: the public notice (公示) of a township, as JSON or a server-rendered page.

``GET /public/notice/<township_code>`` (no login) lists the township's cases from their notice on —
names masked (张*明), ID numbers masked (4228**********1234), programme, amount, period and notice dates —
with a form to object to a case still on notice (``POST /api/cases/<id>/objections``). It answers JSON
when the request prefers ``application/json`` (or asks ``?format=json``), else the page
``templates/public_notice.html``.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from relief.errors import ValidationFailed
from relief.services import assistance as service
from relief.web.context import base_context
from relief.web.gate import public

bp = Blueprint("assistance_pages", __name__)


def _wants_json() -> bool:
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


@bp.get("/public/notice/<string(maxlength=24):township_code>")
@public
def public_notice(township_code: str):
    if not township_code.isalnum():
        raise ValidationFailed("township_code must be an area code", field="township_code")
    notice = service.public_notice(base_context(), township_code)
    if _wants_json():
        return jsonify(notice)
    return render_template("public_notice.html", notice=notice)
