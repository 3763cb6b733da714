"""Assistance use cases: the chain with notice and objections, refusals naming the field, payouts once,
masked public answers and events, programmes kept by version, and the import files."""
from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from relief.errors import Conflict, Forbidden, ImportRejected, NotFound, TransitionRefused, ValidationFailed
from relief.services import assistance as service
from relief.services import importer
from relief.store.tables import AssistanceCase, AuditEntry, CaseTransition
from tests import assistance_world as aw

FULL = ("张三明", "李小红", aw.id_number(1), aw.id_number(2))


@pytest.fixture
def world(store):
    aw.build(store)
    return store


def _stage(store, case_id):
    with store.read() as session:
        return session.get(AssistanceCase, case_id).stage


def _no_full_identity(value) -> None:
    text = json.dumps(value, ensure_ascii=False, default=str)
    for secret in FULL:
        assert secret not in text, secret


def test_the_chain_with_an_objection_dismissed(world):
    published: list = []
    case_id = aw.apply(world, account={"bank": aw.BANK, "account_no": aw.account_number(1), "holder_name": "张三明"})
    aw.to_notice(world, case_id)
    with pytest.raises(TransitionRefused) as caught:  # a day before the notice ends
        service.transition(aw.as_role(world, "township_clerk", at=aw.after_notice(6)), case_id, {"action": "check"})
    assert caught.value.field == "notice_ends_at"
    service.object_to(aw.as_role(world, None, at=aw.after_notice(2), published=published), case_id,
                      {"text": "他家房子没有倒", "contact": "13800001234"})
    assert _stage(world, case_id) == "objection"
    with pytest.raises(TransitionRefused):  # waits until the objection is heard
        service.transition(aw.as_role(world, "township_clerk", at=aw.after_notice(8)), case_id, {"action": "check"})
    service.transition(aw.as_role(world, "township_clerk", at=aw.after_notice(3), published=published), case_id,
                       {"action": "dismiss", "reason": "实地查看，房屋倒塌属实"})
    assert _stage(world, case_id) == "on_notice"
    service.transition(aw.as_role(world, "township_clerk", at=aw.after_notice(7)), case_id, {"action": "check"})
    answer = service.transition(aw.as_role(world, "commander", at=aw.after_notice(8), published=published), case_id,
                                {"action": "approve"})
    assert answer["case"]["stage"] == "approved" and answer["case"]["amount"] == 20 * 3 * 90
    with world.read() as session:
        history = session.scalars(select(CaseTransition.action).where(CaseTransition.case_id == case_id)
                                  .order_by(CaseTransition.id)).all()
        audits = session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.entity_id == case_id))
    assert history == ["apply", "review", "publish", "object", "dismiss", "check", "approve"]
    assert audits == len(history)
    public = [e for e in published if e["public"]]
    assert public and all(e["kind"] == "notice.changed" for e in public)
    _no_full_identity([e["payload"] for e in public])
    assert public[0]["payload"]["case"]["name"] == "张*明"
    staff = [e for e in published if not e["public"]]
    assert staff and staff[0]["payload"]["case"]["head_name"] == "张三明"  # staff see the name


def test_an_objection_upheld_rejects_the_case(world):
    case_id = aw.apply(world)
    aw.to_notice(world, case_id)
    service.object_to(aw.as_role(world, None), case_id, {"text": "重复申报"})
    service.object_to(aw.as_role(world, None), case_id, {"text": "另一条意见"})  # a second one joins the first
    service.transition(aw.as_role(world, "township_clerk"), case_id, {"action": "uphold", "reason": "查实"})
    detail = service.case_detail(aw.as_role(world, "township_clerk"), case_id)
    assert detail["stage"] == "rejected" and detail["rejection_reason"] == "查实"
    assert [o["outcome"] for o in detail["objections"]] == ["upheld", "upheld"]
    with pytest.raises(TransitionRefused):  # no objection outside the notice
        service.object_to(aw.as_role(world, None), case_id, {"text": "x"})


def test_out_of_order_and_wrong_role_are_refused_with_nothing_written(world):
    case_id = aw.apply(world)
    with pytest.raises(TransitionRefused) as caught:
        service.transition(aw.as_role(world, "commander"), case_id, {"action": "approve"})
    assert caught.value.field == "action"
    with pytest.raises(Forbidden):
        service.transition(aw.as_role(world, "commander"), case_id, {"action": "review"})
    with pytest.raises(ValidationFailed) as caught:
        service.transition(aw.as_role(world, "admin"), case_id, {"action": "fly"})
    assert caught.value.field == "action"
    assert _stage(world, case_id) == "applied"


