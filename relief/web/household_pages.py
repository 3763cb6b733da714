"""Households: search, the household page and its edit form."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("household_pages", __name__)
