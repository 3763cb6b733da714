"""Donation rows: recording one. Never commits.

The public listing and totals are read by ``stock_queries`` (``donations``,
``donation_totals``); the goods of an in-kind donation reach the ledger
through ``ledger.move`` before the donation row names that movement.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from relief.store.tables import Donation


def add_donation(session: Session, *, received_at: datetime, donor_name: str, donor_contact: str | None,
                 consent_public: bool, kind: str, amount_yuan: float | None, item_code: str | None,
                 quantity: float | None, destination_kind: str | None, destination_id: str | None,
                 movement_id: int | None) -> Donation:
    """A new donation row, flushed so it has its id."""
    donation = Donation(received_at=received_at, donor_name=donor_name, donor_contact=donor_contact,
                        consent_public=consent_public, kind=kind, amount_yuan=amount_yuan, item_code=item_code,
                        quantity=quantity, destination_kind=destination_kind, destination_id=destination_id,
                        movement_id=movement_id)
    session.add(donation)
    session.flush()
    return donation
