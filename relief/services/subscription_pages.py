"""Reads for the subscription pages (``web/subscription_pages.py``); every write goes through the JSON API.

What a subscription may name (topics, levels, delivery modes, counties) and one endpoint as its owner or an
admin sees it, with the same rule as ``services/webhooks.py`` (another's endpoint is not found).
"""
from __future__ import annotations

from typing import Any

from relief.domain.vocabulary import DELIVERY_MODES, DELIVERY_STATUSES, SUBSCRIPTION_TOPICS
from relief.errors import NotFound
from relief.services import webhooks
from relief.services.context import Context
from relief.store import subscription_pages as store
from relief.store import webhooks as webhook_store


def choices(ctx: Context) -> dict[str, Any]:
    """The words a subscription's filter and mode are made of, and the counties it may name."""
    with ctx.reading() as session:
        counties = store.counties(session)
    return {"topics": list(SUBSCRIPTION_TOPICS), "levels": webhooks.levels(ctx), "modes": list(DELIVERY_MODES),
            "statuses": list(DELIVERY_STATUSES), "counties": counties, "admin": ctx.may("webhooks.admin")}


def endpoint(ctx: Context, endpoint_id: int) -> dict[str, Any]:
    """One endpoint (no secret) if the caller owns it or is an admin, else :class:`NotFound`."""
    with ctx.reading() as session:
        row = webhook_store.endpoint(session, endpoint_id)
        if row is None or (row.owner_id != ctx.actor.id and not ctx.may("webhooks.admin")):
            raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")
        return webhooks.endpoint_view(row)
