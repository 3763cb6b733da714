"""The interface's own description: ``GET /api/openapi.json``, ``GET /api/asyncapi.json`` and ``GET /api/docs``.

Both documents are generated from the running app (``relief.web.openapi``); the page is Swagger UI,
vendored under ``static/vendor/swagger-ui`` (no CDN), reading ``/api/openapi.json``.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, url_for
from flask_babel import get_locale

from relief.web import openapi
from relief.web.gate import public
from relief.web.openapi import asyncapi

bp = Blueprint("api_docs", __name__)


@bp.get("/api/openapi.json")
@public
def openapi_document():
    return jsonify(openapi.spec_of(current_app))


@bp.get("/api/asyncapi.json")
@public
def asyncapi_document():
    document = current_app.extensions.get("relief.asyncapi")
    if document is None:
        document = current_app.extensions["relief.asyncapi"] = asyncapi.build()
    return jsonify(document)


@bp.get("/api/docs")
@public
def docs_page():
    return render_template("api_docs.html", spec_url=url_for("api_docs.openapi_document"), lang=str(get_locale()))
