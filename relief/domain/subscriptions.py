"""Who is told of which event, when, and how often a failed webhook is tried again.

A subscription's filter is the AND of its parts (area, topic, event kind,
incident kind (hazard), minimum response level); an empty part places no
condition. Amendments to
one incident within a window fold into one notification; digests fold a
whole hour (UTC) or a whole local day (of the configured zone, sent the next
morning at ``daily_digest_hour``). A subscriber only ever receives what its audience may
see (:mod:`relief.domain.audience`): a public subscriber gets public events
only, never one naming a household. Webhook URLs pass the SSRF rule before
they are stored and again before each delivery.

Everything here is pure: figures come in as :class:`Figures`, name
resolution and randomness are passed in.
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar
from urllib.parse import urlsplit

from relief.domain.audience import Audience, received_by
from relief.domain.vocabulary import INCIDENT_KINDS, SUBSCRIPTION_TOPICS, DeliveryMode, Topic
from relief.errors import ValidationFailed

#: Resolves a host name to its addresses (``socket.getaddrinfo`` in production, a dict in tests).
Resolver = Callable[[str], Iterable[str]]

MAX_FILTER_ITEMS = 200
MAX_URL_LENGTH = 2000


_F = TypeVar("_F")


def section_figures(cls: type[_F], section: Mapping[str, Any], name: str) -> _F:
    """The dataclass ``cls`` built from its fields' figures in the standards section ``name``; a missing one
    is named in the error."""
    try:
        return cls(**{key: section[key] for key in cls.__dataclass_fields__})  # type: ignore[attr-defined]
    except KeyError as missing:
        raise ValidationFailed(f"the {name} standards lack {missing.args[0]!r}", field=name) from None


@dataclass(frozen=True)
class Figures:
    """The ``webhooks`` section of the standards document, checked."""

    first_retry_seconds: float
    backoff_factor: float
    max_retry_interval_seconds: float
    jitter: float
    min_retry_hours: float
    max_attempts: int
    disable_after_failures: int
    disable_after_hours: float
    lease_seconds: float
    request_timeout_seconds: float
    fold_window_minutes: float
    digest_max_events: int
    fan_out_batch: int
    #: The local hour (of ``RELIEF_TIMEZONE``) a daily digest goes out, the morning after its day.
    daily_digest_hour: int

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> "Figures":
        figures = section_figures(cls, section, "webhooks")
        hour = figures.daily_digest_hour
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            raise ValidationFailed("webhooks: daily_digest_hour must be a whole hour from 0 to 23", field="webhooks")
        if not 0 <= figures.jitter < 1 or figures.backoff_factor < 1 or figures.max_attempts < 2:
            raise ValidationFailed("webhooks: jitter must be in [0, 1), backoff_factor ≥ 1, max_attempts ≥ 2",
                                   field="webhooks")
        if shortest_retry_span(figures) < timedelta(hours=figures.min_retry_hours):
            raise ValidationFailed(f"webhooks: the retries must span at least {figures.min_retry_hours:g} hours "
                                   "before a delivery is dead-lettered", field="webhooks")
        return figures

    @property
    def fold_window(self) -> timedelta:
        return timedelta(minutes=self.fold_window_minutes)


# --- retries -----------------------------------------------------------------

def retry_interval(figures: Figures, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt, before jitter: exponential, capped."""
    return min(figures.first_retry_seconds * figures.backoff_factor ** (attempts - 1),
               figures.max_retry_interval_seconds)


def next_attempt_at(figures: Figures, attempts: int, now: datetime, rng: random.Random) -> datetime | None:
    """When to try again after ``attempts`` failed attempts, with ±jitter; None once the delivery is dead."""
    if attempts >= figures.max_attempts:
        return None
    spread = 1 + figures.jitter * (2 * rng.random() - 1)
    return now + timedelta(seconds=retry_interval(figures, attempts) * spread)


def shortest_retry_span(figures: Figures) -> timedelta:
    """The least time from the first attempt to the last, every jitter drawn at its lowest."""
    seconds = sum(retry_interval(figures, n) for n in range(1, figures.max_attempts))
    return timedelta(seconds=seconds * (1 - figures.jitter))


def should_disable(figures: Figures, consecutive_failures: int, failing_since: datetime | None,
                   now: datetime) -> bool:
    """An endpoint is disabled after N failures in a row that have also lasted the set hours.

    Both conditions: many subscriptions on one endpoint fail together within seconds of an outage, and a
    receiver down for ten minutes must get everything afterwards, not be switched off.
    """
    return (consecutive_failures >= figures.disable_after_failures and failing_since is not None
            and now - failing_since >= timedelta(hours=figures.disable_after_hours))


# --- the filter ----------------------------------------------------------------

@dataclass(frozen=True)
class Filter:
    """area ∩ topic ∩ kind ∩ hazard ∩ minimum level; an empty part is no condition.

    ``hazards`` are incident kinds (landslide, flood, …): an event carrying no incident kind matches no
    filter that names some.
    """

    areas: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    min_level: str | None = None
    hazards: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"areas": list(self.areas), "topics": list(self.topics), "kinds": list(self.kinds),
                "hazards": list(self.hazards), "min_level": self.min_level}


