"""The public disclosure of donations: a page and its JSON, no login.

Both show the same masked view (``services.donations.public_listing``):
donors' names masked unless they consented, contacts never shown.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from relief.services import donations
from relief.web import params
from relief.web.context import base_context
from relief.web.gate import public

bp = Blueprint("public_pages", __name__)


@bp.get("/public/donations")
@public
def donations_page():
    listing = donations.public_listing(base_context(), **params.paging())
    return render_template("public_donations.html", listing=listing)


@bp.get("/api/public/donations")
@public
def donations_json():
    return jsonify(donations.public_listing(base_context(), **params.paging()))
