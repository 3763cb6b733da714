"""SMS notifications: phone numbers, message texts, and the per-number daily quota.

A subscription by SMS has the same filter and mode as a webhook subscription
(:mod:`relief.domain.subscriptions`: ``matches``, ``visible_to``, ``fold_key``,
``place``); what differs is the medium. A message is short Chinese text, one
70-character segment where possible, composed from the event alone: for a
public subscriber only from fields the public view carries (kind, place,
level, status), never an incident's free title, so no household name reaches
a public phone.

Each number receives at most ``daily_quota_per_number`` messages per day of
the configured zone. One of them is kept for the previous day's overflow: the
events that found the day full are folded into one overflow message, sent at
the start of the next day, saying how many more there were and of which
topics. Nothing is dropped and no day holds more than the quota.

Everything here is pure: figures come in as :class:`Figures`, area names as a
mapping, the zone as a ``tzinfo``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Mapping, Sequence

from relief.domain.subscriptions import section_figures
from relief.domain.vocabulary import DeliveryMode
from relief.errors import ValidationFailed

PHONE = re.compile(r"1[3-9]\d{9}")
_SEPARATORS = re.compile(r"[\s-]")


@dataclass(frozen=True)
class Figures:
    """The ``sms`` section of the standards document, checked."""

    daily_quota_per_number: int
    segment_chars: int
    signature: str
    place_chars: int
    lease_seconds: float
    first_retry_seconds: float
    backoff_factor: float
    max_attempts: int
    fan_out_batch: int

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> "Figures":
        figures = section_figures(cls, section, "sms")
        if figures.daily_quota_per_number < 2:
            raise ValidationFailed("sms: daily_quota_per_number must be at least 2 (one is kept for the overflow)",
                                   field="sms")
        if figures.segment_chars < 20 or len(figures.signature) >= figures.segment_chars // 2:
            raise ValidationFailed("sms: segment_chars must be at least 20 and the signature under half of it",
                                   field="sms")
        if figures.max_attempts < 1 or figures.backoff_factor < 1 or figures.place_chars < 2:
            raise ValidationFailed("sms: max_attempts ≥ 1, backoff_factor ≥ 1, place_chars ≥ 2", field="sms")
        return figures


# --- phone numbers ---------------------------------------------------------------

def parse_phone(value: Any) -> str:
    """A mainland China mobile number (``1[3-9]`` and nine digits), spaces, dashes and a ``+86`` taken off."""
    if not isinstance(value, str) or len(value) > 32:
        raise ValidationFailed("phone must be a mobile number such as 13800138000", field="phone")
    number = _SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix):]
    if not PHONE.fullmatch(number):
        raise ValidationFailed("phone must be a mainland mobile number: 11 digits starting 13 to 19", field="phone")
    return number


def mask_phone(number: str) -> str:
    """``138****8000``: enough to recognise one's own number, not to dial it."""
    return number[:3] + "*" * max(len(number) - 7, 0) + number[-4:] if len(number) > 7 else "*" * len(number)


# --- the day and the quota -----------------------------------------------------------

def quota_day(at: datetime, zone: tzinfo) -> date:
    """The day of the zone a moment falls on (quotas count per local day)."""
    return at.astimezone(zone).date()


def day_start(day: date, zone: tzinfo) -> datetime:
    """The first moment of ``day`` in the zone, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=zone)


@dataclass(frozen=True)
class Slot:
    """Where a new message goes: its own message (counted on ``day``), or the overflow of ``day``."""

    overflow: bool
    day: date
    due_at: datetime


def slot(due_at: datetime, counted: int, figures: Figures, zone: tzinfo) -> Slot:
    """A new message due at ``due_at``, when ``counted`` regular messages already fall on its day.

    A day takes ``quota - 1`` regular messages; the one left is the previous day's overflow. Beyond them the
    message becomes part of its day's overflow, which goes out at the start of the next day.
    """
    day = quota_day(due_at, zone)
    if counted < figures.daily_quota_per_number - 1:
        return Slot(False, day, due_at)
    return Slot(True, day, overflow_due_at(day, zone))


def overflow_due_at(day: date, zone: tzinfo) -> datetime:
    """When a day's overflow goes out: the first moment of the next day (it counts on that day)."""
    return day_start(day + timedelta(days=1), zone)


# --- texts ---------------------------------------------------------------------------

