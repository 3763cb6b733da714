"""SMS notifications fed from the event outbox, beside the webhooks and on the same rules.

1. :func:`fan_out` reads outbox events after the ``sms`` cursor and, in one transaction per batch, makes one
   message per matching (event, subscription) — folding amendments and digests as webhooks do
   (:mod:`relief.domain.subscriptions`) — and moves the cursor. Each number's messages per day stay within
   its quota: beyond it, events join that day's overflow message, sent at the start of the next day
   (:mod:`relief.domain.sms`).
2. :func:`send_due` claims due messages under a lease (committed), hands each to the gateway, then records
   them sent with the gateway's id. A sender killed after handing over and before recording loses
   nothing: the lease lapses and the message is handed over again under the same ``message_id``.
3. :func:`record_receipts` takes the gateway's delivery receipts: delivered or failed, per gateway message
   id, the first receipt of a message standing.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Mapping

from relief.config import time_zone
from relief.domain import sms as texts
from relief.domain import subscriptions as rules
from relief.domain.audience import Audience
from relief.domain.standards import default_document
from relief.domain.vocabulary import SMS_RECEIPT_STATUSES, DeliveryMode, SmsKind
from relief.errors import NotAuthenticated, NotFound
from relief.jsonable import moment
from relief.services.context import Context
from relief.services.webhooks import audience_of, fan_out_until_caught_up, levels, visible_subscriptions
from relief.sms_gateways import Gateway, GatewayError, setting
from relief.store import sms as store
from relief.store import webhooks as outbox

if TYPE_CHECKING:
    from relief.store.tables import SmsSubscription


def figures(ctx: Context) -> texts.Figures:
    """The ``sms`` standards, an older published version lacking them (or some figures) completed."""
    bundled = default_document()["sms"]
    return texts.Figures.of({**bundled, **(ctx.standards.document.get("sms") or {})})


def zone(ctx: Context):
    """The zone whose days the quotas count (``RELIEF_TIMEZONE``)."""
    return time_zone(ctx.settings.get("TIMEZONE"))


# --- subscriptions (the API's use cases) ------------------------------------------------

def subscription_view(row: "SmsSubscription") -> dict[str, Any]:
    return {"id": row.id, "owner_id": row.owner_id, "phone": texts.mask_phone(row.phone),
            "filter": {"areas": row.areas or [], "topics": row.topics or [], "kinds": row.kinds or [],
                       "hazards": row.hazards or [], "min_level": row.min_level},
            "mode": row.mode, "active": row.active, "created_at": moment(row.created_at)}


def _admin(ctx: Context) -> bool:
    return ctx.may("webhooks.admin")


def create_subscription(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """A subscription of the caller's own number: what the caller's role may see, filtered."""
    phone = texts.parse_phone(body.get("phone"))
    flt = rules.parse_filter(body, levels(ctx))
    mode = rules.parse_mode(body.get("mode"))
    if ctx.actor.id is None:
        raise NotAuthenticated("an SMS subscription belongs to a signed-in user")
    with ctx.transaction() as unit:
        row = store.add_subscription(unit.session, owner_id=ctx.actor.id, phone=phone, areas=list(flt.areas),
                                     topics=list(flt.topics), kinds=list(flt.kinds), hazards=list(flt.hazards),
                                     min_level=flt.min_level, mode=mode, now=unit.now)
        unit.audit("sms_subscription.create", "sms_subscription", row.id,
                   detail=flt.as_dict() | {"mode": mode, "phone": texts.mask_phone(phone)})
        return {"subscription": subscription_view(row)}


def list_subscriptions(ctx: Context) -> dict[str, Any]:
    return visible_subscriptions(ctx, store.subscriptions, subscription_view)


def delete_subscription(ctx: Context, subscription_id: int) -> dict[str, Any]:
    with ctx.transaction() as unit:
        row = store.subscription(unit.session, subscription_id)
        if row is None or not row.active or not (row.owner_id == ctx.actor.id or _admin(ctx)):
            raise NotFound(f"no SMS subscription {subscription_id}", field="id")
        store.deactivate_subscription(unit.session, subscription_id)
        unit.audit("sms_subscription.delete", "sms_subscription", subscription_id)
        return {"subscription": subscription_view(row) | {"active": False}}


# --- fan-out -------------------------------------------------------------------------------

def _subscriber(target: Mapping[str, Any]) -> rules.Subscription:
    return rules.Subscription(
        id=target["id"], mode=DeliveryMode(target["mode"]), audience=audience_of(target["role"]),
        filter=rules.Filter(areas=tuple(target["areas"]), topics=tuple(target["topics"]),
                            kinds=tuple(target["kinds"]), min_level=target["min_level"],
                            hazards=tuple(target.get("hazards") or ())),
        extra={"phone": target["phone"]})


def _reach(mode: DeliveryMode, fig: rules.Figures) -> timedelta:
    return fig.fold_window if mode is DeliveryMode.IMMEDIATE else timedelta(days=1, hours=1)


def _slim(event: Mapping[str, Any]) -> dict[str, Any]:
    """What an overflow message keeps of an event: enough to count it and name its topic."""
    return {"seq": event["seq"], "topic": event.get("topic"), "kind": event.get("kind"), "at": event.get("at")}


def fan_out(ctx: Context, *, limit: int | None = None) -> dict[str, int]:
    """One batch of outbox events made into SMS messages, in one transaction.

    ``events`` read (0: caught up), ``messages`` made, ``folded`` into held ones, ``overflowed`` beyond a
    number's daily quota into its overflow message.
    """
    fig, hooks, order, tz = figures(ctx), rules.Figures.of(ctx.standards.webhooks), levels(ctx), zone(ctx)
    with ctx.transaction() as unit:
        session, now = unit.session, unit.now
        since = store.lock_cursor(session)
        events = outbox.events_after(session, since, limit or fig.fan_out_batch)
        if not events:
            return {"events": 0, "messages": 0, "folded": 0, "overflowed": 0, "cursor": since}
        targets = [_subscriber(t) for t in store.fan_out_targets(session)]
        plan = [(event, sub, rules.fold_key(event, sub.mode, now, tz))
                for event in events for sub in rules.recipients(targets, event, order)]
        if not plan:
            store.set_cursor(session, events[-1]["seq"])
            return {"events": len(events), "messages": 0, "folded": 0, "overflowed": 0, "cursor": events[-1]["seq"]}
        reach = max((_reach(sub.mode, hooks) for _, sub, key in plan if key is not None), default=timedelta(0))
        stored = store.held(session, {key for _, _, key in plan if key is not None}, now - reach)
        held: dict[tuple[int, str], list[rules.Held]] = {
            pair: [rules.Held(h["id"], h["created_at"], h["due_at"], h["tried"], h["events"]) for h in rows]
            for pair, rows in stored.items()}
        phones = {sub.extra["phone"] for _, sub, _ in plan}
        today = texts.quota_day(now, tz)
        days = [today + timedelta(days=n) for n in range(-1, 3)]
        counts = store.counted(session, phones, days)
        overflow_rows = {k: v["id"] for k, v in store.overflows(session, phones, days).items()}
        new: list[dict[str, Any]] = []                  # made in this batch; their Held ids are -(index + 1)
        folded: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        overflowed = joined = 0
        for event, sub, key in plan:
            phone = sub.extra["phone"]
            mine = held.get((sub.id, key), []) if key is not None else []
            window = [h for h in mine if now - h.created_at < _reach(sub.mode, hooks)]
            spot = rules.place(sub.mode, key, now, window, hooks, tz)
            if spot.fold_into is not None:
                if spot.fold_into < 0:
                    row = new[-spot.fold_into - 1]
                    row["events"].append(event)
                    row["pairs"].append(sub.id)
                else:
                    folded.setdefault(spot.fold_into, []).append((sub.id, event))
                _count(held[(sub.id, key)], spot.fold_into)
                joined += 1
                continue
            due = max(spot.due_at, now)
            day = texts.quota_day(due, tz)
            where = texts.slot(due, counts.get((phone, day), 0), fig, tz)
            if where.overflow:
                overflowed += 1
                target = overflow_rows.get((phone, where.day))
                if target is None:
                    new.append({"message_id": "sms_" + secrets.token_hex(12), "subscription_id": None,
                                "phone": phone, "staff": False, "kind": SmsKind.OVERFLOW, "mode": sub.mode,
                                "fold_key": f"overflow:{where.day.isoformat()}",
                                "quota_day": where.day + timedelta(days=1), "events": [_slim(event)],
                                "pairs": [sub.id], "due_at": where.due_at})
                    overflow_rows[(phone, where.day)] = -len(new)
                elif target < 0:
                    new[-target - 1]["events"].append(_slim(event))
                    new[-target - 1]["pairs"].append(sub.id)
                else:
                    folded.setdefault(target, []).append((sub.id, _slim(event)))
                continue
            counts[(phone, day)] = counts.get((phone, day), 0) + 1
            kind = SmsKind.EVENT if sub.mode is DeliveryMode.IMMEDIATE else SmsKind.DIGEST
            new.append({"message_id": "sms_" + secrets.token_hex(12), "subscription_id": sub.id, "phone": phone,
                        "staff": sub.audience is Audience.STAFF, "kind": kind, "mode": sub.mode, "fold_key": key,
                        "quota_day": day, "events": [event], "pairs": [sub.id], "due_at": due})
            if key is not None:
                held.setdefault((sub.id, key), []).append(rules.Held(-len(new), now, due, False, 1))
        store.add_messages(session, new, now=now)
        for message_id, pairs in folded.items():
            store.fold_into(session, message_id, pairs)
        store.set_cursor(session, events[-1]["seq"])
    return {"events": len(events), "messages": len(new), "folded": joined, "overflowed": overflowed,
            "cursor": events[-1]["seq"]}


def _count(held: list[rules.Held], message_id: int) -> None:
    for n, h in enumerate(held):
        if h.id == message_id:
            held[n] = replace(h, events=h.events + 1)


# --- sending ----------------------------------------------------------------------------------

def _names(session: Any, rows: list[Mapping[str, Any]]) -> dict[str, str]:
    """Names of the areas and sites the claimed messages' events mention."""
    codes: set[str] = set()
    sites: set[str] = set()
    for row in rows:
        for event in row["events"] or []:
            props = texts.props_of(event)
            codes.update(c for c in (props.get("township_code"), props.get("village_code"),
                                     props.get("county_code"), event.get("area_code")) if isinstance(c, str))
            if props.get("holder_kind") == "site" and props.get("holder_id") is not None:
                sites.add(str(props["holder_id"]))
    names = store.area_names(session, codes)
    names.update({f"site:{i}": n for i, n in store.site_names(session, sites).items()})
    return names


