"""Dispatch plans over JSON: propose, accept, dispatch (in transit), deliver (confirmed at the site)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_dispatch", __name__, url_prefix="/api")