@pytest.mark.parametrize("extra, error, field", [
    ({"amount": 5400.01}, ValidationFailed, "amount"),
    ({"id_number": aw.id_number(1)[:-1] + ("0" if aw.id_number(1)[-1] != "0" else "1")}, ValidationFailed,
     "id_number"),
    ({"account": {"bank": "b", "account_no": "6217000000000000013", "holder_name": "张三明"}}, ValidationFailed,
     "account.account_no"),
    ({"period_end": (aw.T0 + timedelta(days=120)).isoformat()}, ValidationFailed, "period_end"),
    ({"programme": "lottery"}, ValidationFailed, "programme"),
    ({"household_id": "HH3"}, Conflict, "household_id"),
    ({"household_id": "NOPE"}, NotFound, "household_id"),
])
def test_bad_applications_name_the_field_and_write_nothing(world, extra, error, field):
    with pytest.raises(error) as caught:
        aw.apply(world, **extra)
    assert caught.value.field == field
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(AssistanceCase)) == 0


def test_a_second_overlapping_case_is_refused_a_later_period_is_not(world):
    aw.apply(world)
    with pytest.raises(Conflict) as caught:
        aw.apply(world, period_start=(aw.T0 + timedelta(days=30)).isoformat())
    assert caught.value.field == "period_start"
    aw.apply(world, period_start=(aw.T0 + timedelta(days=90)).isoformat())


def _approved(store, household="HH1", serial=1) -> str:
    case_id = aw.apply(store, household, account={"bank": aw.BANK, "account_no": aw.account_number(serial),
                                                  "holder_name": "户主"})
    aw.to_notice(store, case_id)
    service.transition(aw.as_role(store, "township_clerk", at=aw.after_notice()), case_id, {"action": "check"})
    service.transition(aw.as_role(store, "commander", at=aw.after_notice()), case_id, {"action": "approve"})
    return case_id


def test_a_confirmation_pays_once_and_a_failed_line_goes_back_to_approved(world):
    paid_case, failed_case = _approved(world, "HH1", 1), _approved(world, "HH2", 2)
    batch_id, lines, skipped = service.make_batch(aw.as_role(world, "commander"))
    assert batch_id and len(lines) == 2 and skipped == 0
    assert service.make_batch(aw.as_role(world, "commander"))[0] is None  # nothing waits: both lines are pending
    answer = lines.assign(result=["paid" if c == paid_case else "failed" for c in lines["case_id"]],
                          reason=["" if c == paid_case else "账户已销户" for c in lines["case_id"]])
    assert service.confirm(aw.as_role(world, "commander"), answer) == {"paid": 1, "failed": 1, "unchanged": 0}
    assert service.confirm(aw.as_role(world, "commander"), answer) == {"paid": 0, "failed": 0, "unchanged": 2}
    assert _stage(world, paid_case) == "paid" and _stage(world, failed_case) == "approved"
    detail = service.case_detail(aw.as_role(world, "admin"), failed_case)
    assert detail["payment_failure"] == "账户已销户"
    again_id, again, _ = service.make_batch(aw.as_role(world, "commander"))  # the failed case goes again
    assert again["case_id"].tolist() == [failed_case]
    programmes = {p["code"]: p for p in service.list_programmes(aw.as_role(world, None))["programmes"]}
    assert programmes["transitional"]["paid_yuan"] == 5400.0
    assert programmes["transitional"]["approved_yuan"] == 5400.0 + 20 * 5 * 90


def test_a_confirmation_with_a_bad_line_changes_nothing(world):
    _approved(world)
    _, lines, _ = service.make_batch(aw.as_role(world, "commander"))
    bad = pd.concat([lines.assign(result="paid"), lines.assign(result="maybe")])
    with pytest.raises(ImportRejected) as caught:
        service.confirm(aw.as_role(world, "commander"), bad, file="bank.csv")
    assert (caught.value.row, caught.value.column) == (3, "result")
    assert _stage(world, lines["case_id"].iloc[0]) == "approved"


def test_public_notice_is_masked(world):
    case_id = aw.apply(world)
    assert service.public_notice(aw.as_role(world, None), aw.WEST)["cases"] == []  # not on notice yet
    aw.to_notice(world, case_id)
    notice = service.public_notice(aw.as_role(world, None), aw.WEST)
    assert [c["name"] for c in notice["cases"]] == ["张*明"]
    assert notice["cases"][0]["id_number"] == aw.id_number(1)[:4] + "*" * 10 + aw.id_number(1)[-4:]
    _no_full_identity(notice)
    assert "household_id" not in notice["cases"][0]


