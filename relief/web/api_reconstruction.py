"""Reconstruction over JSON: houses, stage transitions, inspections, subsidy payments, summaries."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_reconstruction", __name__, url_prefix="/api")
