"""The warehouse page: receipts, transfers, distributions, adjustments, balances and ledger; donations entry."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stock_pages", __name__)