def test_cases_keep_the_programme_version_they_were_decided_under(world):
    first = aw.apply(world)
    ctx = aw.as_role(world, "township_clerk")
    document = json.loads(json.dumps(ctx.standards.document))
    document["version"] = "2027.1"
    document["assistance"]["programmes"][0]["amount"]["per_person_per_day"] = 25
    from relief.domain.standards import Standards

    ctx.standards_loader = lambda: Standards(document)
    second = service.create_case(ctx, {"household_id": "HH2", "programme": "transitional",
                                       "period_start": aw.T0.isoformat()})["case"]
    assert second["amount"] == 25 * 5 * 90
    with world.read() as session:
        ids = {c.id: c.programme_id for c in session.scalars(select(AssistanceCase))}
    assert ids[first] != ids[second["case_id"]]


def test_propose_and_apply(world):
    ctx = aw.as_role(world, "township_clerk")
    proposals = service.propose(ctx, "transitional", aw.T0)
    assert proposals["household_id"].tolist() == ["HH1", "HH2"]
    filed = service.propose(ctx, "transitional", aw.T0, apply=True)
    assert len(filed["case_id"]) == 2
    assert service.propose(ctx, "transitional", aw.T0).empty  # now covered


def test_import_reads_programmes_cases_and_accounts(world, ctx, tmp_path):
    folder = tmp_path / "register"
    folder.mkdir()
    (folder / "programmes.json").write_text(json.dumps({"version": "county-2026", "programmes": [{
        "code": "flood_2026", "name_zh": "洪灾生活救助", "name_en": "Flood living aid", "purpose": "living_cash",
        "eligible": {"house_damage": ["collapsed"]}, "amount": {"per_household": 500}, "period_days": 30}]}),
        "utf-8")
    pd.DataFrame({"case_id": ["C1", "C2"], "household_id": ["HH1", "HH2"], "programme": ["flood_2026",
                                                                                        "transitional"],
                  "period_start": [aw.T0.isoformat()] * 2, "period_end": [(aw.T0 + timedelta(days=29)).isoformat()] * 2,
                  "stage": ["approved", "applied"], "amount": ["500", "3000"],
                  "decided_at": [aw.T0.isoformat(), ""]}).to_csv(folder / "cases.csv", index=False)
    pd.DataFrame({"household_id": ["HH1"], "bank": [aw.BANK], "account_no": [aw.account_number(1)],
                  "holder_name": ["张三明"]}).to_csv(folder / "accounts.csv", index=False)
    ctx.store = world
    result = importer.import_register(ctx, folder)
    assert result.inserted["cases"] == 2 and result.updated["accounts"] == 1
    again = importer.import_register(ctx, folder)  # safe to load twice
    assert again.inserted["cases"] == 0 and again.skipped["cases"] == 2
    _, lines, _ = service.make_batch(aw.as_role(world, "commander"))
    assert lines["case_id"].tolist() == ["C1"]


@pytest.mark.parametrize("file, frame, row, column", [
    ("accounts.csv", {"household_id": ["HH1"], "bank": ["b"], "account_no": ["6217000000000000013"],
                      "holder_name": ["x"]}, 2, "account_no"),
    ("cases.csv", {"case_id": ["C1"], "household_id": ["HH1"], "programme": ["transitional"],
                   "period_start": [aw.T0.isoformat()], "period_end": [aw.T0.isoformat()], "stage": ["applied"],
                   "amount": ["61"], "decided_at": [""]}, 2, "amount"),
    ("cases.csv", {"case_id": ["C1", "C2"], "household_id": ["HH1", "HH1"], "programme": ["transitional"] * 2,
                   "period_start": [aw.T0.isoformat()] * 2, "period_end": [aw.T0.isoformat()] * 2,
                   "stage": ["applied"] * 2, "amount": ["60"] * 2, "decided_at": [""] * 2}, 3, "period_start"),
])
def test_import_refuses_a_bad_row_naming_it(world, ctx, tmp_path, file, frame, row, column):
    folder = tmp_path / "bad"
    folder.mkdir()
    pd.DataFrame(frame).to_csv(folder / file, index=False)
    ctx.store = world
    with pytest.raises(ImportRejected) as caught:
        importer.import_register(ctx, folder)
    assert (caught.value.file, caught.value.row, caught.value.column) == (file, row, column)
    with world.read() as session:
        assert session.scalar(select(func.count()).select_from(AssistanceCase)) == 0
