"""Reconstruction pages for officers: progress by township, stalled houses, the house page."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reconstruction_pages", __name__)
