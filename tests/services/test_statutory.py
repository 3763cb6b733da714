"""Statutory reports on the store: series, aggregation, level recomputation, overdue with a fixed clock."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from relief.domain.standards import Standards
from relief.errors import Conflict
from relief.services import incidents, statutory
from relief.services.context import Context
from relief.services.standards import standards_loader
from relief.store.tables import Incident, StatutoryReport

BUNDLED = Standards.bundled()

CST = timezone(timedelta(hours=8))
OCCURRED = datetime(2026, 7, 1, 7, 30, tzinfo=CST)


@pytest.fixture
def published() -> list[dict]:
    return []


@pytest.fixture(autouse=True)
def townships(store) -> None:
    """Townships T1 and T2 of county 422801, known by code only (no outline: incidents here lie in no area)."""
    from relief.store.tables import Area

    with store.write() as session:
        session.add(Area(code="422801", name_zh="恩施市", name_en="Enshi", level="county"))
        session.flush()
        session.add_all([Area(code="T1", name_zh="一号镇", name_en="Township one", level="township",
                              parent_code="422801"),
                         Area(code="T2", name_zh="二号镇", name_en="Township two", level="township",
                              parent_code="422801")])


@pytest.fixture
def reporter(store, tmp_path, make_user, published) -> Context:
    user = make_user("field_reporter")
    return Context(store=store, actor=user.actor, publish=published.extend,
                   clock=lambda: OCCURRED + timedelta(minutes=30),
                   standards_loader=standards_loader(store, BUNDLED), settings={"PHOTO_DIR": str(tmp_path / "photos")})


def at(ctx: Context, moment: datetime) -> Context:
    return dataclasses.replace(ctx, clock=lambda: moment)


def new_incident(ctx: Context, **extra) -> int:
    return incidents.create_incident(ctx, {"client_id": str(uuid.uuid4()), "kind": "flood", "lat": 30.3, "lon": 109.5,
                                           "occurred_at": OCCURRED.isoformat(), **extra}).body["id"]


def file(ctx: Context, iid: int, kind: str, township: str = "T1", **figures):
    return statutory.add_report(ctx, iid, {"client_id": str(uuid.uuid4()), "kind": kind, "township_code": township,
                                           "indicators": figures})


def test_initial_report_with_the_incident_and_series_rule(reporter):
    made = incidents.create_incident(reporter, {"client_id": str(uuid.uuid4()), "kind": "flood", "lat": 30.3,
                                                "lon": 109.5, "occurred_at": OCCURRED.isoformat(),
                                                "township_code": "T1", "indicators": {"affected": 12, "dead": 1}})
    assert made.body["statutory_report"]["kind"] == "initial"
    with pytest.raises(Conflict):
        file(reporter, made.body["id"], "initial", affected=3)
    assert file(reporter, made.body["id"], "continued", affected=20).created


def test_level_just_under_at_and_over_the_default_thresholds(reporter, published):
    iid = new_incident(reporter)
    file(reporter, iid, "initial", affected=200_000, relocated_centralised=99_999)
    answers = [file(reporter, iid, "continued", affected=600_000, relocated_centralised=n).body["response_level"]
               for n in (99_999, 100_000, 100_001, 499_999, 500_000)]
    assert answers == [None, "IV", "IV", "IV", "III"]
    levels = [e["payload"]["changed"]["response_level"] for e in published if e["kind"] == "incident.level_changed"]
    assert levels == [{"from": None, "to": "IV"}, {"from": "IV", "to": "III"}]
    assert all(e["area_code"] is None and e["topic"] == "incidents"
               for e in published if e["kind"] == "incident.level_changed")


def test_rejecting_an_incident_drops_its_level(store, reporter, make_user, published):
    iid = new_incident(reporter)
    file(reporter, iid, "initial", affected=100, dead=25)
    verifier = Context(store=store, actor=make_user("verifier").actor, publish=published.extend,
                       standards_loader=standards_loader(store, BUNDLED))
    published.clear()
    incidents.transition(verifier, iid, "reject", "false alarm")
    assert [e["kind"] for e in published] == ["incident.transitioned", "incident.level_changed"]


def test_local_table_relevels_every_incident(store, reporter, make_user, published):
    low = new_incident(reporter)
    file(reporter, low, "initial", affected=10, dead=2)
    admin = Context(store=store, actor=make_user("admin").actor, publish=published.extend, clock=reporter.clock,
                    standards_loader=standards_loader(store, BUNDLED))
    table = {"levels": [{"level": "C2", "thresholds": {"dead_missing": 3}},
                        {"level": "C3", "thresholds": {"dead_missing": 2}}]}
    result = statutory.set_response_table(admin, table, reason="county plan")
    assert result["level_changes"] == [{"incident_id": low, "from": None, "to": "C3"}]
    assert result["version"].startswith(BUNDLED.version + "+local.")
    assert file(reporter, low, "continued", affected=10, dead=3).body["response_level"] == "C2"


def test_overdue_around_the_two_hour_mark_and_nine_oclock(reporter):
    iid = new_incident(reporter)
    due = OCCURRED + timedelta(hours=2)  # 09:30 local

    def overdue(moment):
        return [(i["incident_id"], i["report_kind"]) for i in statutory.overdue(at(reporter, moment))["items"]]

    assert overdue(due) == []
    assert overdue(due + timedelta(seconds=1)) == [(iid, "initial")]
    file(at(reporter, due + timedelta(minutes=10)), iid, "initial", affected=5)  # late, but clears it
    assert overdue(due + timedelta(minutes=11)) == []
    nine = datetime(2026, 7, 2, 9, 0, tzinfo=CST)  # the 09:40 initial report counts for 2 July
    assert overdue(nine + timedelta(minutes=1)) == []
    nine_next = nine + timedelta(days=1)
    assert overdue(nine_next) == []
    assert overdue(nine_next + timedelta(minutes=1)) == [(iid, "continued")]
    file(at(reporter, nine_next - timedelta(minutes=30)), iid, "continued", affected=6)
    listing = statutory.overdue(at(reporter, nine_next + timedelta(minutes=1)))
    assert listing["items"] == [] and listing["by_county"] == []


def test_overdue_counts_by_county(reporter, store):
    from shapely.geometry import MultiPolygon, box

    from relief.store.tables import Area

    with store.write() as session:
        session.add(Area(code="422802", name_zh="利川市", name_en="Lichuan", level="county",
                         geom=MultiPolygon([box(108.5, 30.0, 109.2, 30.6)])))
    in_lichuan = [new_incident(reporter, lon=108.9) for _ in range(2)]
    nowhere = new_incident(reporter, lon=111.5)
    listing = statutory.overdue(reporter, OCCURRED + timedelta(hours=3))
    counties = {c["county_code"]: c for c in listing["by_county"]}
    assert counties["422802"]["count"] == 2 and counties["422802"]["initial"] == 2
    assert counties["422802"]["county_name"] == "利川市" and counties[None]["count"] == 1
    assert {i["incident_id"] for i in listing["items"]} == {*in_lichuan, nowhere}


def test_level_names_must_fit_the_column(store, make_user):
    from relief.errors import ValidationFailed

    admin = Context(store=store, actor=make_user("admin").actor, standards_loader=standards_loader(store, BUNDLED))
    with pytest.raises(ValidationFailed) as err:
        statutory.set_response_table(admin, {"levels": [{"level": "county-II", "thresholds": {"dead_missing": 3}}]})
    assert err.value.field == "levels[0].level"


#: Report figures that put exactly ``n`` on one derived indicator of the response table.
FIGURES_FOR = {
    "dead_missing": lambda n: {"dead": n - n // 2, "missing": n // 2},
    "relocated_and_emergency_aid": lambda n: {"relocated_centralised": n // 2, "emergency_aid": n - n // 2},
    "collapsed_severe_rooms": lambda n: {"collapsed_rooms": n // 2, "severe_rooms": n - n // 2},
    "collapsed_severe_households": lambda n: {"collapsed_households": n, "severe_households": 0},
    "drought_needing_aid": lambda n: {"drought_needing_aid": n},
}


@pytest.mark.parametrize("indicator", sorted(FIGURES_FOR))
def test_every_default_threshold_just_under_at_and_over(reporter, indicator):
    levels = reporter.standards.response_levels["levels"]
    iid = new_incident(reporter)
    file(reporter, iid, "initial", affected=1)
    below = [None] + [entry["level"] for entry in reversed(levels)][:-1]  # the level just under each threshold
    for entry, under in zip(reversed(levels), below):
        threshold = entry["thresholds"][indicator]
        for value, expected in ((threshold - 1, under), (threshold, entry["level"]), (threshold + 1, entry["level"])):
            figures = FIGURES_FOR[indicator](value)
            answer = file(reporter, iid, "continued", affected=10_000_000, **figures).body
            assert answer["response_level"] == expected, (indicator, value)
            if value >= threshold:
                (reason,) = [r for r in answer["response_reason"] if r["indicator"] == indicator]
                assert (reason["value"], reason["threshold"], reason["level"]) == (value, threshold, entry["level"])


def test_drought_owes_a_continued_report_every_ten_days_from_the_store(reporter):
    """The incident's kind reaches the deadline rules: a drought is not listed on the daily 09:00."""
    drought, flood = new_incident(reporter, kind="drought"), new_incident(reporter)
    for iid in (drought, flood):
        file(at(reporter, OCCURRED + timedelta(hours=1)), iid, "initial", affected=5)

    def overdue(moment):
        return sorted((i["incident_id"], i["report_kind"]) for i in statutory.overdue(at(reporter, moment))["items"])

    assert overdue(datetime(2026, 7, 3, 9, 1, tzinfo=CST)) == [(flood, "continued")]
    assert overdue(datetime(2026, 7, 11, 9, 1, tzinfo=CST)) == sorted([(drought, "continued"), (flood, "continued")])


