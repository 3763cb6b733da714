"""Dispatch plan rows: keeping a proposed plan and recording each step it takes. Never commits.

Reading one plan and its movements is ``stock_queries.dispatch_plan`` /
``dispatch_movements``; the quantities a plan moves (out of the depots when
it is dispatched, into the sites when it is delivered) go through
``ledger.move`` like every other quantity. Which step may follow which is
``domain.dispatch.STEPS``; these functions only record a step already decided.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relief.domain.vocabulary import DispatchPlanStatus
from relief.store.paging import Page
from relief.store.tables import DispatchPlan, User


def add_plan(session: Session, *, created_at: datetime, as_of: datetime, lines: list[dict[str, Any]],
             unmet: list[dict[str, Any]], created_by: int | None) -> DispatchPlan:
    """A new ``proposed`` plan, flushed so it has its id."""
    plan = DispatchPlan(created_at=created_at, status=DispatchPlanStatus.PROPOSED, as_of=as_of, lines=lines,
                        unmet=unmet, created_by=created_by)
    session.add(plan)
    session.flush()
    return plan


def mark_accepted(session: Session, plan: DispatchPlan, *, accepted_by: int | None, at: datetime) -> DispatchPlan:
    """The plan accepted by whom and when."""
    plan.status, plan.accepted_by, plan.accepted_at = DispatchPlanStatus.ACCEPTED, accepted_by, at
    session.flush()
    return plan


def mark_dispatched(session: Session, plan: DispatchPlan, *, dispatched_by: int | None, at: datetime,
                    transfer_ids: list[str]) -> DispatchPlan:
    """The plan on its way (its lines have left their depots), sent by whom and when; each line keeps the
    transfer id of its ledger line, which the delivery's line shares."""
    plan.status, plan.dispatched_by, plan.dispatched_at = DispatchPlanStatus.IN_TRANSIT, dispatched_by, at
    plan.lines = [{**line, "transfer_id": transfer_id} for line, transfer_id in zip(plan.lines, transfer_ids)]
    session.flush()
    return plan


def mark_delivered(session: Session, plan: DispatchPlan, *, delivered_by: int | None, at: datetime,
                   received: list[float]) -> DispatchPlan:
    """The plan delivered: who confirmed it at the site, when, and what arrived per line."""
    plan.status, plan.delivered_by, plan.delivered_at = DispatchPlanStatus.DELIVERED, delivered_by, at
    plan.received = list(received)
    session.flush()
    return plan


def mark_cancelled(session: Session, plan: DispatchPlan, *, cancelled_by: int | None,
                   at: datetime) -> DispatchPlan:
    plan.status, plan.cancelled_by, plan.cancelled_at = DispatchPlanStatus.CANCELLED, cancelled_by, at
    session.flush()
    return plan


def plans_page(session: Session, *, statuses: Iterable[str] | None = None, offset: int = 0,
               limit: int = 100) -> Page:
    """Plans newest first, optionally only those in ``statuses``."""
    query = select(DispatchPlan)
    if statuses is not None:
        query = query.where(DispatchPlan.status.in_(list(statuses)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(DispatchPlan.id.desc()).offset(offset).limit(limit)))
    return Page(rows, total, offset, limit)


def status_counts(session: Session) -> dict[str, int]:
    """How many plans are in each status (statuses with none are left out)."""
    query = select(DispatchPlan.status, func.count()).group_by(DispatchPlan.status)
    return {status: int(n) for status, n in session.execute(query)}


def user_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """``{user id: display name (or login name)}`` for the people who took a plan's steps."""
    wanted = sorted({u for u in user_ids if u is not None})
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.display_name, User.name).where(User.id.in_(wanted)))
    return {uid: display or name for uid, display, name in rows}
