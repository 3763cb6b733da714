"""The reconstruction rules: the stage table, inspections, tranches, stalled houses, per-house rows and summaries."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from relief.domain import reconstruction as rc
from relief.domain.roles import ROLES
from relief.domain.standards import Standards, default_document, validate_document
from relief.errors import Conflict, Forbidden, TransitionRefused, ValidationFailed

FIGURES = rc.Figures.of(Standards.bundled())
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)

# --- the table, written out independently of relief.domain.reconstruction -----------------

ALL_STAGES = ["assessed", "eligible", "excluded", "agreement_signed", "started", "foundation", "main_structure",
              "roofed", "completed", "repair_started", "repair_completed", "moved_in"]
OFFICERS = {"admin", "commander", "reconstruction_officer"}
COMMON = {("assessed", "eligible"), ("assessed", "excluded"), ("excluded", "assessed"),
          ("eligible", "agreement_signed")}
REBUILD_EDGES = COMMON | {("agreement_signed", "started"), ("started", "foundation"), ("foundation", "main_structure"),
                          ("main_structure", "roofed"), ("roofed", "completed"), ("completed", "moved_in")}
REPAIR_EDGES = COMMON | {("agreement_signed", "repair_started"), ("repair_started", "repair_completed"),
                         ("repair_completed", "moved_in")}
#: (damage, rebuild mode once signed, mode to sign with, edges)
HOUSES = {"rebuild": ("collapsed", "in_place", "planned_built", REBUILD_EDGES),
          "repair": ("general", "repair", "repair", REPAIR_EDGES)}


def _mode_at(stage: str, mode: str) -> str | None:
    return None if stage in ("assessed", "eligible", "excluded") else mode


@pytest.mark.parametrize("kind", sorted(HOUSES))
def test_the_transition_table_stage_by_stage_by_role(kind):
    damage, mode, signing, edges = HOUSES[kind]
    seen = {"ok": 0, "forbidden": 0, "refused": 0}
    for stage in ALL_STAGES:
        for target in ALL_STAGES:
            for role in ROLES:
                if role not in OFFICERS:
                    expected = "forbidden"
                elif (stage, target) in edges:
                    expected = "ok"
                else:
                    expected = "refused"
                try:
                    decision = rc.transition(stage, target, role, damage=damage, rebuild_mode=_mode_at(stage, mode),
                                             figures=FIGURES, reason="re-survey of the village",
                                             new_mode=signing if target == "agreement_signed" else None,
                                             inspection_passed=True)
                    got = "ok"
                    assert decision.stage == target
                except Forbidden:
                    got = "forbidden"
                except TransitionRefused as error:
                    got = "refused"
                    assert error.field == "stage" and error.status == 409
                assert got == expected, (kind, stage, target, role)
                seen[got] += 1
    assert seen["ok"] == len(edges) * len(OFFICERS)


def test_allowed_stages_list_exactly_the_edges():
    for kind, (damage, mode, _, edges) in HOUSES.items():
        for stage in ALL_STAGES:
            got = rc.allowed_stages(stage, "reconstruction_officer", damage=damage,
                                    rebuild_mode=_mode_at(stage, mode), figures=FIGURES)
            assert set(got) == {b for a, b in edges if a == stage}, (kind, stage)
        assert rc.allowed_stages("assessed", "viewer", damage=damage, rebuild_mode=None, figures=FIGURES) == []


def test_an_unknown_stage_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        rc.transition("assessed", "demolished", "admin", damage="collapsed", rebuild_mode=None, figures=FIGURES)
    assert refused.value.field == "stage"


def test_a_skipped_stage_is_refused_with_the_next_ones():
    with pytest.raises(TransitionRefused) as refused:
        rc.transition("started", "roofed", "admin", damage="collapsed", rebuild_mode="in_place", figures=FIGURES,
                      inspection_passed=True)
    assert refused.value.detail["allowed_stages"] == ["foundation"]


@pytest.mark.parametrize("stage, target", [("assessed", "excluded"), ("excluded", "assessed")])
def test_exclusion_and_reopening_need_a_reason(stage, target):
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as refused:
            rc.transition(stage, target, "admin", damage="severe", rebuild_mode=None, figures=FIGURES, reason=reason)
        assert refused.value.field == "reason"


def test_reopening_clears_the_rebuild_mode():
    decision = rc.transition("excluded", "assessed", "admin", damage="severe", rebuild_mode="in_place",
                             figures=FIGURES, reason="re-survey found the wall cracked")
    assert decision.rebuild_mode is None


@pytest.mark.parametrize("damage, mode, ok", [
    ("collapsed", "in_place", True), ("severe", "purchase", True), ("severe", "planned_self_build", True),
    ("collapsed", "repair", False), ("general", "repair", True), ("general", "in_place", False),
    ("severe", None, False), ("severe", "tent", False)])
def test_the_rebuild_mode_must_fit_the_damage(damage, mode, ok):
    def sign():
        return rc.transition("eligible", "agreement_signed", "reconstruction_officer", damage=damage,
                             rebuild_mode=None, figures=FIGURES, new_mode=mode)
    if ok:
        assert sign().rebuild_mode == mode
    else:
        with pytest.raises(ValidationFailed) as refused:
            sign()
        assert refused.value.field == "rebuild_mode"


def test_the_mode_is_chosen_only_when_signing():
    with pytest.raises(ValidationFailed) as refused:
        rc.transition("agreement_signed", "started", "admin", damage="severe", rebuild_mode="in_place",
                      figures=FIGURES, new_mode="purchase")
    assert refused.value.field == "rebuild_mode"


@pytest.mark.parametrize("stage, target, damage, mode", [
    ("started", "foundation", "collapsed", "in_place"), ("foundation", "main_structure", "collapsed", "in_place"),
    ("roofed", "completed", "severe", "purchase"), ("repair_started", "repair_completed", "general", "repair")])
def test_inspected_milestones_need_a_passing_inspection(stage, target, damage, mode):
    assert target in FIGURES.inspected
    with pytest.raises(TransitionRefused) as refused:
        rc.transition(stage, target, "admin", damage=damage, rebuild_mode=mode, figures=FIGURES)
    assert refused.value.field == "inspection"
    assert rc.transition(stage, target, "admin", damage=damage, rebuild_mode=mode, figures=FIGURES,
                         inspection_passed=True).inspected


def test_uninspected_steps_need_no_inspection():
    decision = rc.transition("main_structure", "roofed", "admin", damage="severe", rebuild_mode="in_place",
                             figures=FIGURES)
    assert decision.stage == "roofed" and not decision.inspected


def test_an_inspection_looks_at_the_next_milestone_only():
    kw = dict(damage="collapsed", rebuild_mode="in_place", figures=FIGURES)
    assert rc.check_inspection("started", "foundation", **kw) == "foundation"
    for stage, milestone in (("started", "main_structure"), ("foundation", "foundation"), ("eligible", "foundation"),
                             ("started", "roofed"), ("started", "nonsense")):
        with pytest.raises(ValidationFailed) as refused:
            rc.check_inspection(stage, milestone, **kw)
        assert refused.value.field == "milestone"
    assert rc.check_inspection("repair_started", "repair_completed", damage="general", rebuild_mode="repair",
                               figures=FIGURES) == "repair_completed"


def test_correction_required_until_a_later_inspection_passes():
    assert not rc.correction_required([])
    assert rc.correction_required(["fail"])
    assert not rc.correction_required(["fail", "pass"])
    assert rc.correction_required(["pass", "fail"])
    assert rc.correction_required(["fail", "fail"])


def test_next_milestone_follows_the_path():
    assert rc.next_milestone("eligible", "general", None, FIGURES) == "agreement_signed"
    assert rc.next_milestone("agreement_signed", "general", "repair", FIGURES) == "repair_started"
    assert rc.next_milestone("agreement_signed", "severe", "in_place", FIGURES) == "started"
    assert rc.next_milestone("completed", "severe", "in_place", FIGURES) == "moved_in"
    assert rc.next_milestone("moved_in", "severe", "in_place", FIGURES) is None
    assert rc.next_milestone("excluded", "severe", None, FIGURES) is None


# --- money ----------------------------------------------------------------------------

def test_the_bundled_plans_keep_money_behind_inspections():
    for plan in FIGURES.plans.values():
        assert abs(sum(t.share for t in plan) - 1) < 1e-9
        behind = sum(t.share for t in plan if t.milestone in FIGURES.inspected)
        assert behind >= 0.3 and plan[-1].share >= 0.15


@pytest.mark.parametrize("entitled", [40000.0, 33333.33, 0.01, 0.0, 55000.0])
def test_tranche_amounts_add_up_to_the_entitlement(entitled):
    for plan in FIGURES.plans.values():
        amounts = rc.tranche_amounts(entitled, plan)
        assert round(sum(amounts.values()), 2) == round(entitled, 2)
        assert all(a >= 0 for a in amounts.values())


def _pay(tranche, *, stage="main_structure", passed=(), paid=None, amount=None, damage="collapsed",
         mode="in_place", category=None):
    return rc.check_payment(stage=stage, damage=damage, rebuild_mode=mode, category=category, tranche=tranche,
                            amount=amount, passed=passed, paid=paid or {}, figures=FIGURES)


def test_a_tranche_is_paid_only_after_its_milestone():
    assert _pay("agreement", stage="agreement_signed")[1] == 12000.0  # 30 % of 40,000
    with pytest.raises(Conflict) as refused:
        _pay("agreement", stage="eligible")
    assert refused.value.field == "tranche"
    with pytest.raises(Conflict) as refused:
        _pay("main_structure", passed={"foundation"})
    assert refused.value.status == 409 and refused.value.detail["milestone"] == "main_structure"
    tranche, amount = _pay("main_structure", passed={"foundation", "main_structure"})
    assert tranche.milestone == "main_structure" and amount == 16000.0


def test_payment_refusals_name_their_field():
    with pytest.raises(Conflict):
        _pay("agreement", stage="agreement_signed", paid={"agreement": 12000.0})
    with pytest.raises(ValidationFailed) as refused:
        _pay("agreement", stage="agreement_signed", amount=12000.01)
    assert refused.value.field == "amount"
    with pytest.raises(ValidationFailed) as refused:
        _pay("agreement", stage="agreement_signed", amount=0)
    assert refused.value.field == "amount"
    with pytest.raises(ValidationFailed) as refused:
        _pay("main_structure", stage="repair_completed", damage="general", mode="repair")
    assert refused.value.field == "tranche"
    with pytest.raises(Conflict):
        _pay("agreement", stage="excluded", mode=None)


def test_the_household_category_raises_the_entitlement():
    assert _pay("agreement", stage="agreement_signed", category="dibao")[1] == 15000.0
    assert _pay("agreement", stage="agreement_signed", category="something else")[1] == 12000.0


def test_the_tranche_invariant_paid_never_exceeds_the_entitlement():
    paid: dict[str, float] = {}
    passed = {"foundation", "main_structure", "completed"}
    for t in FIGURES.plans["rebuild"]:
        paid[t.name] = _pay(t.name, stage="moved_in", passed=passed, paid=paid)[1]
    assert sum(paid.values()) == FIGURES.entitled("collapsed", None)
    for t in FIGURES.plans["rebuild"]:
        with pytest.raises(Conflict):
            _pay(t.name, stage="moved_in", passed=passed, paid=paid)


# --- stalled ----------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["agreement_signed", "started", "foundation", "main_structure", "roofed",
                                   "completed", "repair_started"])
def test_stalled_strictly_after_the_limit(stage):
    limit = timedelta(days=FIGURES.limits_days[stage])
    tick = timedelta(microseconds=1)
    assert not rc.is_stalled(stage, T0, T0 + limit - tick, FIGURES)
    assert not rc.is_stalled(stage, T0, T0 + limit, FIGURES)
    assert rc.is_stalled(stage, T0, T0 + limit + tick, FIGURES)
    assert rc.stalls_at(stage, T0, FIGURES) == T0 + limit


def test_the_suggested_limits_are_the_standards():
    assert {s: FIGURES.limits_days[s] for s in ("agreement_signed", "started", "foundation", "main_structure",
                                                "roofed", "completed")} == {
        "agreement_signed": 30, "started": 30, "foundation": 60, "main_structure": 45, "roofed": 60, "completed": 30}


def test_moved_in_and_excluded_houses_never_stall():
    for stage in ("moved_in", "excluded"):
        assert rc.stalls_at(stage, T0, FIGURES) is None
        assert not rc.is_stalled(stage, T0, T0 + timedelta(days=10_000), FIGURES)


# --- many houses ------------------------------------------------------------------------

def _houses(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(rc.HOUSE_COLUMNS, r)) for r in rows], columns=list(rc.HOUSE_COLUMNS))


def _frames():
    houses = _houses(
        ("H1", "HH1", "C1", "T1", "collapsed", None, "main_structure", T0, "in_place", False),
        ("H2", "HH2", "C1", "T1", "severe", "dibao", "started", T0 - timedelta(days=31), "purchase", True),
        ("H3", "HH3", "C1", "T2", "general", None, "moved_in", T0 - timedelta(days=400), "repair", False),
        ("H4", "HH4", "C1", "T2", "severe", None, "excluded", T0, None, False),
        ("H5", "HH5", "C2", None, "general", None, "eligible", T0 - timedelta(days=30), None, False),
    )
    passes = pd.DataFrame({"house_id": ["H1", "H1", "H3", "H3"],
                           "milestone": ["foundation", "main_structure", "repair_completed", "repair_completed"]})
    payments = pd.DataFrame({"house_id": ["H1", "H3", "H3"], "tranche": ["agreement", "agreement", "completion"],
                             "amount": [12000.0, 1800.0, 4200.0]})
    return houses, passes, payments


def test_house_rows_compute_the_contract_columns():
    houses, passes, payments = _frames()
    rows = rc.house_rows(houses, passes, payments, FIGURES, T0).set_index("house_id")
    assert list(rows.reset_index().columns[:len(rc.ROW_COLUMNS)]) == list(rc.ROW_COLUMNS)
    h1, h2, h3, h4, h5 = (rows.loc[h] for h in ("H1", "H2", "H3", "H4", "H5"))
    assert (h1.entitled, h1.paid, h1.due, h1.next_milestone) == (40000, 12000, 16000, "roofed")
    assert (h2.entitled, h2.paid, h2.due, h2.stalled, h2.days_in_stage) == (38000, 0, 11400, 1, 31)
    assert h2.correction_required == 1 and h2.next_milestone == "foundation"
    assert (h3.entitled, h3.paid, h3.due, h3.stalled) == (6000, 6000, 0, 0) and pd.isna(h3.next_milestone)
    assert (h4.entitled, h4.due, h4.stalled) == (0, 0, 0) and pd.isna(h4.next_milestone)
    assert (h5.stalled, h5.days_in_stage, h5.due, h5.next_milestone) == (0, 30, 0, "agreement_signed")


def test_house_rows_age_with_as_of():
    houses, passes, payments = _frames()
    limit = timedelta(days=FIGURES.limits_days["eligible"])
    before = rc.house_rows(houses, passes, payments, FIGURES, T0 - timedelta(days=30) + limit)
    after = rc.house_rows(houses, passes, payments, FIGURES, T0 - timedelta(days=30) + limit + timedelta(seconds=1))
    assert before.set_index("house_id").loc["H5", "stalled"] == 0
    assert after.set_index("house_id").loc["H5", "stalled"] == 1


def test_house_rows_of_no_houses_have_the_columns():
    empty = rc.house_rows(_houses(), pd.DataFrame(columns=["house_id", "milestone"]),
                          pd.DataFrame(columns=["house_id", "tranche", "amount"]), FIGURES, T0)
    assert empty.empty and set(rc.ROW_COLUMNS) <= set(empty.columns)
    assert rc.summary(empty, "township").empty


def test_summary_by_township_and_county():
    houses, passes, payments = _frames()
    rows = rc.house_rows(houses, passes, payments, FIGURES, T0)
    townships = rc.summary(rows, "township").set_index("township_code", drop=False)
    t1, t2 = townships.loc["T1"], townships.loc["T2"]
    assert (t1.houses, t1.enrolled, t1.started, t1.completed, t1.stalled) == (2, 2, 2, 0, 1)
    assert (t1.started_rate, t1.completed_rate, t1.planned, t1.paid, t1.due) == (1.0, 0.0, 78000, 12000, 27400)
    assert (t2.houses, t2.excluded, t2.enrolled, t2.moved_in, t2.moved_in_rate) == (2, 1, 1, 1, 1.0)
    assert townships["township_code"].isna().sum() == 1  # H5 lies in no township
    counties = rc.summary(rows, "county").set_index("county_code")
    assert counties.loc["C1", "houses"] == 4 and counties.loc["C2", "started_rate"] == 0.0
    with pytest.raises(ValidationFailed) as refused:
        rc.summary(rows, "village")
    assert refused.value.field == "by"


# --- the standards section --------------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    (lambda r: r.pop("tranches"), "reconstruction.tranches"),
    (lambda r: r["tranches"]["rebuild"][0].update(share=0.5), "reconstruction.tranches.rebuild"),
    (lambda r: r["entitlement_yuan"]["collapsed"].pop("default"), "reconstruction.entitlement_yuan.collapsed"),
    (lambda r: r["entitlement_yuan"]["severe"].update(default=-1), "reconstruction.entitlement_yuan.severe.default"),
    (lambda r: r["stage_limit_days"].update(started=0), "reconstruction.stage_limit_days"),
])
def test_a_bad_reconstruction_section_is_named(change, field):
    document = copy.deepcopy(default_document())
    change(document["reconstruction"])
    with pytest.raises(ValidationFailed) as refused:
        validate_document(document)
    assert refused.value.field == field


def test_figures_refuse_milestones_off_the_path():
    section = copy.deepcopy(default_document()["reconstruction"])
    section["tranches"]["repair"][1]["milestone"] = "roofed"
    with pytest.raises(ValidationFailed):
        rc.Figures.from_section(section)
    section = copy.deepcopy(default_document()["reconstruction"])
    section["inspected_milestones"].append("painted")
    with pytest.raises(ValidationFailed):
        rc.Figures.from_section(section)


def test_the_standards_accessors_read_the_section():
    standards = Standards.bundled()
    assert standards.entitlement_yuan("collapsed", "wubao") == FIGURES.entitled("collapsed", "wubao") == 55000
    assert standards.stage_limit_days("moved_in") is None
    assert standards.stage_limit_days("roofed") == 60
