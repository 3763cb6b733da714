"""What a household received, one record at a time: hand-outs (distributions) and medical visits. Never commits.

Both are inputs of the household's guarantees (read back as frames by
``guarantee_inputs``); a register import writes them in bulk through
``registers`` instead.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from relief.store.tables import Distribution, MedicalVisit


def add_distribution(session: Session, *, household_id: str, item_code: str, quantity: float,
                     distributed_at: datetime, movement_id: int | None, actor_id: int | None) -> Distribution:
    """A hand-out to a household (its ledger line is ``movement_id``), flushed so it has its id."""
    row = Distribution(household_id=household_id, item_code=item_code, quantity=quantity,
                       distributed_at=distributed_at, movement_id=movement_id, actor_id=actor_id)
    session.add(row)
    session.flush()
    return row


def add_medical_visit(session: Session, *, household_id: str, visited_at: datetime, facility_id: str | None,
                      note: str | None) -> MedicalVisit:
    """A medical visit to a household, flushed so it has its id."""
    visit = MedicalVisit(household_id=household_id, visited_at=visited_at, facility_id=facility_id, note=note)
    session.add(visit)
    session.flush()
    return visit