def text_of(row: Mapping[str, Any], names: Mapping[str, str], fig: texts.Figures) -> str:
    day = row["quota_day"] - timedelta(days=1) if row["kind"] == SmsKind.OVERFLOW else None
    return texts.compose(row["events"], kind=row["kind"], mode=DeliveryMode(row["mode"]), staff=row["staff"],
                         names=names, figures=fig, day=day)


def send_due(ctx: Context, holder: str, *, gateway: Gateway, limit: int = 100) -> dict[str, int]:
    """Claim due messages (committed), hand each to the gateway, then record them all in one transaction."""
    fig = figures(ctx)
    now = ctx.now()
    with ctx.transaction() as unit:
        claimed = store.claim_due(unit.session, holder, now=now,
                                  lease_until=now + timedelta(seconds=fig.lease_seconds), limit=limit)
        names = _names(unit.session, claimed) if claimed else {}
    done = {"claimed": len(claimed), "sent": 0, "failed": 0, "dead": 0}
    if not claimed:
        return done
    results: list[tuple[Mapping[str, Any], str, str | None, str | None]] = []
    for row in claimed:
        text = row["text"] or text_of(row, names, fig)
        try:
            results.append((row, text, gateway.send(row["phone"], text, row["message_id"]), None))
        except GatewayError as error:
            results.append((row, text, None, str(error) or type(error).__name__))
    with ctx.transaction() as unit:
        for row, text, gateway_id, error in results:
            if error is None:
                done["sent"] += store.mark_sent(unit.session, row["id"], holder, gateway_id=gateway_id, text=text,
                                                now=ctx.now())
                continue
            retry = texts.retry_at(fig, row["attempts"] + 1, ctx.now())
            store.keep_text(unit.session, row["id"], text)
            store.mark_failed(unit.session, row["id"], next_attempt_at=retry, error=error)
            done["failed"] += 1
            done["dead"] += retry is None
    return done