def test_overdue_is_judged_per_township_and_names_it(reporter, store):
    """T1 sends its continued report, T2 does not: only T2 is listed, with its name."""
    iid = new_incident(reporter)
    for township in ("T1", "T2"):
        file(at(reporter, OCCURRED + timedelta(hours=1)), iid, "initial", township, affected=5)
    nine = datetime(2026, 7, 2, 9, 0, tzinfo=CST)
    file(at(reporter, nine - timedelta(hours=1)), iid, "continued", "T1", affected=6)
    listing = statutory.overdue(at(reporter, nine + timedelta(minutes=1)))
    assert [(i["incident_id"], i["township_code"], i["report_kind"]) for i in listing["items"]] == [
        (iid, "T2", "continued")]
    assert listing["items"][0]["township_name"] == "二号镇"
    assert listing["by_county"][0]["count"] == 1


# --- which townships an incident's figures may name -----------------------------------------

@pytest.fixture
def in_lichuan(store, reporter) -> int:
    """An incident inside county 422802 (Lichuan), which has township LC1; T1 and T2 belong to 422801."""
    from shapely.geometry import MultiPolygon, box

    from relief.store.tables import Area

    with store.write() as session:
        session.add(Area(code="422802", name_zh="利川市", name_en="Lichuan", level="county",
                         geom=MultiPolygon([box(108.5, 30.0, 109.2, 30.6)])))
        session.flush()
        session.add(Area(code="LC1", name_zh="利川镇", name_en="Lichuan town", level="township", parent_code="422802"))
    return new_incident(reporter, lon=108.9)


