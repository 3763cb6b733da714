"""The incident page: timeline, figures, response level, what the signed-in role may do, statutory reports."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("incident_pages", __name__)
