"""What changes with time alone: guarantee verdicts whose food, water or visit runs out, and overdue reports.

Nothing is written when food runs out at 18:00, yet the household is unmet
from 18:00. Every kept verdict says when it next changes by itself
(``guarantee_status.next_change_at``, set by each recheck); the scheduler
(:mod:`relief.scheduler`) calls :func:`rejudge_due` every few seconds, which
re-judges exactly the households whose moment has come through the usual
recheck, so the same ``guarantee.changed`` events go out after commit.

Statutory report deadlines pass the same way: :func:`announce_overdue`
publishes ``report.overdue`` (topic ``reports``, staff only, per county) for
each deadline :func:`relief.services.statutory.overdue` lists, once: the
announcement is recorded with the event, keyed by the item's identifying
fields, so restarts and several processes never repeat one.

Only one process acts at a time: :func:`take_lead` takes or renews a lease
in the database, which lapses if its holder stops renewing it.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from relief.domain.audience import Audience
from relief.domain.vocabulary import Topic
from relief.services import guarantees, statutory
from relief.services.context import Context
from relief.store import schedule, verdicts

LEASE = "aging"
OVERDUE_KIND = "report.overdue"
OVERDUE_TOPIC = Topic.REPORTS


def take_lead(ctx: Context, holder: str, *, seconds: float) -> bool:
    """Take or renew the scheduler's lease for ``seconds``; False while another process holds it."""
    with ctx.transaction() as unit:
        leading = schedule.take_lease(unit.session, LEASE, holder, now=unit.now, seconds=seconds)
    return leading


def step_down(ctx: Context, holder: str) -> None:
    """Give the lease up now (a leader that stops), so another process takes over at its next tick."""
    with ctx.transaction() as unit:
        schedule.release_lease(unit.session, LEASE, holder, now=unit.now)


def rejudge_due(ctx: Context) -> dict[str, Any]:
    """Re-judge, as of ``ctx.now()``, the households whose verdict changes by then; in one transaction.

    Returns ``due`` (households re-judged), ``changed`` (whose status words
    changed: one ``guarantee.changed`` event per county lists them), ``as_of``
    and ``next_change_at`` (the soonest moment still to come, or None).
    """
    standards = ctx.standards
    with ctx.transaction() as unit:
        due = verdicts.due_households(unit.session, unit.now)
        changed = guarantees.recheck(unit, due, standards=standards)[1] if due else 0
        upcoming = verdicts.next_change(unit.session)
    return {"as_of": unit.now, "due": len(due), "changed": changed, "next_change_at": upcoming}


def announce_overdue(ctx: Context) -> dict[str, Any]:
    """Publish ``report.overdue`` for each overdue report deadline not announced before.

    Returns ``overdue`` (deadlines overdue now) and ``announced`` (announced by this call).
    """
    as_of = ctx.now()
    items = statutory.overdue(ctx, as_of)["items"]
    claims = [overdue_claim(item) for item in items]
    with ctx.transaction() as unit:
        fresh = schedule.claim_announcements(unit.session, claims, now=unit.now)
        for item, claim in zip(items, claims):
            if claim["key"] in fresh:
                unit.emit(OVERDUE_KIND, OVERDUE_TOPIC, dict(item), area_code=item.get("county_code"),
                          audience=Audience.STAFF)
                fresh.discard(claim["key"])  # the same deadline listed twice is still announced once
    return {"overdue": len(items), "announced": len(unit.events)}


def overdue_claim(item: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies an overdue item: its incident, report kind, deadline (as UTC) and township when it has one."""
    due = item["due_at"]
    due_at = (datetime.fromisoformat(due) if isinstance(due, str) else due).astimezone(timezone.utc)
    township = item.get("township_code")
    key = f"{item['incident_id']}/{item['report_kind']}/{township or '*'}/{due_at:%Y-%m-%dT%H:%M:%S.%fZ}"
    return {"key": key, "incident_id": int(item["incident_id"]), "report_kind": item["report_kind"],
            "township_code": township, "due_at": due_at}