KIND_NAMES = {
    "landslide": "山体滑坡", "collapse": "崩塌", "debris_flow": "泥石流", "flood": "洪涝", "snow_ice": "雪灾冰冻",
    "hail": "冰雹", "earthquake": "地震", "drought": "干旱", "other": "灾情",
}
STATUS_NAMES = {
    "reported": "已报告", "verifying": "核实中", "verified": "已核实", "responding": "已响应", "stabilised": "已稳定",
    "closed": "已结束", "rejected": "已排除", "duplicate": "重复上报",
}
TOPIC_NAMES = {
    "incidents": "灾情", "reports": "报告", "sites": "安置点", "stock": "物资", "guarantees": "保障",
    "dispatch": "调运", "areas": "区划", "households": "住户", "reconstruction": "重建", "assistance": "救助",
    "aid": "救助链", "webhooks": "推送",
}
#: Stock items that are drinking water (``stock.changed`` at a site: its water running low).
WATER_ITEMS = ("water", "bottled_water", "drinking_water")
ELLIPSIS = "…"


def props_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = event.get("payload") or {}
    if not isinstance(payload, Mapping):
        return {}
    for key in ("properties", "feature"):
        inner = payload.get(key)
        if isinstance(inner, Mapping):
            nested = inner.get("properties")
            return nested if isinstance(nested, Mapping) else inner
    return payload


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, an ellipsis marking a cut (its end kept when it names the
    kind of place: 乡, 镇, 村, 街道, 安置点 …)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return text[:limit]
    for suffix in ("街道办事处", "街道", "安置点", "社区", "乡", "镇", "村", "县", "市"):
        if text.endswith(suffix) and len(suffix) + 2 <= limit:
            head = limit - len(suffix) - 1
            return text[:head] + ELLIPSIS + suffix
    return text[:limit - 1] + ELLIPSIS


def place_of(event: Mapping[str, Any], names: Mapping[str, str], figures: Figures) -> str:
    """The most local named place of the event (township, else county), shortened to ``place_chars``."""
    props = props_of(event)
    for code in (props.get("township_code"), props.get("village_code"), props.get("county_code"),
                 event.get("area_code")):
        if isinstance(code, str) and code in names:
            return shorten(names[code], figures.place_chars)
    return ""


def _level(props: Mapping[str, Any]) -> str:
    level = props.get("response_level")
    return f"，{level}级响应" if isinstance(level, str) and level else ""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    return f"{value:g}"


def event_line(event: Mapping[str, Any], *, staff: bool, names: Mapping[str, str], figures: Figures) -> str:
    """One event as a short Chinese sentence, without the signature.

    A public subscriber's text is built from the kind, place, status and level only; a staff subscriber's
    may add the incident's title where space allows.
    """
    kind = str(event.get("kind") or "")
    props = props_of(event)
    payload = event.get("payload") if isinstance(event.get("payload"), Mapping) else {}
    place = place_of(event, names, figures)
    hazard = KIND_NAMES.get(str(props.get("kind")), "灾情")
    incident = f"#{props['id']}" if isinstance(props.get("id"), int) else ""
    changed = payload.get("changed") if isinstance(payload.get("changed"), Mapping) else {}
    if kind == "incident.transitioned":
        status = (changed.get("status") or {}).get("to") if isinstance(changed.get("status"), Mapping) else None
        status = status or props.get("status")
        line = f"{place}{hazard}{incident}{STATUS_NAMES.get(str(status), '状态变更')}{_level(props)}"
    elif kind == "incident.created":
        line = f"{place}报告{hazard}{incident}{_level(props)}"
    elif kind == "incident.level_changed":
        line = f"{place}{hazard}{incident}响应级别调整{_level(props)}"
    elif kind == "report.added":
        report = payload.get("report") or changed.get("report") or {}
        statutory = isinstance(report, Mapping) and report.get("type") not in (None, "field")
        line = f"{place}{hazard}{incident}{'报送' if statutory else '新增现场'}报告"
    elif kind == "report.overdue":
        line = f"{place}{hazard}{incident}报告逾期未报"
    elif kind == "stock.changed" and str(props.get("item_code")) in WATER_ITEMS:
        holder = props.get("holder_kind")
        where = "安置点" if holder == "site" else "仓库"
        who = names.get(f"{holder}:{props.get('holder_id')}") or str(props.get("holder_id") or "")
        if who.endswith(where):
            where = ""  # 「…临时安置点」 says it already
        line = f"{where}{shorten(who, figures.place_chars)}饮用水余{_number(props.get('quantity'))}"
    elif kind == "site.occupancy_changed":
        site = props.get("name") if isinstance(props.get("name"), str) else str(payload.get("site_id") or "")
        line = f"安置点{shorten(site, figures.place_chars)}安置{_number(props.get('occupants'))}人"
    else:
        line = f"{place}{TOPIC_NAMES.get(str(event.get('topic')), '')}通知：{kind}"
    title = props.get("title")
    if staff and isinstance(title, str) and title.strip() and kind.startswith(("incident.", "report.")):
        room = figures.segment_chars - len(figures.signature) - len(line) - 3
        if room >= 4:
            line = f"{line}（{shorten(title, room)}）"
    return line


