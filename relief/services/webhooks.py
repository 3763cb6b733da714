"""Subscriptions and signed webhooks fed from the event outbox.

Three steps, each safe to run in several processes at once:

1. :func:`fan_out` reads outbox events after the cursor and, in one transaction per batch, makes one
   delivery per matching (event, subscription) — or folds the event into an untried one — and moves the
   cursor. The cursor row is locked for the batch, so each event is fanned out once.
2. :func:`deliver_due` claims due deliveries under a lease, posts each one signed in the Standard
   Webhooks format (``webhook-id`` fixed at creation, so every retry and replay carries the same id),
   and records the outcome: delivered, due again after a backoff with jitter, or dead after the
   retries have spanned at least the set hours. A worker killed mid-delivery loses nothing: its rows
   are taken again once the lease lapses, under the same ``webhook-id``, which a receiver deduplicates.
3. An endpoint failing long and often enough is disabled, with a ``webhook.endpoint_disabled`` notice.

Endpoint secrets (``whsec_…``) are needed in clear to sign, so they are kept encrypted with a key derived
from the app's secret key and shown once, on creation.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import secrets
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from relief.config import time_zone
from relief.domain import subscriptions as rules
from relief.domain.audience import Audience
from relief.domain.roles import ROLES
from relief.domain.roles import may as role_may
from relief.domain.vocabulary import DELIVERY_STATUSES, DeliveryMode, WebhookTopic
from relief.errors import Forbidden, NotFound, ValidationFailed
from relief.jsonable import jsonable, moment
from relief.services.context import Context
from relief.services.resend import Keeping
from relief.store import webhooks as store

if TYPE_CHECKING:
    from relief.store.tables import Subscription, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

DISABLED_KIND = "webhook.endpoint_disabled"
#: Sends one request: (url, body, headers, timeout seconds) → HTTP status; raises OSError-like errors when
#: nothing came back.
Sender = Callable[[str, bytes, Mapping[str, str], float], int]
#: The wall clock a ``webhook-timestamp`` is read from: receivers compare it with their own clock to refuse
#: replays, so it is the real time even where a test runs the schedule on a clock of its own.
Wall = Callable[[], datetime]


def wall_now() -> datetime:
    return datetime.now(timezone.utc)


# --- secrets ---------------------------------------------------------------------

def _fernet(ctx: Context):
    from cryptography.fernet import Fernet

    secret_key = str(ctx.settings.get("SECRET_KEY") or "")
    if not secret_key:
        raise RuntimeError("webhook secrets need the app's SECRET_KEY (RELIEF_SECRET_KEY)")
    digest = hashlib.sha256(b"relief webhook secrets\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def encrypt_secret(ctx: Context, secret: str) -> str:
    return _fernet(ctx).encrypt(secret.encode()).decode()


def decrypt_secret(ctx: Context, token: str) -> str:
    return _fernet(ctx).decrypt(token.encode()).decode()


def system_resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (the SSRF rule checks them all)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})


def figures(ctx: Context) -> rules.Figures:
    return rules.Figures.of(ctx.standards.webhooks)


def levels(ctx: Context) -> list[str]:
    """Response levels, most severe first (as the standards document lists them)."""
    return [entry["level"] for entry in ctx.standards.response_levels["levels"]]


def audience_of(role: str | None) -> Audience:
    """A subscriber with a staff role receives staff events; an outside system (no role) the public ones."""
    return Audience.STAFF if role in ROLES and role_may(role, "staff.read") else Audience.PUBLIC


# --- views -------------------------------------------------------------------------

def endpoint_view(row: "WebhookEndpoint") -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "description": row.description, "owner_id": row.owner_id,
            "enabled": row.enabled, "disabled_reason": row.disabled_reason,
            "private_host_allowed": row.private_host_allowed, "consecutive_failures": row.consecutive_failures,
            "failing_since": moment(row.failing_since), "created_at": moment(row.created_at)}


def subscription_view(row: "Subscription") -> dict[str, Any]:
    return {"id": row.id, "owner_id": row.owner_id, "owner_role": row.owner_role, "endpoint_id": row.endpoint_id,
            "filter": {"areas": row.areas or [], "topics": row.topics or [], "kinds": row.kinds or [],
                       "hazards": row.hazards or [], "min_level": row.min_level},
            "mode": row.mode, "active": row.active, "created_at": moment(row.created_at)}


def delivery_view(row: "WebhookDelivery", attempts: Iterable[Any]) -> dict[str, Any]:
    return {"id": row.id, "webhook_id": row.webhook_id, "subscription_id": row.subscription_id,
            "endpoint_id": row.endpoint_id, "status": row.status, "attempts": row.attempts,
            "seqs": [e.get("seq") for e in row.events or []], "next_attempt_at": moment(row.next_attempt_at),
            "last_error": row.last_error, "response_code": row.response_code,
            "created_at": moment(row.created_at), "delivered_at": moment(row.delivered_at),
            "log": [{"at": moment(a.at), "response_code": a.response_code, "error": a.error,
                     "milliseconds": a.milliseconds} for a in attempts]}


# --- endpoints and subscriptions (the API's use cases) ------------------------------

def _admin(ctx: Context) -> bool:
    return ctx.may("webhooks.admin")


def _own_endpoint(ctx: Context, session: Any, endpoint_id: Any) -> "WebhookEndpoint":
    if isinstance(endpoint_id, bool) or not isinstance(endpoint_id, int):
        raise ValidationFailed("endpoint_id must be the id of a webhook endpoint", field="endpoint_id")
    row = store.endpoint(session, endpoint_id)
    if row is None or (row.owner_id != ctx.actor.id and not _admin(ctx)):
        raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id")
    return row


def create_endpoint(ctx: Context, body: Mapping[str, Any], *,
                    resolve: rules.Resolver = system_resolve) -> dict[str, Any]:
    """A new endpoint and its signing secret, which is shown this once."""
    allow_private = body.get("allow_private_host", False)
    if not isinstance(allow_private, bool):
        raise ValidationFailed("allow_private_host must be true or false", field="allow_private_host")
    if allow_private and not _admin(ctx):
        raise Forbidden("only an admin may allow a private webhook host", field="allow_private_host")
    description = body.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 200):
        raise ValidationFailed("description must be text of at most 200 characters", field="description")
    url = body.get("url")
    rules.check_url(url, resolve, allowed_hosts=[rules.host_of(url)] if allow_private and isinstance(url, str)
                    else ())
    secret = new_secret()
    with ctx.transaction() as unit:
        row = store.add_endpoint(unit.session, url=url, description=description,
                                 secret_encrypted=encrypt_secret(ctx, secret), owner_id=ctx.actor.id,
                                 private_host_allowed=allow_private, now=unit.now)
        unit.audit("webhook.endpoint_create", "webhook_endpoint", row.id,
                   detail={"url": url, "private_host_allowed": allow_private})
        return {"endpoint": endpoint_view(row), "secret": secret}


def secret_keeping(ctx: Context) -> Keeping:
    """A kept creation answer holds the secret encrypted, so a resend shows it again and the table never in clear."""
    def seal(answer: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in answer.items() if k != "secret"}
        return {**kept, "secret_encrypted": encrypt_secret(ctx, answer["secret"])}

    def open_(kept: dict[str, Any]) -> dict[str, Any]:
        answer = {k: v for k, v in kept.items() if k != "secret_encrypted"}
        return {**answer, "secret": decrypt_secret(ctx, kept["secret_encrypted"])}

    return Keeping(seal=seal, open=open_)


def list_endpoints(ctx: Context) -> dict[str, Any]:
    with ctx.reading() as session:
        rows = store.endpoints(session, owner_id=None if _admin(ctx) else ctx.actor.id)
        return {"endpoints": [endpoint_view(r) for r in rows]}


def create_subscription(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """A subscription for the caller; an admin may subscribe a role (``for_role``) or an outside system
    (``for_system: true``, the public view)."""
    flt = rules.parse_filter(body, levels(ctx))
    mode = rules.parse_mode(body.get("mode"))
    for_role, for_system = body.get("for_role"), body.get("for_system", False)
    if not isinstance(for_system, bool):
        raise ValidationFailed("for_system must be true or false", field="for_system")
    if for_role is not None and for_role not in ROLES:
        raise ValidationFailed(f"for_role must be one of {', '.join(ROLES)}", field="for_role")
    if (for_role is not None or for_system) and not _admin(ctx):
        raise Forbidden("only an admin may subscribe a role or an outside system",
                        field="for_role" if for_role is not None else "for_system")
    if for_role is not None and for_system:
        raise ValidationFailed("a subscription is for a role or for an outside system, not both", field="for_role")
    owner_id = None if (for_role is not None or for_system) else ctx.actor.id
    with ctx.transaction() as unit:
        endpoint = _own_endpoint(ctx, unit.session, body.get("endpoint_id"))
        row = store.add_subscription(unit.session, owner_id=owner_id, owner_role=for_role, endpoint_id=endpoint.id,
                                     areas=list(flt.areas), topics=list(flt.topics), kinds=list(flt.kinds),
                                     hazards=list(flt.hazards), min_level=flt.min_level, mode=mode,
                                     created_by=ctx.actor.id, now=unit.now)
        unit.audit("subscription.create", "subscription", row.id, detail=flt.as_dict() | {"mode": mode})
        return {"subscription": subscription_view(row)}


def list_subscriptions(ctx: Context) -> dict[str, Any]:
    return visible_subscriptions(ctx, store.subscriptions, subscription_view)


def visible_subscriptions(ctx: Context, rows_of: Callable[..., Iterable[Any]],
                          view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """The active subscriptions ``rows_of(session, owner_id=…)`` gives: all of them to an admin, else the
    caller's own, each as ``view`` shows it."""
    with ctx.reading() as session:
        rows = rows_of(session, owner_id=None if _admin(ctx) else ctx.actor.id)
        return {"subscriptions": [view(r) for r in rows]}


