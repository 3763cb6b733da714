"""Households over JSON: search, one household with its guarantees and aid, audited edits."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_households", __name__, url_prefix="/api")
