"""Users admin: create, change role, deactivate, revoke tokens."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin_pages", __name__)