@dataclass(frozen=True)
class Subscription:
    """What the fan-out needs of a stored subscription: its filter, mode and the audience of its owner."""

    id: int
    filter: Filter
    mode: DeliveryMode
    audience: Audience
    endpoint_id: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _words(body: Mapping[str, Any], name: str, allowed: Sequence[str] | None, max_length: int,
           max_items: int = MAX_FILTER_ITEMS) -> tuple[str, ...]:
    raw = body.get(name) or []
    if isinstance(raw, str) or not isinstance(raw, list) or len(raw) > max_items:
        raise ValidationFailed(f"{name} must be a list of at most {max_items} strings", field=name)
    out = []
    for word in raw:
        if not isinstance(word, str) or not 0 < len(word) <= max_length:
            raise ValidationFailed(f"each of {name} must be a string of 1 to {max_length} characters", field=name)
        if allowed is not None and word not in allowed:
            raise ValidationFailed(f"unknown {name[:-1]} {word!r}; one of {', '.join(allowed)}", field=name)
        out.append(word)
    return tuple(sorted(set(out)))


def parse_filter(body: Mapping[str, Any], levels: Sequence[str]) -> Filter:
    """A filter from a request body; ``levels`` are the response levels, most severe first."""
    min_level = body.get("min_level")
    if min_level is not None and min_level not in levels:
        raise ValidationFailed(f"min_level must be one of {', '.join(levels)}", field="min_level")
    return Filter(areas=_words(body, "areas", None, 24), topics=_words(body, "topics", SUBSCRIPTION_TOPICS, 24),
                  kinds=_words(body, "kinds", None, 48), min_level=min_level,
                  hazards=_words(body, "hazards", INCIDENT_KINDS, 24, len(INCIDENT_KINDS)))


def parse_mode(value: Any) -> DeliveryMode:
    try:
        return DeliveryMode(value if value is not None else DeliveryMode.IMMEDIATE)
    except ValueError:
        raise ValidationFailed(f"mode must be one of {', '.join(DeliveryMode)}", field="mode") from None


def _properties(event: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = event.get("payload") or {}
    props = payload.get("properties") if isinstance(payload, Mapping) else None
    return props if isinstance(props, Mapping) else payload if isinstance(payload, Mapping) else {}


def event_areas(event: Mapping[str, Any]) -> set[str]:
    """Every area code an event is about: its outbox area and the county/township its payload names."""
    props = _properties(event)
    codes = {event.get("area_code"), props.get("county_code"), props.get("township_code")}
    return {c for c in codes if isinstance(c, str) and c}


def event_level(event: Mapping[str, Any]) -> str | None:
    level = _properties(event).get("response_level")
    return level if isinstance(level, str) else None


def event_hazard(event: Mapping[str, Any]) -> str | None:
    """The incident kind an incident or report event is about (its payload's ``kind``); None for other events."""
    if event.get("topic") not in (Topic.INCIDENTS, Topic.REPORTS):
        return None
    kind = _properties(event).get("kind")
    return kind if isinstance(kind, str) and kind in INCIDENT_KINDS else None


def at_least(level: str | None, minimum: str, levels: Sequence[str]) -> bool:
    """Whether ``level`` is ``minimum`` or more severe (``levels`` run from most severe); no level is below all."""
    return level in levels and levels.index(level) <= levels.index(minimum)


def matches(flt: Filter, event: Mapping[str, Any], levels: Sequence[str]) -> bool:
    """Every non-empty part must hold (AND): area, topic, kind, hazard and minimum level."""
    if flt.topics and event.get("topic") not in flt.topics:
        return False
    if flt.kinds and event.get("kind") not in flt.kinds:
        return False
    if flt.hazards and event_hazard(event) not in flt.hazards:
        return False
    if flt.areas and not event_areas(event) & set(flt.areas):
        return False
    if flt.min_level is not None and not at_least(event_level(event), flt.min_level, levels):
        return False
    return True


def visible_to(audience: Audience, event: Mapping[str, Any]) -> bool:
    """Whether a subscriber of ``audience`` may receive the event (the outbox's ``public`` column)."""
    return Audience.of_row(event.get("public")) in received_by(staff=audience is Audience.STAFF)


def recipients(subscriptions: Iterable[Subscription], event: Mapping[str, Any],
               levels: Sequence[str]) -> list[Subscription]:
    """The subscriptions an event goes to: allowed to see it, and matched by their filter."""
    return [s for s in subscriptions if visible_to(s.audience, event) and matches(s.filter, event, levels)]


# --- folding and digests ------------------------------------------------------

def fold_key(event: Mapping[str, Any], mode: DeliveryMode, at: datetime,
             zone: tzinfo = timezone.utc) -> str | None:
    """What an event folds under: its digest period (a daily one a day of ``zone``), or for an immediate
    subscription the incident it amends.

    None: the event is its own notification.
    """
    if mode is not DeliveryMode.IMMEDIATE:
        return f"digest:{mode}:{digest_period_start(mode, at, zone).isoformat()}"
    if event.get("topic") not in (Topic.INCIDENTS, Topic.REPORTS):
        return None
    payload = event.get("payload") or {}
    incident = _properties(event).get("id", payload.get("id") if isinstance(payload, Mapping) else None)
    return None if incident is None else f"incident:{incident}"


def digest_period_start(mode: DeliveryMode, at: datetime, zone: tzinfo = timezone.utc) -> datetime:
    """The start (UTC) of the digest period holding ``at``: its UTC hour, or its day in ``zone``."""
    if mode is DeliveryMode.HOURLY:
        return at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    day = at.astimezone(zone).date()
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)