@pytest.mark.parametrize("township", ["NOPE", "T1", "422802", "422801"])
def test_figures_for_an_unknown_township_or_one_of_another_county_are_refused(reporter, store, in_lichuan, township):
    from relief.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        file(reporter, in_lichuan, "initial", township, affected=500, dead=30)
    assert refused.value.field == "township_code"
    assert statutory.summary(reporter)["by_township"] == []  # nothing counted
    with store.read() as session:
        assert session.get(Incident, in_lichuan).response_level is None
        assert session.scalar(select(func.count()).select_from(StatutoryReport)) == 0


def test_figures_for_a_township_of_the_incidents_county_are_counted(reporter, in_lichuan):
    answer = file(reporter, in_lichuan, "initial", "LC1", affected=500, dead=30).body
    assert answer["report"]["township_code"] == "LC1" and answer["response_level"] is not None
    [county] = statutory.summary(reporter)["by_county"]
    assert county["county_code"] == "422802" and county["affected"] == 500


def test_an_area_crossing_a_county_line_takes_figures_from_the_townships_it_overlaps(reporter, store, in_lichuan):
    from shapely.geometry import MultiPolygon, box, mapping

    from relief.errors import ValidationFailed
    from relief.store.tables import Area

    with store.write() as session:
        session.add(Area(code="EN1", name_zh="东镇", name_en="East town", level="township", parent_code="422801",
                         geom=MultiPolygon([box(109.2, 30.0, 109.6, 30.6)])))
    zone = box(109.0, 30.2, 109.3, 30.3)  # mostly in Lichuan (422802), its east end in EN1 of 422801
    iid = new_incident(reporter, geometry=mapping(zone))
    assert file(reporter, iid, "initial", "EN1", affected=40).created
    assert file(reporter, iid, "initial", "LC1", affected=60).created
    with pytest.raises(ValidationFailed) as refused:
        file(reporter, iid, "initial", "T1", affected=5)  # 422801, but the zone does not reach it
    assert refused.value.field == "township_code"
    with pytest.raises(ValidationFailed):
        file(reporter, in_lichuan, "initial", "EN1", affected=5)  # a point in Lichuan reaches no other county
    by_county = {row["county_code"]: row["affected"] for row in statutory.summary(reporter)["by_county"]}
    assert by_county == {"422801": 40, "422802": 60}