def run_once(ctx: Context, holder: str, *, gateway: Gateway, limit: int = 100) -> dict[str, Any]:
    """Fan out until caught up, then send one round of due messages."""
    fanned = fan_out_until_caught_up(lambda: fan_out(ctx), ("events", "messages", "folded", "overflowed"))
    return {"fanned_out": fanned, **send_due(ctx, holder, gateway=gateway, limit=limit)}


# --- receipts ---------------------------------------------------------------------------------

def check_receipt_token(ctx: Context, offered: str | None) -> None:
    """The gateway's shared token (``RELIEF_SMS_RECEIPT_TOKEN``), compared in constant time."""
    expected = setting(ctx.settings, "SMS_RECEIPT_TOKEN")
    if expected is None:
        raise NotFound("SMS receipts are not configured (RELIEF_SMS_RECEIPT_TOKEN)", field="token")
    if not offered or not hmac.compare_digest(offered.encode(), expected.encode()):
        raise NotAuthenticated("the receipt token is missing or wrong", field="token")


def record_receipts(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Delivered or failed per gateway message id; all or nothing; a repeated receipt changes nothing."""
    receipts = texts.parse_receipts(body, SMS_RECEIPT_STATUSES)
    with ctx.transaction() as unit:
        known = store.by_gateway_id(unit.session, [r.gateway_id for r in receipts])
        unknown = [r.gateway_id for r in receipts if r.gateway_id not in known]
        if unknown:
            raise NotFound(f"no SMS message sent under {', '.join(unknown[:5])}", field="message_id")
        recorded, unchanged = [], []
        for receipt in receipts:
            row = known[receipt.gateway_id]
            if store.record_receipt(unit.session, row.id, receipt.status, receipt.error, unit.now):
                recorded.append(receipt.gateway_id)
            else:
                unchanged.append(receipt.gateway_id)
        if recorded:
            unit.audit("sms.receipts", "sms_message", None, detail={"recorded": len(recorded)})
        return {"recorded": recorded, "unchanged": unchanged}


def quota_used(ctx: Context, phone: str, day: date) -> int:
    """Messages counted on a number's day (its regular ones and the previous day's overflow)."""
    with ctx.reading() as session:
        return store.quota_used(session, phone, day)
