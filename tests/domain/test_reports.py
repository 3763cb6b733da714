"""Statutory reports: series rule, aggregation, deadlines; pure, no app, no database."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from relief.domain.reports import aggregate, check_report_kind, overdue, overdue_by_county
from relief.domain.standards import Standards
from relief.errors import Conflict, ValidationFailed

CST = timezone(timedelta(hours=8))
RULES = {"initial_hours": 2, "continued_daily_at": "09:00", "verified_days_after_stabilised": 2,
         "timezone": "+08:00"}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 7, day, hour, minute, tzinfo=CST)


# --- series rule ------------------------------------------------------------

def test_series_in_order():
    assert check_report_kind([], "initial") == "initial"
    assert check_report_kind(["initial"], "continued") == "continued"
    assert check_report_kind(["initial", "continued", "continued"], "continued") == "continued"
    assert check_report_kind(["initial", "continued"], "verified") == "verified"
    assert check_report_kind(["initial"], "verified") == "verified"


@pytest.mark.parametrize("existing,new,words", [
    ([], "continued", "first report must be the initial"),
    ([], "verified", "first report must be the initial"),
    (["initial"], "initial", "initial report has already"),
    (["initial", "continued"], "initial", "initial report has already"),
    (["initial", "verified"], "continued", "verified report has already"),
    (["initial", "verified"], "verified", "verified report has already"),
    (["initial", "continued", "verified"], "initial", "verified report has already"),
])
def test_series_refusals(existing, new, words):
    with pytest.raises(Conflict) as err:
        check_report_kind(existing, new)
    assert words in err.value.message and err.value.field == "kind"


def test_unknown_report_kind():
    with pytest.raises(ValidationFailed) as err:
        check_report_kind([], "final")
    assert err.value.field == "kind"


# --- aggregation ---------------------------------------------------------------

_ids = itertools.count(1)


def report(incident, township, kind, figures_to, submitted_at=None, county="422801", **figures):
    return {"id": next(_ids), "incident_id": incident, "township_code": township, "county_code": county,
            "kind": kind, "figures_to": figures_to, "submitted_at": submitted_at or figures_to, **figures}


def test_latest_per_township_counts_once_and_townships_sum():
    df = pd.DataFrame([
        report(1, "T1", "initial", local(1, 10), dead=1, affected=100),
        report(1, "T1", "continued", local(2, 0), dead=2, affected=150),
        report(1, "T1", "continued", local(3, 0), dead=3, affected=180),
        report(1, "T2", "initial", local(1, 11), dead=1, affected=40, crops_affected_ha=2.5),
    ])
    agg = aggregate(df)
    assert agg.total["dead"] == 4 and agg.total["affected"] == 220
    assert agg.total["crops_affected_ha"] == 2.5
    assert agg.total["missing"] == 0
    row = agg.by_incident.set_index("incident_id").loc[1]
    assert row["dead"] == 4 and row["townships"] == 2
    assert len(agg.counted) == 2


def test_verified_supersedes_even_later_continued():
    df = pd.DataFrame([
        report(1, "T1", "initial", local(1, 10), dead=1),
        report(1, "T1", "verified", local(4, 0), local(5, 9), dead=5),
        # an older-series continued report with later dates must not win
        report(1, "T1", "continued", local(6, 0), local(6, 9), dead=9),
    ])
    agg = aggregate(df)
    assert agg.total["dead"] == 5
    assert agg.counted.iloc[0]["kind"] == "verified"


def test_latest_ties_broken_by_submitted_then_id():
    df = pd.DataFrame([
        report(1, "T1", "continued", local(2, 0), local(2, 8), dead=2),
        report(1, "T1", "continued", local(2, 0), local(2, 9), dead=3),
    ])
    assert aggregate(df).total["dead"] == 3
    same = pd.DataFrame([
        {**report(1, "T1", "continued", local(2, 0), local(2, 8), dead=7), "id": 11},
        {**report(1, "T1", "continued", local(2, 0), local(2, 8), dead=6), "id": 10},
    ])
    assert aggregate(same).total["dead"] == 7


def test_by_county_and_prefecture_total():
    df = pd.DataFrame([
        report(1, "T1", "initial", local(1, 10), county="422801", dead=2),
        report(2, "T9", "initial", local(1, 10), county="422822", dead=5),
        report(2, "T8", "continued", local(2, 0), county="422822", dead=1),
        report(2, "T8", "initial", local(1, 12), county="422822", dead=9),
    ])
    agg = aggregate(df)
    by_county = agg.by_county.set_index("county_code")["dead"].to_dict()
    assert by_county == {"422801": 2, "422822": 6}
    assert agg.total["dead"] == 8
    assert agg.by_incident.set_index("incident_id")["dead"].to_dict() == {1: 2, 2: 6}


def test_empty_reports():
    cols = ["id", "incident_id", "township_code", "county_code", "kind", "figures_to", "submitted_at"]
    agg = aggregate(pd.DataFrame(columns=cols))
    assert agg.total["dead"] == 0 and agg.by_county.empty


def test_missing_columns_refused():
    with pytest.raises(ValidationFailed):
        aggregate(pd.DataFrame([{"id": 1}]))


# --- deadlines ------------------------------------------------------------------

def incidents(*rows):
    base = {"county_code": "422801", "status": "responding", "stabilised_at": None}
    return pd.DataFrame([{**base, **r} for r in rows])


def sent(*rows):
    return pd.DataFrame(list(rows), columns=["incident_id", "kind", "submitted_at"])


NO_REPORTS = sent()


def due(items, kind=None):
    return [(i["incident_id"], i["kind"]) for i in items if kind is None or i["kind"] == kind]


@pytest.mark.parametrize("minutes,listed", [(119, False), (120, False), (121, True)])
def test_initial_report_two_hour_mark(minutes, listed):
    occurred = local(1, 14)
    inc = incidents({"id": 1, "occurred_at": occurred})
    items = overdue(inc, NO_REPORTS, as_of=occurred + timedelta(minutes=minutes), rules=RULES)
    assert (due(items, "initial") == [(1, "initial")]) is listed
    if listed:
        assert items[0]["due_at"] == local(1, 16)
        assert items[0]["overdue_by"] == timedelta(minutes=1)
        assert items[0]["county_code"] == "422801"


def test_initial_on_time_and_late_initial_clears_it():
    inc = incidents({"id": 1, "occurred_at": local(1, 14)})
    assert due(overdue(inc, sent((1, "initial", local(1, 16))), as_of=local(1, 17), rules=RULES)) == []
    assert due(overdue(inc, sent((1, "initial", local(1, 16, 30))), as_of=local(1, 17), rules=RULES)) == []
    # a report submitted after as_of does not count yet
    assert due(overdue(inc, sent((1, "initial", local(1, 18))), as_of=local(1, 17), rules=RULES)) == [(1, "initial")]


# Occurred on 1 July 06:00 local, initial report at 07:00 (before that day's
# 09:00), so nothing falls in the window for the 2 July 09:00 deadline.
OCCURRED = local(1, 6)
INITIAL = (1, "initial", local(1, 7))


@pytest.mark.parametrize("hh,mm,listed", [(8, 59, False), (9, 0, False), (9, 1, True)])
def test_continued_deadline_around_nine(hh, mm, listed):
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    items = overdue(inc, sent(INITIAL), as_of=local(2, hh, mm), rules=RULES)
    assert (due(items) == [(1, "continued")]) is listed
    if listed:
        assert items[0]["due_at"] == local(2, 9)
        assert items[0]["due_at"].utcoffset() == timedelta(hours=8)
        assert items[0]["overdue_seconds"] == 60


@pytest.mark.parametrize("hh,mm,met", [(8, 59, True), (9, 0, True), (9, 1, False)])
def test_report_at_the_edges_of_the_window(hh, mm, met):
    # The 2 July deadline is met by a report in (1 July 09:00, 2 July 09:00].
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    reports = sent(INITIAL, (1, "continued", local(2, hh, mm)))
    # checked at 09:00:30: a 09:01 report has not been sent yet
    items = overdue(inc, reports, as_of=local(2, 9) + timedelta(seconds=30), rules=RULES)
    assert (due(items) == []) is met


def test_report_exactly_at_previous_deadline_does_not_count():
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    reports = sent(INITIAL, (1, "continued", local(2, 9)))  # meets 2 July, not 3 July
    assert due(overdue(inc, reports, as_of=local(3, 9, 1), rules=RULES)) == [(1, "continued")]


def test_late_continued_report_clears_the_overdue_item():
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    reports = sent(INITIAL, (1, "continued", local(2, 10)))
    assert due(overdue(inc, reports, as_of=local(2, 11), rules=RULES)) == []


def test_no_continued_deadline_on_the_day_of_occurrence():
    inc = incidents({"id": 1, "occurred_at": local(1, 1)})
    assert due(overdue(inc, sent((1, "initial", local(1, 2))), as_of=local(1, 23), rules=RULES)) == []


def test_initial_report_can_meet_the_first_daily_deadline():
    inc = incidents({"id": 1, "occurred_at": local(1, 14)})
    reports = sent((1, "initial", local(1, 15)))
    assert due(overdue(inc, reports, as_of=local(2, 9, 1), rules=RULES)) == []


@pytest.mark.parametrize("status", ["stabilised", "closed", "rejected", "duplicate"])
def test_continued_stops_when_stable_or_gone(status):
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "status": status, "stabilised_at": local(1, 20)})
    items = overdue(inc, sent(INITIAL, (1, "verified", local(2, 8))), as_of=local(3, 12), rules=RULES)
    assert due(items, "continued") == []


def test_rejected_owes_nothing():
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "status": "rejected"})
    assert overdue(inc, NO_REPORTS, as_of=local(5, 12), rules=RULES) == []


@pytest.mark.parametrize("as_of,listed", [(local(3, 18), False), (local(3, 18, 1), True)])
def test_verified_report_due_after_stabilisation(as_of, listed):
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "status": "stabilised", "stabilised_at": local(1, 18)})
    items = overdue(inc, sent(INITIAL), as_of=as_of, rules=RULES)
    assert (due(items) == [(1, "verified")]) is listed
    done = sent(INITIAL, (1, "verified", local(3, 17)))
    assert overdue(inc, done, as_of=as_of, rules=RULES) == []


def test_naive_times_are_utc_and_the_bundled_rules_work():
    occurred_utc_naive = datetime(2024, 7, 1, 6, 0)  # 14:00 local
    inc = incidents({"id": 1, "occurred_at": occurred_utc_naive})
    items = overdue(inc, NO_REPORTS, as_of=local(1, 16, 1), rules=Standards.bundled().report_deadlines)
    assert due(items) == [(1, "initial")]
    assert items[0]["due_at"] == local(1, 16)


def test_bad_rules_named():
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    with pytest.raises(ValidationFailed) as err:
        overdue(inc, NO_REPORTS, as_of=local(2, 1), rules={**RULES, "continued_daily_at": "nine"})
    assert err.value.field == "report_deadlines.continued_daily_at"


def test_overdue_by_county():
    inc = incidents(
        {"id": 1, "occurred_at": OCCURRED},
        {"id": 2, "occurred_at": OCCURRED, "county_code": "422822"},
        {"id": 3, "occurred_at": local(2, 6), "county_code": "422822"},
    )
    items = overdue(inc, sent(INITIAL), as_of=local(2, 9, 1), rules=RULES)
    assert sorted(due(items)) == [(1, "continued"), (2, "continued"), (2, "initial"), (3, "initial")]
    counts = overdue_by_county(items)
    assert counts["422801"]["count"] == 1 and counts["422801"]["continued"] == 1
    assert counts["422822"]["count"] == 3 and counts["422822"]["initial"] == 2
    assert counts["422822"]["max_overdue_seconds"] == int(timedelta(hours=25, minutes=1).total_seconds())
    assert [i["due_at"] for i in items] == sorted(i["due_at"] for i in items)


def sent_by(*rows):
    """Reports naming their township (and its county): (incident, township, kind, submitted_at[, county])."""
    return pd.DataFrame([(*r, "422801")[:5] for r in rows],
                        columns=["incident_id", "township_code", "kind", "submitted_at", "county_code"])


def owed(items):
    return [(i["incident_id"], i["township_code"], i["kind"]) for i in items]


def test_a_verified_report_for_one_township_leaves_the_others_owing():
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "status": "stabilised", "stabilised_at": local(1, 18),
                     "township_code": "T1"})
    reports = sent_by((1, "T1", "initial", local(1, 15)), (1, "T2", "initial", local(1, 15)),
                      (1, "T1", "verified", local(2, 10)))
    assert owed(overdue(inc, reports, as_of=local(3, 18, 1), rules=RULES)) == [(1, "T2", "verified")]


def test_each_township_owes_its_own_continued_report():
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "township_code": "T1"})
    reports = sent_by((1, "T1", "initial", local(1, 7)), (1, "T2", "initial", local(1, 7)),
                      (1, "T1", "continued", local(2, 8)))
    items = overdue(inc, reports, as_of=local(2, 9, 1), rules=RULES)
    assert owed(items) == [(1, "T2", "continued")]


def test_the_incidents_own_township_owes_reports_before_any_names_it():
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "township_code": "T1"},
                    {"id": 2, "occurred_at": OCCURRED, "township_code": None})
    reports = sent_by((1, "T2", "initial", local(1, 15)))
    items = overdue(inc, reports, as_of=local(1, 16, 1), rules=RULES)
    assert owed(items) == [(1, "T1", "initial"), (2, None, "initial")]  # no township known: the incident as one


def test_a_township_in_another_county_is_counted_for_that_county():
    inc = incidents({"id": 1, "occurred_at": OCCURRED, "township_code": "T1"})
    reports = sent_by((1, "T1", "initial", local(1, 7)), (1, "T9", "initial", local(1, 7), "422822"))
    items = overdue(inc, reports, as_of=local(2, 9, 1), rules=RULES)
    assert [(i["township_code"], i["county_code"]) for i in items] == [("T1", "422801"), ("T9", "422822")]
    assert set(overdue_by_county(items)) == {"422801", "422822"}


# --- drought's ten-day period and working days --------------------------------

LOCAL_RULES = {**RULES, "continued_every_days": {"drought": 10}, "verified_days_are": "working",
               "non_working_dates": ["2024-10-01", "2024-10-02"], "working_weekend_dates": ["2024-10-12"]}


def october(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 10, day, hour, minute, tzinfo=CST)


@pytest.mark.parametrize("as_of,expected_due", [
    (local(2, 9, 1), None),            # a daily deadline, but drought reports every 10 days
    (local(11, 9), None),              # the first ten-day deadline itself: not yet late
    (local(11, 9, 1), local(11, 9)),
    (local(20, 12), local(11, 9)),     # still the first period: nothing sent since
    (local(21, 9, 1), local(21, 9)),
])
def test_drought_continued_report_every_ten_days(as_of, expected_due):
    inc = incidents({"id": 1, "occurred_at": local(1, 6), "kind": "drought"})
    items = overdue(inc, sent((1, "initial", local(1, 7))), as_of=as_of, rules=LOCAL_RULES)
    assert [i["due_at"] for i in items if i["kind"] == "continued"] == ([expected_due] if expected_due else [])


def test_a_drought_report_anywhere_in_the_ten_days_meets_the_deadline():
    inc = incidents({"id": 1, "occurred_at": local(1, 6), "kind": "drought"})
    reports = sent((1, "initial", local(1, 7)), (1, "continued", local(15, 10)))
    assert due(overdue(inc, reports, as_of=local(21, 9, 1), rules=LOCAL_RULES)) == []
    assert due(overdue(inc, reports, as_of=local(31, 9, 1), rules=LOCAL_RULES)) == [(1, "continued")]
    hail = incidents({"id": 2, "occurred_at": local(1, 6), "kind": "hail"})
    assert due(overdue(hail, sent((2, "initial", local(1, 7))), as_of=local(2, 9, 1), rules=LOCAL_RULES)) == [
        (2, "continued")]


@pytest.mark.parametrize("stabilised,worked_weekends,due_at", [
    (october(9, 18), ["2024-10-12"], october(11, 18)),   # Wednesday → Thursday, Friday
    (october(11, 18), ["2024-10-12"], october(14, 18)),  # Friday → Saturday 12th worked in exchange, Monday
    (october(11, 18), [], october(15, 18)),              # Friday → Monday, Tuesday
    (october(13, 10), [], october(15, 10)),              # Sunday → Monday, Tuesday
    (datetime(2024, 9, 30, 16, tzinfo=CST), [], october(4, 16)),  # before the 1st-2nd holiday → Thursday, Friday
])
def test_verified_report_counts_working_days(stabilised, worked_weekends, due_at):
    rules = {**LOCAL_RULES, "working_weekend_dates": worked_weekends}
    inc = incidents({"id": 1, "occurred_at": stabilised - timedelta(days=2), "status": "stabilised",
                     "stabilised_at": stabilised})
    reports = sent((1, "initial", stabilised - timedelta(days=2)))
    assert due(overdue(inc, reports, as_of=due_at, rules=rules)) == []
    items = overdue(inc, reports, as_of=due_at + timedelta(minutes=1), rules=rules)
    assert [(i["kind"], i["due_at"]) for i in items] == [("verified", due_at)]


@pytest.mark.parametrize("change,field", [
    ({"continued_every_days": {"drought": 0}}, "report_deadlines.continued_every_days"),
    ({"continued_every_days": ["drought", 10]}, "report_deadlines.continued_every_days"),
    ({"verified_days_are": "business"}, "report_deadlines.verified_days_are"),
    ({"verified_days_are": "working", "verified_days_after_stabilised": 1.5},
     "report_deadlines.verified_days_after_stabilised"),
    ({"non_working_dates": ["1 October"]}, "report_deadlines.non_working_dates"),
])
def test_bad_period_and_day_rules_are_named(change, field):
    inc = incidents({"id": 1, "occurred_at": OCCURRED})
    with pytest.raises(ValidationFailed) as err:
        overdue(inc, NO_REPORTS, as_of=local(2, 1), rules={**RULES, **change})
    assert err.value.field == field