def digest_due_at(mode: DeliveryMode, at: datetime, zone: tzinfo = timezone.utc, hour: int = 0) -> datetime:
    """When the digest holding an event made at ``at`` goes out (UTC): the end of its hour, or for a daily
    digest ``hour`` o'clock in ``zone`` the morning after its local day."""
    if mode is DeliveryMode.HOURLY:
        return digest_period_start(mode, at) + timedelta(hours=1)
    day = at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class Held:
    """A delivery already made for this subscription and fold key: when it was made, whether it has been tried."""

    id: int
    created_at: datetime
    due_at: datetime
    tried: bool
    events: int


@dataclass(frozen=True)
class Placement:
    """Where an event goes: into an untried delivery (``fold_into``), or a new one due at ``due_at``."""

    fold_into: int | None
    due_at: datetime


def place(mode: DeliveryMode, key: str | None, at: datetime, held: Sequence[Held], figures: Figures,
          zone: tzinfo = timezone.utc) -> Placement:
    """Fold or not.

    Immediate: the first event of an incident goes out at once; amendments within the fold window after it
    wait for the window's end in one further notification (later ones join it while it is untried).
    Digests: every event of the period joins the period's one delivery, sent when the hour ends, or for a
    daily digest (a day of ``zone``) at ``daily_digest_hour`` the next morning.
    """
    if mode is not DeliveryMode.IMMEDIATE:
        for h in held:
            if not h.tried and h.events < figures.digest_max_events:
                return Placement(h.id, h.due_at)
        return Placement(None, max(digest_due_at(mode, at, zone, figures.daily_digest_hour), at))
    if key is None:
        return Placement(None, at)
    recent = [h for h in held if at - h.created_at < figures.fold_window]
    for h in recent:
        if not h.tried and h.events < figures.digest_max_events:
            return Placement(h.id, h.due_at)
    if not recent:
        return Placement(None, at)
    first = min(h.created_at for h in recent)
    return Placement(None, max(first + figures.fold_window, at))


def message(events: Sequence[Mapping[str, Any]], mode: DeliveryMode, key: str | None) -> dict[str, Any]:
    """The JSON body a delivery sends (Standard Webhooks shape: ``type``, ``timestamp``, ``data``).

    One event: its kind and payload. Folded amendments: the latest state, with every folded event's seq and kind.
    A digest: the events in order.
    """
    last = events[-1]
    folded = [{"seq": e.get("seq"), "kind": e.get("kind"), "at": e.get("at")} for e in events]
    if mode is not DeliveryMode.IMMEDIATE:
        return {"type": f"digest.{mode}", "timestamp": last.get("at"),
                "data": {"period": key, "events": [dict(e) for e in events]}}
    return {"type": last.get("kind"), "timestamp": last.get("at"),
            "data": {"seq": last.get("seq"), "topic": last.get("topic"), "area_code": last.get("area_code"),
                     "payload": last.get("payload"), "folded": folded if len(events) > 1 else []}}


# --- endpoint URLs (SSRF) -----------------------------------------------------

def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_loopback or address.is_link_local or address.is_private or address.is_multicast
            or address.is_reserved or address.is_unspecified or not address.is_global)


def host_of(url: str) -> str:
    """The URL's host in lower case ('' when it has none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def check_url(url: Any, resolve: Resolver, *, allowed_hosts: Iterable[str] = ()) -> str:
    """``url`` if a webhook may be sent to it, else :class:`ValidationFailed` naming ``url``.

    http(s) only, no credentials in it, and every address its host resolves to must be public, unless an
    admin allowed that host explicitly (a receiver on the command centre's own network).
    """
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_LENGTH:
        raise ValidationFailed(f"url must be an http(s) URL of at most {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises on a port out of range
    except ValueError:
        raise ValidationFailed("url is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("url must start with http:// or https:// and name a host", field="url")
    if parts.username or parts.password:
        raise ValidationFailed("url must not carry a user name or password", field="url")
    host = parts.hostname.lower()
    if host in {h.lower() for h in allowed_hosts}:
        return url
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host)]
        except (OSError, ValueError):
            raise ValidationFailed(f"url's host {host!r} does not resolve", field="url") from None
    if not addresses:
        raise ValidationFailed(f"url's host {host!r} does not resolve", field="url")
    bad = [str(a) for a in addresses if _refused(a)]
    if bad:
        raise ValidationFailed(f"url's host {host!r} resolves to a loopback, link-local or private address "
                               f"({', '.join(bad)}); an admin may allow this host explicitly", field="url")
    return url
