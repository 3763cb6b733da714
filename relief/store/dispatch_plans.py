"""Dispatch plan rows: keeping a proposed plan and marking it accepted. Never commits.

Reading a plan and its movements is ``stock_queries.dispatch_plan`` /
``dispatch_movements``; the transfers an accepted plan books go through
``ledger.move`` like every other quantity.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from relief.domain.vocabulary import DispatchPlanStatus
from relief.store.tables import DispatchPlan


def add_plan(session: Session, *, created_at: datetime, as_of: datetime, lines: list[dict[str, Any]],
             unmet: list[dict[str, Any]], created_by: int | None) -> DispatchPlan:
    """A new ``proposed`` plan, flushed so it has its id."""
    plan = DispatchPlan(created_at=created_at, status=DispatchPlanStatus.PROPOSED, as_of=as_of, lines=lines,
                        unmet=unmet, created_by=created_by)
    session.add(plan)
    session.flush()
    return plan


def mark_accepted(session: Session, plan: DispatchPlan, *, accepted_by: int | None, at: datetime) -> DispatchPlan:
    """The plan accepted by whom and when, flushed with the transfers booked for it."""
    plan.status, plan.accepted_by, plan.accepted_at = DispatchPlanStatus.ACCEPTED, accepted_by, at
    session.flush()
    return plan