def _fit(figures: Figures, body: str) -> str:
    """Signature and body in one segment: the body is cut, never the signature."""
    return figures.signature + shorten(body, figures.segment_chars - len(figures.signature))


def topics_of(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The events' topics in Chinese, most frequent first (ties in first-seen order)."""
    counts: dict[str, int] = {}
    for e in events:
        name = TOPIC_NAMES.get(str(e.get("topic")), str(e.get("topic") or "其他"))
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda n: -counts[n])


def compose(events: Sequence[Mapping[str, Any]], *, kind: str, mode: DeliveryMode, staff: bool,
            names: Mapping[str, str], figures: Figures, day: date | None = None) -> str:
    """The text of one message: an event (the latest of folded amendments), a digest, or a day's overflow."""
    if not events:
        raise ValueError("a message carries at least one event")
    if kind == "overflow":
        when = f"{day.month}月{day.day}日" if day is not None else "昨日"
        return _fit(figures, f"{when}另有{len(events)}条通知超出每日条数未发，涉及：{'、'.join(topics_of(events))}。"
                             "详见平台")
    if kind == "digest":
        period = "过去一小时" if mode is DeliveryMode.HOURLY else "过去一天"
        first = event_line(events[-1], staff=staff, names=names, figures=figures)
        if len(events) == 1:
            return _fit(figures, f"{period}1条：{first}")
        return _fit(figures, f"{period}{len(events)}条（{'、'.join(topics_of(events))}），最新：{first}")
    line = event_line(events[-1], staff=staff, names=names, figures=figures)
    if len(events) > 1:
        line = f"{line}（含{len(events) - 1}条更新）"
    return _fit(figures, line)


def segments(text: str, figures: Figures) -> int:
    """How many segments a text is sent in (a long message is split into parts of 67 characters)."""
    if len(text) <= figures.segment_chars:
        return 1
    part = figures.segment_chars - 3
    return -(-len(text) // part)


# --- retries -------------------------------------------------------------------------

def retry_at(figures: Figures, attempts: int, now: datetime) -> datetime | None:
    """When to try a failed message again after ``attempts`` failures; None once it is given up."""
    if attempts >= figures.max_attempts:
        return None
    return now + timedelta(seconds=figures.first_retry_seconds * figures.backoff_factor ** (attempts - 1))


# --- receipts ------------------------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    gateway_id: str
    status: str
    error: str | None


def parse_receipts(body: Mapping[str, Any], statuses: Sequence[str]) -> list[Receipt]:
    """``{"message_id", "status", "error"?}`` or ``{"receipts": [those]}`` (at most 500)."""
    items = body.get("receipts") if "receipts" in body else [body]
    if not isinstance(items, list) or not 0 < len(items) <= 500:
        raise ValidationFailed("receipts must be a list of 1 to 500 receipts", field="receipts")
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValidationFailed("each receipt must be an object", field="receipts")
        gateway_id = item.get("message_id")
        if not isinstance(gateway_id, str) or not 0 < len(gateway_id) <= 120:
            raise ValidationFailed("message_id must be the gateway's message id (1 to 120 characters)",
                                   field="message_id")
        status = item.get("status")
        if status not in statuses:
            raise ValidationFailed(f"status must be one of {', '.join(statuses)}", field="status")
        error = item.get("error")
        if error is not None and not isinstance(error, str):
            raise ValidationFailed("error must be text", field="error")
        out.append(Receipt(gateway_id, status, None if error is None else error[:500]))
    return out
