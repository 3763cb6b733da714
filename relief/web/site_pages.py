"""The relocation-site page: occupancy, check-in and check-out, status, stock and days of cover."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("site_pages", __name__)
