"""Subscription filters AND their parts; retries back off for a day; amendments fold; private hosts are refused."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from relief.domain import subscriptions as rules
from relief.domain.audience import Audience
from relief.domain.standards import Standards
from relief.domain.vocabulary import DeliveryMode, IncidentKind, Topic
from relief.errors import ValidationFailed

LEVELS = ["I", "II", "III", "IV"]
NOW = datetime(2026, 12, 2, 1, 30, tzinfo=timezone.utc)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIGURES = rules.Figures.of(Standards.bundled().webhooks)


def incident_event(seq=1, *, kind="incident.transitioned", county="422801", township="422801100",
                   level="III", incident=7, hazard=IncidentKind.LANDSLIDE, public=True):
    return {"seq": seq, "kind": kind, "topic": Topic.INCIDENTS, "area_code": county, "public": public,
            "at": NOW.isoformat(),
            "payload": {"type": "Feature", "properties": {"id": incident, "kind": hazard, "county_code": county,
                                                          "township_code": township, "response_level": level}}}


def flt(**parts):
    return rules.Filter(**{k: tuple(v) if isinstance(v, list) else v for k, v in parts.items()})


def test_an_empty_filter_takes_everything():
    assert rules.matches(rules.Filter(), incident_event(), LEVELS)
    assert rules.matches(rules.Filter(), {"seq": 1, "kind": "stock.changed", "topic": Topic.STOCK}, LEVELS)


def test_every_part_must_hold_not_any():
    township = flt(areas=["422801100"], topics=[Topic.INCIDENTS], kinds=["incident.transitioned"], min_level="III")
    assert rules.matches(township, incident_event(), LEVELS)
    # each part failing alone refuses the event, however well the others match (AND, never OR)
    assert not rules.matches(township, incident_event(township="422801200", county="422802"), LEVELS)
    assert not rules.matches(township, {**incident_event(), "topic": Topic.REPORTS}, LEVELS)
    assert not rules.matches(township, incident_event(kind="incident.created"), LEVELS)
    assert not rules.matches(township, incident_event(level="IV"), LEVELS)
    assert not rules.matches(township, incident_event(level=None), LEVELS)


def test_the_minimum_level_counts_more_severe_levels_in():
    at_least_two = flt(min_level="II")
    assert [rules.matches(at_least_two, incident_event(level=lv), LEVELS) for lv in LEVELS] == [
        True, True, False, False]


def test_the_area_matches_the_county_or_the_township():
    assert rules.matches(flt(areas=["422801"]), incident_event(), LEVELS)
    assert rules.matches(flt(areas=["422801100"]), incident_event(), LEVELS)
    assert not rules.matches(flt(areas=["422802"]), incident_event(), LEVELS)


def test_the_hazards_part_takes_only_events_of_those_incident_kinds():
    landslides = flt(hazards=[IncidentKind.LANDSLIDE, IncidentKind.DEBRIS_FLOW])
    assert rules.matches(landslides, incident_event(), LEVELS)
    assert rules.matches(landslides, incident_event(hazard=IncidentKind.DEBRIS_FLOW), LEVELS)
    assert not rules.matches(landslides, incident_event(hazard=IncidentKind.FLOOD), LEVELS)
    report = {**incident_event(), "kind": "report.added", "topic": Topic.REPORTS}
    assert rules.matches(landslides, report, LEVELS)
    # an event carrying no incident kind is not about a landslide
    assert not rules.matches(landslides, incident_event(hazard=None), LEVELS)
    assert not rules.matches(landslides, {"seq": 2, "kind": "stock.changed", "topic": Topic.STOCK,
                                          "payload": {"kind": "landslide"}}, LEVELS)
    # ANDed with the other parts, and no hazards at all is no condition
    township = flt(areas=["422801100"], hazards=[IncidentKind.LANDSLIDE])
    assert not rules.matches(township, incident_event(township="422801200", county="422802"), LEVELS)
    assert rules.matches(flt(hazards=[]), incident_event(hazard=IncidentKind.FLOOD), LEVELS)


def test_parse_filter_takes_hazards_of_the_vocabulary_only():
    parsed = rules.parse_filter({"hazards": ["flood", "landslide", "flood"]}, LEVELS)
    assert parsed.hazards == ("flood", "landslide")
    assert parsed.as_dict()["hazards"] == ["flood", "landslide"]
    assert rules.parse_filter({}, LEVELS).hazards == () == rules.parse_filter({"hazards": None}, LEVELS).hazards
    for bad in (["tornado"], "landslide", [7], ["landslide"] * (len(list(IncidentKind)) + 1)):
        with pytest.raises(ValidationFailed) as refused:
            rules.parse_filter({"hazards": bad}, LEVELS)
        assert refused.value.field == "hazards", bad


def test_a_public_subscriber_never_gets_a_staff_event():
    staff_event = {"seq": 3, "kind": "household.changed", "topic": Topic.HOUSEHOLDS, "public": False,
                   "payload": {"name": "张三"}}
    public = rules.Subscription(1, rules.Filter(), DeliveryMode.IMMEDIATE, Audience.PUBLIC)
    staff = rules.Subscription(2, rules.Filter(), DeliveryMode.IMMEDIATE, Audience.STAFF)
    assert rules.recipients([public, staff], staff_event, LEVELS) == [staff]
    assert rules.recipients([public, staff], incident_event(), LEVELS) == [public, staff]


def test_parse_filter_names_the_bad_field():
    with pytest.raises(ValidationFailed) as bad:
        rules.parse_filter({"topics": ["weather"]}, LEVELS)
    assert bad.value.field == "topics"
    with pytest.raises(ValidationFailed) as bad:
        rules.parse_filter({"min_level": "V"}, LEVELS)
    assert bad.value.field == "min_level"
    with pytest.raises(ValidationFailed) as bad:
        rules.parse_filter({"areas": "422801"}, LEVELS)
    assert bad.value.field == "areas"
    with pytest.raises(ValidationFailed) as bad:
        rules.parse_mode("weekly")
    assert bad.value.field == "mode"


# --- retries -----------------------------------------------------------------

def test_backoff_grows_with_jitter_and_spans_at_least_a_day_before_dead():
    rng = random.Random(1)
    waits, at = [], NOW
    for attempts in range(1, FIGURES.max_attempts):
        nxt = rules.next_attempt_at(FIGURES, attempts, at, rng)
        waits.append((nxt - at).total_seconds())
        at = nxt
    assert rules.next_attempt_at(FIGURES, FIGURES.max_attempts, at, rng) is None  # dead-lettered
    bases = [rules.retry_interval(FIGURES, n) for n in range(1, FIGURES.max_attempts)]
    assert bases == sorted(bases) and bases[0] == FIGURES.first_retry_seconds
    assert max(bases) == FIGURES.max_retry_interval_seconds
    for wait, base in zip(waits, bases):
        assert base * (1 - FIGURES.jitter) <= wait <= base * (1 + FIGURES.jitter)
    assert len({round(w / b, 6) for w, b in zip(waits, bases)}) > 1  # jittered, not fixed
    assert at - NOW >= timedelta(hours=24)
    assert rules.shortest_retry_span(FIGURES) >= timedelta(hours=24)


def test_a_schedule_shorter_than_a_day_is_refused():
    section = dict(Standards.bundled().webhooks, max_attempts=5)
    with pytest.raises(ValidationFailed) as bad:
        rules.Figures.of(section)
    assert bad.value.field == "webhooks"


def test_an_endpoint_is_disabled_only_after_many_failures_over_hours():
    n = FIGURES.disable_after_failures
    since = NOW - timedelta(hours=FIGURES.disable_after_hours)
    assert rules.should_disable(FIGURES, n, since, NOW)
    assert not rules.should_disable(FIGURES, n - 1, since, NOW)
    assert not rules.should_disable(FIGURES, n * 100, NOW - timedelta(minutes=10), NOW)  # a short outage


# --- folding -----------------------------------------------------------------

def test_amendments_to_one_incident_fold_into_one_notification():
    key = rules.fold_key(incident_event(), DeliveryMode.IMMEDIATE, NOW)
    assert key == "incident:7"
    first = rules.place(DeliveryMode.IMMEDIATE, key, NOW, [], FIGURES)
    assert first == rules.Placement(None, NOW)  # the first goes at once
    sent = rules.Held(1, NOW, NOW, tried=True, events=1)
    later = NOW + timedelta(minutes=2)
    second = rules.place(DeliveryMode.IMMEDIATE, key, later, [sent], FIGURES)
    assert second == rules.Placement(None, NOW + FIGURES.fold_window)  # held to the window's end
    waiting = rules.Held(2, later, second.due_at, tried=False, events=1)
    third = rules.place(DeliveryMode.IMMEDIATE, key, later + timedelta(minutes=1), [sent, waiting], FIGURES)
    assert third == rules.Placement(2, second.due_at)  # joins the waiting one
    after = rules.place(DeliveryMode.IMMEDIATE, key, NOW + FIGURES.fold_window + timedelta(seconds=1),
                        [], FIGURES)
    assert after.fold_into is None
    assert rules.fold_key(incident_event(incident=8), DeliveryMode.IMMEDIATE, NOW) != key
    assert rules.fold_key({"topic": Topic.STOCK, "payload": {}}, DeliveryMode.IMMEDIATE, NOW) is None


def test_a_digest_folds_its_period_and_goes_at_its_end():
    key = rules.fold_key(incident_event(), DeliveryMode.HOURLY, NOW)
    spot = rules.place(DeliveryMode.HOURLY, key, NOW, [], FIGURES)
    assert spot == rules.Placement(None, datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc))
    joined = rules.place(DeliveryMode.HOURLY, key, NOW, [rules.Held(5, NOW, spot.due_at, False, 3)], FIGURES)
    assert joined.fold_into == 5
    daily = rules.place(DeliveryMode.DAILY, rules.fold_key(incident_event(), DeliveryMode.DAILY, NOW, SHANGHAI),
                        NOW, [], FIGURES, SHANGHAI)
    assert daily.due_at == datetime(2026, 12, 3, 8, 0, tzinfo=SHANGHAI)


def test_a_daily_digest_gathers_a_local_day_and_goes_the_next_local_morning():
    assert FIGURES.daily_digest_hour == 8
    day = rules.fold_key(incident_event(), DeliveryMode.DAILY, NOW, SHANGHAI)   # 09:30 on 2 December in Beijing
    assert rules.digest_period_start(DeliveryMode.DAILY, NOW, SHANGHAI) == datetime(2026, 12, 2, tzinfo=SHANGHAI)
    # 07:30 the same local morning is the same day although it is 1 December in UTC; 00:30 local the next
    # night is the next day although it is still 2 December in UTC
    early, late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc), datetime(2026, 12, 2, 16, 30, tzinfo=timezone.utc)
    assert rules.fold_key(incident_event(), DeliveryMode.DAILY, early, SHANGHAI) == day
    assert rules.fold_key(incident_event(), DeliveryMode.DAILY, late, SHANGHAI) != day
    assert rules.digest_due_at(DeliveryMode.DAILY, early, SHANGHAI, 8) == datetime(2026, 12, 3, 8, tzinfo=SHANGHAI)
    assert rules.digest_due_at(DeliveryMode.DAILY, late, SHANGHAI, 8) == datetime(2026, 12, 4, 8, tzinfo=SHANGHAI)
    # west of Greenwich too; the hour is the zone's, and hourly digests keep to the UTC hour
    quito = timezone(timedelta(hours=-5))
    assert rules.digest_due_at(DeliveryMode.DAILY, NOW, quito, 6) == datetime(2026, 12, 2, 6, tzinfo=quito)
    assert rules.digest_due_at(DeliveryMode.HOURLY, NOW, SHANGHAI, 8) == datetime(2026, 12, 2, 2, tzinfo=timezone.utc)
    for hour in (24, -1, 7.5, "8", True):
        with pytest.raises(ValidationFailed) as refused:
            rules.Figures.of(dict(Standards.bundled().webhooks, daily_digest_hour=hour))
        assert refused.value.field == "webhooks"


def test_messages_carry_the_latest_state_and_what_was_folded():
    events = [incident_event(1, level="IV"), incident_event(2, level="III")]
    one = rules.message(events[:1], DeliveryMode.IMMEDIATE, "incident:7")
    assert one["type"] == "incident.transitioned" and one["data"]["seq"] == 1 and one["data"]["folded"] == []
    folded = rules.message(events, DeliveryMode.IMMEDIATE, "incident:7")
    assert folded["data"]["payload"]["properties"]["response_level"] == "III"
    assert [f["seq"] for f in folded["data"]["folded"]] == [1, 2]
    digest = rules.message(events, DeliveryMode.DAILY, "digest")
    assert digest["type"] == "digest.daily" and [e["seq"] for e in digest["data"]["events"]] == [1, 2]


# --- SSRF --------------------------------------------------------------------

def resolver(table):
    def resolve(host):
        if host not in table:
            raise OSError("no such host")
        return table[host]
    return resolve


@pytest.mark.parametrize("url, addresses", [
    ("http://localhost/hook", ["127.0.0.1"]),
    ("http://db.internal/hook", ["10.1.2.3"]),
    ("http://router/hook", ["192.168.1.1"]),
    ("http://meta/hook", ["169.254.169.254"]),
    ("http://six/hook", ["::1"]),
    ("http://mapped/hook", ["::ffff:127.0.0.1"]),
    ("http://split/hook", ["93.184.216.34", "172.16.0.9"]),  # one private address is enough to refuse
    ("http://127.0.0.1:8080/hook", []),
    ("http://[fe80::1]/hook", []),
    ("http://0.0.0.0/hook", []),
])
def test_private_loopback_and_link_local_hosts_are_refused(url, addresses):
    host = rules.host_of(url)
    with pytest.raises(ValidationFailed) as bad:
        rules.check_url(url, resolver({host: addresses}))
    assert bad.value.field == "url"


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://x", "http://", "no url",
                                 "http://user:pw@example.org/", 42, None, "http://example.org:99999/"])
def test_only_http_urls_with_a_host_are_taken(url):
    with pytest.raises(ValidationFailed) as bad:
        rules.check_url(url, resolver({"example.org": ["93.184.216.34"]}))
    assert bad.value.field == "url"


def test_public_hosts_pass_and_an_admin_may_allow_a_private_one():
    public = resolver({"hooks.example.org": ["93.184.216.34"], "relay.local": ["10.0.0.5"]})
    assert rules.check_url("https://hooks.example.org/in", public) == "https://hooks.example.org/in"
    assert rules.check_url("http://relay.local:9000/in", public, allowed_hosts=["relay.local"])
    with pytest.raises(ValidationFailed):
        rules.check_url("http://nowhere.example/in", public)  # does not resolve
