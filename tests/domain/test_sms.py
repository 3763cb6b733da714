"""SMS texts fit one segment on real event shapes; numbers are checked and masked; quotas fold by local day."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from relief.domain import sms
from relief.domain.standards import Standards
from relief.domain.vocabulary import DeliveryMode, SmsKind, Topic
from relief.errors import ValidationFailed

FIGURES = sms.Figures.of(Standards.bundled().document["sms"])
SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = {"422801": "恩施市", "422801101": "沙地乡", "422802": "利川市",
         "422802105": "谋道镇苏拉口村民委员会所在的很长的地名", "site:S1": "恩施市第一中学体育馆临时安置点"}


def incident_props(**extra):
    """The properties of an incident Feature as ``incident_json.incident_feature`` writes them."""
    return {"id": 17, "kind": "landslide", "title": "张三家后山滑坡，房屋受损", "description": "road blocked",
            "status": "verified", "county_code": "422801", "township_code": "422801101", "evacuate": True,
            "duplicate_of_id": None, "response_level": "III", "response_reason": [], "possible_duplicates": [],
            "occurred_at": "2026-12-02T06:00:00+00:00", "reported_at": "2026-12-02T06:05:00+00:00",
            "updated_at": "2026-12-02T07:00:00+00:00", "stabilised_at": None, "closed_at": None,
            "reported_by": 3, **extra}


def verified(**extra):
    return {"seq": 41, "kind": "incident.transitioned", "topic": Topic.INCIDENTS, "area_code": "422801",
            "public": True, "at": "2026-12-02T07:00:00+00:00",
            "payload": {"type": "Feature", "id": 17, "geometry": {"type": "Point", "coordinates": [109.45, 30.3]},
                        "properties": incident_props(**extra),
                        "changed": {"status": {"from": "reported", "to": "verified"}, "action": "verify",
                                    "reason": "seen by the township team"}}}


def report_filed():
    return {"seq": 42, "kind": "report.added", "topic": Topic.REPORTS, "area_code": "422801", "public": True,
            "at": "2026-12-02T07:10:00+00:00",
            "payload": {"type": "Feature", "id": 17, "geometry": None, "properties": incident_props(),
                        "changed": {"report": {"id": 5, "type": "field", "photos": 1}}}}


def site_water_low():
    """``stock.changed`` at a site: its drinking water ledger after a distribution (staff only)."""
    return {"seq": 43, "kind": "stock.changed", "topic": Topic.STOCK, "area_code": "422801", "public": False,
            "at": "2026-12-02T07:20:00+00:00",
            "payload": {"holder_kind": "site", "holder_id": "S1", "item_code": "water", "quantity": 40.0,
                        "delta": -360.0, "movement_id": 88}}


def compose(events, *, staff=False, kind=SmsKind.EVENT, mode=DeliveryMode.IMMEDIATE, **kw):
    return sms.compose(events, kind=kind, mode=mode, staff=staff, names=NAMES, figures=FIGURES, **kw)


def test_an_incident_verified_fits_one_segment_with_place_kind_status_and_level():
    text = compose([verified()])
    assert text == "【救灾】沙地乡山体滑坡#17已核实，III级响应"
    assert len(text) <= FIGURES.segment_chars and sms.segments(text, FIGURES) == 1


def test_a_public_text_never_carries_the_title_a_staff_text_may():
    public = compose([verified()])
    staff = compose([verified()], staff=True)
    assert "张三" not in public
    assert "张三" in staff and len(staff) <= 70


def test_a_long_place_name_is_cut_keeping_its_kind_of_place():
    text = compose([verified(township_code="422802105", county_code="422802")])
    assert "谋道镇苏拉口…" in text or text.count("…") == 1
    place = sms.shorten(NAMES["422802105"], FIGURES.place_chars)
    assert len(place) == FIGURES.place_chars and place.endswith("…")
    assert sms.shorten("利川市谋道镇苏拉口村", 8) == "利川市谋道镇…村"
    assert sms.shorten("沙地乡", 8) == "沙地乡"


def test_a_report_filed_and_a_site_running_out_of_water():
    assert compose([report_filed()]) == "【救灾】沙地乡山体滑坡#17新增现场报告"
    water = compose([site_water_low()], staff=True)
    assert water == "【救灾】恩施市第…安置点饮用水余40"


def test_folded_amendments_and_digests_say_how_many():
    assert compose([report_filed(), verified()]).endswith("（含1条更新）")
    digest = compose([verified(), report_filed(), site_water_low()], kind=SmsKind.DIGEST, mode=DeliveryMode.HOURLY,
                     staff=True)
    assert digest.startswith("【救灾】过去一小时3条（") and len(digest) <= 70


def test_every_text_is_cut_to_one_segment_never_the_signature():
    huge = verified(title="很" * 300)
    for staff in (False, True):
        text = compose([huge] * 3, staff=staff)
        assert len(text) <= 70 and text.startswith(FIGURES.signature)


def test_an_overflow_names_its_day_count_and_topics():
    events = [verified(), verified(), report_filed()]
    text = compose(events, kind=SmsKind.OVERFLOW, day=date(2026, 12, 2))
    assert text == "【救灾】12月2日另有3条通知超出每日条数未发，涉及：灾情、报告。详见平台"


@pytest.mark.parametrize("raw, number", [("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
                                          ("008619912345678", "19912345678")])
def test_mobile_numbers_are_normalised(raw, number):
    assert sms.parse_phone(raw) == number


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "138001380001", "010-12345678", 13800138000, None,
                                 "1380013800x"])
def test_bad_numbers_name_the_phone_field(raw):
    with pytest.raises(ValidationFailed) as refused:
        sms.parse_phone(raw)
    assert refused.value.field == "phone"


def test_numbers_are_masked():
    assert sms.mask_phone("13800138000") == "138****8000"


def test_the_quota_keeps_one_slot_for_yesterdays_overflow():
    quota = FIGURES.daily_quota_per_number
    at = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
    assert not sms.slot(at, quota - 2, FIGURES, SHANGHAI).overflow
    full = sms.slot(at, quota - 1, FIGURES, SHANGHAI)
    assert full.overflow and full.day == date(2026, 12, 2)
    assert full.due_at == datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)  # midnight in Beijing


def test_the_day_boundary_is_the_configured_zones():
    before = datetime(2026, 12, 2, 15, 59, tzinfo=timezone.utc)
    after = before + timedelta(minutes=1)
    assert sms.quota_day(before, SHANGHAI) == date(2026, 12, 2)
    assert sms.quota_day(after, SHANGHAI) == date(2026, 12, 3)
    assert sms.quota_day(after, timezone.utc) == date(2026, 12, 2)
    full = sms.slot(after, FIGURES.daily_quota_per_number, FIGURES, SHANGHAI)
    assert full.day == date(2026, 12, 3) and full.due_at == datetime(2026, 12, 3, 16, 0, tzinfo=timezone.utc)


def test_retries_back_off_then_stop():
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert sms.retry_at(FIGURES, 1, now) == now + timedelta(seconds=FIGURES.first_retry_seconds)
    assert sms.retry_at(FIGURES, 2, now) - now == timedelta(seconds=FIGURES.first_retry_seconds
                                                            * FIGURES.backoff_factor)
    assert sms.retry_at(FIGURES, FIGURES.max_attempts, now) is None


def test_figures_are_checked():
    section = dict(Standards.bundled().document["sms"])
    with pytest.raises(ValidationFailed):
        sms.Figures.of({**section, "daily_quota_per_number": 1})
    del section["segment_chars"]
    with pytest.raises(ValidationFailed):
        sms.Figures.of(section)


def test_receipts_are_parsed_and_bad_ones_name_the_field():
    statuses = ("delivered", "failed")
    assert sms.parse_receipts({"message_id": "g1", "status": "delivered"}, statuses) == [
        sms.Receipt("g1", "delivered", None)]
    for body, field in [({"message_id": "", "status": "delivered"}, "message_id"),
                        ({"message_id": "g", "status": "seen"}, "status"),
                        ({"receipts": []}, "receipts"), ({"receipts": ["x"]}, "receipts")]:
        with pytest.raises(ValidationFailed) as refused:
            sms.parse_receipts(body, statuses)
        assert refused.value.field == field