def delete_subscription(ctx: Context, subscription_id: int) -> dict[str, Any]:
    with ctx.transaction() as unit:
        row = store.subscription(unit.session, subscription_id)
        mine = row is not None and ctx.actor.id is not None and ctx.actor.id in (row.owner_id, row.created_by)
        if row is None or not row.active or not (mine or _admin(ctx)):
            raise NotFound(f"no subscription {subscription_id}", field="id")
        store.deactivate_subscription(unit.session, subscription_id)
        unit.audit("subscription.delete", "subscription", subscription_id)
        return {"subscription": subscription_view(row) | {"active": False}}


def endpoint_deliveries(ctx: Context, endpoint_id: int, *, status: str | None, offset: int,
                        limit: int) -> dict[str, Any]:
    """The endpoint's delivery log, newest first (``status=dead``: its dead letters)."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(DELIVERY_STATUSES)}", field="status")
    with ctx.reading() as session:
        _own_endpoint(ctx, session, endpoint_id)
        page = store.deliveries(session, endpoint_id, status=status, offset=offset, limit=limit)
        attempts = store.attempts_of(session, [r.id for r in page.rows])
        return {"deliveries": [delivery_view(r, attempts[r.id]) for r in page.rows], "total": page.total,
                "next_offset": page.next_offset}


def replay(ctx: Context, delivery_id: int) -> dict[str, Any]:
    """A dead delivery sent again under its own webhook-id; its endpoint is enabled again if it was disabled."""
    with ctx.transaction() as unit:
        row = store.delivery(unit.session, delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}", field="id")
        _own_endpoint(ctx, unit.session, row.endpoint_id)
        if not store.replay(unit.session, delivery_id, now=unit.now):
            raise ValidationFailed(f"delivery {delivery_id} is {row.status}; only a dead one is replayed",
                                   field="id")
        store.set_endpoint_enabled(unit.session, row.endpoint_id, True, None)
        unit.audit("webhook.replay", "webhook_delivery", delivery_id, detail={"webhook_id": row.webhook_id})
        unit.session.refresh(row)
        return {"delivery": delivery_view(row, [])}


# --- fan-out ---------------------------------------------------------------------------

def _subscriber(target: Mapping[str, Any]) -> rules.Subscription:
    return rules.Subscription(
        id=target["id"], endpoint_id=target["endpoint_id"], mode=DeliveryMode(target["mode"]),
        audience=audience_of(target["role"]),
        filter=rules.Filter(areas=tuple(target["areas"]), topics=tuple(target["topics"]),
                            kinds=tuple(target["kinds"]), min_level=target["min_level"],
                            hazards=tuple(target.get("hazards") or ())))


def fan_out(ctx: Context, *, limit: int | None = None) -> dict[str, int]:
    """One batch of outbox events fanned out to matching subscriptions, in one transaction.

    ``events`` read, ``deliveries`` made, ``folded`` into untried ones; ``events`` 0 means caught up. The
    deliveries a batch makes are written together; an event may fold into one made earlier in the batch.
    """
    fig = figures(ctx)
    order = levels(ctx)
    tz = time_zone(ctx.settings.get("TIMEZONE"))   # a daily digest is a day of RELIEF_TIMEZONE
    with ctx.transaction() as unit:
        session, now = unit.session, unit.now
        since = store.lock_cursor(session)
        events = store.events_after(session, since, limit or fig.fan_out_batch)
        if not events:
            return {"events": 0, "deliveries": 0, "folded": 0, "cursor": since}
        targets = [_subscriber(t) for t in store.fan_out_targets(session)]
        plan = [(event, sub, rules.fold_key(event, sub.mode, now, tz))
                for event in events for sub in rules.recipients(targets, event, order)]
        reach = max((_fold_reach(sub.mode, fig) for _, sub, key in plan if key is not None), default=timedelta(0))
        stored = store.held(session, {key for _, _, key in plan if key is not None}, now - reach)
        held: dict[tuple[int, str], list[rules.Held]] = {
            pair: [rules.Held(h["id"], h["created_at"], h["due_at"], h["tried"], h["events"]) for h in rows]
            for pair, rows in stored.items()}
        new: list[dict[str, Any]] = []            # deliveries made in this batch; Held ids are -(index + 1)
        folded_into: dict[int, list[dict[str, Any]]] = {}
        for event, sub, key in plan:
            mine = held.get((sub.id, key), []) if key is not None else []
            window = [h for h in mine if now - h.created_at < _fold_reach(sub.mode, fig)]
            spot = rules.place(sub.mode, key, now, window, fig, tz)
            if spot.fold_into is None:
                new.append({"webhook_id": "msg_" + secrets.token_hex(16), "subscription_id": sub.id,
                            "endpoint_id": sub.endpoint_id, "fold_key": key, "events": [event],
                            "due_at": spot.due_at})
                if key is not None:
                    held.setdefault((sub.id, key), []).append(rules.Held(-len(new), now, spot.due_at, False, 1))
            elif spot.fold_into < 0:
                new[-spot.fold_into - 1]["events"].append(event)
                _count(held[(sub.id, key)], spot.fold_into)
            else:
                folded_into.setdefault(spot.fold_into, []).append({"subscription_id": sub.id, "event": event})
                _count(held[(sub.id, key)], spot.fold_into)
        store.add_deliveries(session, new, now=now)
        for delivery_id, items in folded_into.items():
            store.fold_into(session, delivery_id, items[0]["subscription_id"], [i["event"] for i in items])
        store.set_cursor(session, events[-1]["seq"])
    folded = sum(len(r["events"]) - 1 for r in new) + sum(len(v) for v in folded_into.values())
    return {"events": len(events), "deliveries": len(new), "folded": folded, "cursor": events[-1]["seq"]}


def _count(held: list[rules.Held], delivery_id: int) -> None:
    """One more event in a held delivery (so a digest's cap on events is kept within a batch too)."""
    for n, h in enumerate(held):
        if h.id == delivery_id:
            held[n] = replace(h, events=h.events + 1)


def _fold_reach(mode: DeliveryMode, fig: rules.Figures) -> timedelta:
    """How far back a delivery may still take an event: the fold window, or a digest's whole period."""
    return fig.fold_window if mode is DeliveryMode.IMMEDIATE else timedelta(days=1, hours=1)


# --- delivery --------------------------------------------------------------------------

def requests_sender(session: Any = None) -> Sender:
    """Posts with ``requests`` (a connection pool per thread); redirects are not followed (SSRF)."""
    import threading

    import requests

    local = threading.local()

    def send(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        http = session or getattr(local, "http", None)
        if http is None:
            http = local.http = requests.Session()
            # No proxies or .netrc from the environment: the SSRF rule judged this host, not a proxy's view of
            # it (and reading them on every request costs more than the signing).
            http.trust_env = False
        try:
            return http.post(url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False).status_code
        except requests.RequestException as error:
            raise ConnectionError(f"{type(error).__name__}: {error}") from None

    return send


def signed_request(secret: str, webhook_id: str, at: datetime,
                   message: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and the three Standard Webhooks headers (the signature covers id, timestamp and body)."""
    from standardwebhooks import Webhook

    text = json.dumps(jsonable(message), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    signature = Webhook(secret).sign(webhook_id, at, text)
    return text.encode(), {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp())),
                           "webhook-signature": signature, "content-type": "application/json"}


@dataclass
class Outcome:
    """What one :func:`deliver_due` call did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: list[int] = field(default_factory=list)


@dataclass
class _Result:
    item: Mapping[str, Any]
    at: datetime
    done: datetime
    code: int | None
    error: str | None
    milliseconds: int


def deliver_due(ctx: Context, holder: str, *, send: Sender, limit: int = 100, rng: random.Random | None = None,
                resolve: rules.Resolver = system_resolve, wall: Wall = wall_now, parallel: int = 1) -> Outcome:
    """Claim due deliveries, post them, then record every outcome in one transaction.

    Each subscription's claimed run is posted in order and stops at its first failure (the rest are given
    back untried); up to ``parallel`` subscriptions are posted at once. A process killed before the record
    loses only the record: the rows are posted again, under the same ``webhook-id``, once the lease lapses.
    """
    fig = figures(ctx)
    rng = rng or random.Random()
    now = ctx.now()
    with ctx.transaction() as unit:
        claimed = store.claim_due(unit.session, holder, now=now, lease_until=now + timedelta(seconds=fig.lease_seconds),
                                  limit=limit)
    outcome = Outcome(claimed=len(claimed))
    if not claimed:
        return outcome
    keys = {token: decrypt_secret(ctx, token) for token in {item["secret_encrypted"] for item in claimed}}
    runs: dict[int, list[Mapping[str, Any]]] = {}
    for item in claimed:
        runs.setdefault(item["subscription_id"], []).append(item)

    def post_run(run: list[Mapping[str, Any]]) -> tuple[list[_Result], list[int]]:
        results: list[_Result] = []
        for n, item in enumerate(run):
            result = _post(ctx, item, keys[item["secret_encrypted"]], send, fig, resolve, wall)
            results.append(result)
            if result.error is not None:
                return results, [later["id"] for later in run[n + 1:]]
        return results, []

    if parallel > 1 and len(runs) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(parallel, len(runs))) as pool:
            done = list(pool.map(post_run, runs.values()))
    else:
        done = [post_run(run) for run in runs.values()]
    with ctx.transaction() as unit:
        results = [r for run_results, _ in done for r in run_results]
        store.record_attempts(unit.session, [
            {"delivery_id": r.item["id"], "endpoint_id": r.item["endpoint_id"], "at": r.at, "worker": holder,
             "response_code": r.code, "error": r.error, "milliseconds": r.milliseconds} for r in results])
        by_code: dict[int | None, list[int]] = {}
        for r in results:
            if r.error is None:
                by_code.setdefault(r.code, []).append(r.item["id"])
        for code, ids in by_code.items():
            store.mark_delivered(unit.session, ids, now=ctx.now(), response_code=code)
            outcome.delivered += len(ids)
        store.endpoints_succeeded(unit.session, [r.item["endpoint_id"] for r in results if r.error is None])
        for r in results:
            if r.error is not None:
                _record_failure(unit, r, fig, rng, outcome)
        store.release(unit.session, [i for _, held_back in done for i in held_back], holder)
    return outcome


def _post(ctx: Context, item: Mapping[str, Any], secret: str, send: Sender, fig: rules.Figures,
          resolve: rules.Resolver, wall: Wall) -> _Result:
    """One signed POST; never raises for what the endpoint or the network did."""
    mode = DeliveryMode(item["mode"])
    code: int | None = None
    error: str | None = None
    started = time.perf_counter()
    at = ctx.now()
    try:
        rules.check_url(item["url"], resolve,
                        allowed_hosts=[rules.host_of(item["url"])] if item["private_host_allowed"] else ())
        body, headers = signed_request(secret, item["webhook_id"], wall(),
                                       rules.message(item["events"], mode, item["fold_key"]))
        code = send(item["url"], body, headers, fig.request_timeout_seconds)
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except ValidationFailed as refused:
        error = f"refused: {refused.message}"
    except (ConnectionError, OSError, TimeoutError) as failure:
        error = str(failure) or type(failure).__name__
    return _Result(item, at, ctx.now(), code, error, round((time.perf_counter() - started) * 1000))


def _record_failure(unit: Any, result: _Result, fig: rules.Figures, rng: random.Random, outcome: Outcome) -> None:
    item, session = result.item, unit.session
    retry_at = rules.next_attempt_at(fig, item["attempts"] + 1, result.done, rng)
    store.mark_failed(session, item["id"], next_attempt_at=retry_at, response_code=result.code, error=result.error)
    outcome.failed += 1
    outcome.dead += retry_at is None
    endpoint = store.endpoint_failed(session, item["endpoint_id"], result.done)
    if rules.should_disable(fig, endpoint.consecutive_failures, endpoint.failing_since, result.done):
        reason = f"{endpoint.consecutive_failures} failures in a row since {moment(endpoint.failing_since)}"
        if store.set_endpoint_enabled(session, endpoint.id, False, reason[:200]):
            outcome.disabled.append(endpoint.id)
            unit.audit("webhook.endpoint_disable", "webhook_endpoint", endpoint.id, reason=reason)
            unit.emit(DISABLED_KIND, WebhookTopic.WEBHOOKS,
                      {"endpoint_id": endpoint.id, "owner_id": endpoint.owner_id, "reason": reason,
                       "last_error": result.error},
                      audience=Audience.STAFF)


def fan_out_until_caught_up(batch: Callable[[], Mapping[str, int]], names: Iterable[str]) -> dict[str, int]:
    """Run fan-out batches until one finds no events; the sums of their ``names`` figures."""
    fanned = dict.fromkeys(names, 0)
    while True:
        done = batch()
        for name in fanned:
            fanned[name] += done[name]
        if done["events"] == 0:
            return fanned


def run_once(ctx: Context, holder: str, *, send: Sender, limit: int = 100, rng: random.Random | None = None,
             resolve: rules.Resolver = system_resolve, wall: Wall = wall_now, parallel: int = 1) -> dict[str, Any]:
    """Fan out until caught up, then deliver one round of due deliveries."""
    fanned = fan_out_until_caught_up(lambda: fan_out(ctx), ("events", "deliveries", "folded"))
    outcome = deliver_due(ctx, holder, send=send, limit=limit, rng=rng, resolve=resolve, wall=wall,
                          parallel=parallel)
    return {"fanned_out": fanned, "claimed": outcome.claimed, "delivered": outcome.delivered,
            "failed": outcome.failed, "dead": outcome.dead, "disabled": outcome.disabled}
