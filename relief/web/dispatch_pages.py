"""Dispatch plans as a convoy sees them: proposed, accepted, in transit, delivered."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dispatch_pages", __name__)
