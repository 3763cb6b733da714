"""Replaying missed live events to a client that reconnects, by the same audience rule as the live rooms."""
from __future__ import annotations

from typing import Any, Iterable

from relief import live
from relief.domain.audience import received_by
from relief.services.context import Context
from relief.store import events


def latest_seq(ctx: Context) -> int:
    with ctx.reading() as session:
        return events.latest_seq(session)


def catch_up(ctx: Context, since: int, *, topics: Iterable[str], areas: Iterable[str] | None, staff: bool,
             limit: int) -> dict[str, Any]:
    with ctx.reading() as session:
        rows = events.events_since(session, since, topics=topics, areas=areas, audiences=received_by(staff=staff),
                                   limit=limit)
        latest = events.latest_seq(session)
    if len(rows) > limit:
        return {"reload": True, "events": [], "latest_seq": latest}
    return {"reload": False, "events": [live.wire(e) for e in rows], "latest_seq": latest}
