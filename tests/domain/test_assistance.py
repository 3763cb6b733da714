"""The case table (stage × action × role), notice timing, eligibility, amounts, checksums and masks — no app."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from relief.domain import assistance as a
from relief.domain.roles import ROLES
from relief.domain.standards import Standards
from relief.domain.vocabulary import CASE_ACTIONS, CASE_STAGES
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
FIG = a.Figures.of(Standards.bundled())

# Written out by hand from the chain (standards §6), independent of STEPS: (stage, action) → (target, roles).
REVIEWERS = {"admin", "village_committee", "township_clerk"}
CHECKERS = {"admin", "township_clerk"}
APPROVERS = {"admin", "commander"}
EXPECTED = {
    ("applied", "review"): ("village_reviewed", REVIEWERS),
    ("village_reviewed", "publish"): ("on_notice", REVIEWERS),
    ("on_notice", "check"): ("township_checked", CHECKERS),
    ("township_checked", "approve"): ("approved", APPROVERS),
    ("approved", "pay"): ("paid", APPROVERS),
    ("approved", "payment_failed"): ("approved", APPROVERS),
    ("applied", "reject"): ("rejected", REVIEWERS),
    ("village_reviewed", "reject"): ("rejected", REVIEWERS),
    ("on_notice", "reject"): ("rejected", CHECKERS),
    ("township_checked", "reject"): ("rejected", APPROVERS),
    ("on_notice", "object"): ("objection", None),  # anyone, no login
    ("objection", "uphold"): ("rejected", CHECKERS),
    ("objection", "dismiss"): ("on_notice", CHECKERS),
}
ALL_ROLES = (*ROLES, None)


@pytest.mark.parametrize("stage", CASE_STAGES)
@pytest.mark.parametrize("action", CASE_ACTIONS)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_transition_table_exhaustively(stage, action, role):
    later = T0 + timedelta(days=30)  # every notice has ended
    expected = EXPECTED.get((stage, action))
    call = lambda: a.transition(stage, action, role, now=later, notice_ends_at=T0, reason="why")  # noqa: E731
    if expected is None:
        with pytest.raises(TransitionRefused) as caught:
            call()
        assert caught.value.field == "action"
    elif expected[1] is not None and role not in expected[1]:
        with pytest.raises(Forbidden):
            call()
    else:
        assert call().target == expected[0]


def test_allowed_actions_follow_the_table():
    assert a.allowed_actions("on_notice", None) == ["object"]
    assert a.allowed_actions("on_notice", "township_clerk") == ["check", "reject", "object"]
    assert a.allowed_actions("paid", "admin") == [] and a.allowed_actions("rejected", "admin") == []


@pytest.mark.parametrize("offset, allowed", [(-1, False), (0, True), (1, True)])
def test_a_case_is_checked_only_once_its_notice_has_ended(offset, allowed):
    ends = a.notice_end(T0, FIG.notice_days)
    assert ends == T0 + timedelta(days=7)
    now = ends + timedelta(seconds=offset)
    if allowed:
        assert a.transition("on_notice", "check", "township_clerk", now=now, notice_ends_at=ends).target == \
            "township_checked"
    else:
        with pytest.raises(TransitionRefused) as caught:
            a.transition("on_notice", "check", "township_clerk", now=now, notice_ends_at=ends)
        assert caught.value.field == "notice_ends_at"


def test_an_open_objection_holds_the_check_and_rulings_need_reasons():
    with pytest.raises(TransitionRefused) as caught:
        a.transition("on_notice", "check", "admin", now=T0 + timedelta(days=8), notice_ends_at=T0,
                     open_objections=1)
    assert caught.value.field == "objection"
    for action in ("reject", "uphold", "dismiss"):
        stage = "objection" if action != "reject" else "applied"
        with pytest.raises(ValidationFailed) as caught:
            a.transition(stage, action, "admin", now=T0, notice_ends_at=None)
        assert caught.value.field == "reason"


def _households() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ["A", "B", "C", "D"], "members": [3, 5, 2, 4],
        "house_damage": ["collapsed", "severe", "general", "none"],
        "shelter": ["site", "dispersed", "home", "home"],
        "assistance_category": ["dibao", None, "tekun", "dibao"],
        "county_code": "c", "township_code": "t", "village_code": "v"})


def test_eligibility_is_the_rule_with_its_reason():
    chosen = a.eligible(_households(), FIG.programmes["transitional"])
    assert chosen["household_id"].tolist() == ["A", "B"]
    assert chosen["reason"].tolist() == ["house_damage=collapsed;members=3", "house_damage=severe;members=5"]
    winter = a.eligible(_households(), FIG.programmes["winter_spring"])
    assert winter["household_id"].tolist() == ["A", "C"] and "category=tekun" in winter["reason"].iloc[1]


def test_proposals_leave_out_the_covered_and_respect_the_year_cap():
    transitional = a.propose(_households(), ["B"], FIG.programmes["transitional"], T0)
    assert transitional["household_id"].tolist() == ["A"]
    assert transitional["amount"].tolist() == [20 * 3 * 90]
    capped = a.propose(_households(), [], FIG.programmes["winter_spring"], T0, pd.Series({"A": 600.0}))
    assert dict(zip(capped["household_id"], capped["amount"])) == {"A": 400.0, "C": 1000.0}


def test_amounts_periods_and_food_days():
    p = FIG.programmes["transitional"]
    assert a.amount_for(p, 3, 30) == 1800.0
    with pytest.raises(ValidationFailed) as caught:
        a.check_amount(1800.01, 1800.0)
    assert caught.value.field == "amount"
    with pytest.raises(ValidationFailed) as caught:
        a.check_period(p, T0, T0 + timedelta(days=90))  # 91 days counted
    assert caught.value.field == "period_end"
    assert a.food_days(1800.0, 3, FIG.food_yuan_per_person_day) == 30.0


def test_gb11643_and_luhn():
    assert a.check_id_number("11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "11010519491231002", "1101051949123100AX", None):
        with pytest.raises(ValidationFailed) as caught:
            a.check_id_number(bad)
        assert caught.value.field == "id_number"
    assert a.check_account_number("4111 1111 1111 1111") == "4111111111111111"
    with pytest.raises(ValidationFailed) as caught:
        a.check_account_number("4111111111111112")
    assert caught.value.field == "account_no"
    body = "62170012345678901"
    assert a.luhn_valid(body + a.luhn_check_digit(body))


def test_masks():
    assert a.mask_name("张三明") == "张*明" and a.mask_name("欧阳小明") == "欧*明" and a.mask_name("李四") == "李*"
    assert a.mask_id("422801199001011234") == "4228**********1234"
    assert a.mask_account("6217000000000000012") == "***************0012"


def test_the_standards_section_is_checked():
    section = dict(Standards.bundled().assistance)
    bad = {**section, "programmes": [{**section["programmes"][0], "purpose": "beer"}]}
    with pytest.raises(ValidationFailed) as caught:
        a.Figures.from_section(bad)
    assert caught.value.field == "assistance.programmes[0].purpose"
    assert a.Figures.from_section({**section, "notice_days": 7}).notice_days == 7
