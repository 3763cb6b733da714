"""The demo's living-assistance cases: households whose house collapsed, a few per township, along the chain.

Each township's collapsed-house households (up to :data:`PER_TOWNSHIP`, chosen by
the seed) get one case of a living-cash programme (transitional assistance in the
bundled standards), each at one stage of :data:`STAGE_ORDER` — the order puts the
stages a demo walks through first, so even a township with one or two such
households shows a paid and an on-notice case:

- ``paid``: the whole chain weeks ago, a bank account, a paid line of one payout batch;
- ``on_notice``: published a few days ago, its notice ending after ``as_of``;
- ``approved``: approved days ago with a bank account and no payout line, ready for the bank file;
- ``objection``: on notice with one open objection raised after publishing;
- ``applied``, ``village_reviewed``, ``township_checked``: earlier steps, the check after the notice ended.

At least one case in the demo has an open objection when there are at least two
cases. Every moment is relative to ``as_of`` and never after it; a case's
period starts the day it was applied for and lasts the programme's period.

Pure and deterministic for a given ``seed`` and ``as_of``: one generator of its own
(``SeedSequence(seed, spawn_key=(ASSISTANCE_STREAM,))``). Frames use the ORM column
names (``assistance_cases``, ``assistance_case_transitions``, ``assistance_objections``,
``assistance_accounts``) and ``payout_lines`` (the paid lines, without batch id),
as :mod:`relief.services.demo_assistance` stores them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from relief.domain import assistance as domain
from relief.domain.vocabulary import AreaLevel, CaseAction, CaseStage, HouseDamage, PayoutStatus, PurposeClass

S, A = CaseStage, CaseAction
#: The seed stream of the assistance cases (the region's parts use spawn keys 0…8, the houses 100).
ASSISTANCE_STREAM = 101
PER_TOWNSHIP = 10
STAGE_ORDER = (S.PAID, S.ON_NOTICE, S.APPROVED, S.OBJECTION, S.APPLIED, S.VILLAGE_REVIEWED, S.TOWNSHIP_CHECKED,
               S.PAID, S.ON_NOTICE, S.APPROVED)
#: The path to each stage (the actions taken, in order).
PATHS: dict[str, tuple[str, ...]] = {
    S.APPLIED: (A.APPLY,),
    S.VILLAGE_REVIEWED: (A.APPLY, A.REVIEW),
    S.ON_NOTICE: (A.APPLY, A.REVIEW, A.PUBLISH),
    S.OBJECTION: (A.APPLY, A.REVIEW, A.PUBLISH, A.OBJECT),
    S.TOWNSHIP_CHECKED: (A.APPLY, A.REVIEW, A.PUBLISH, A.CHECK),
    S.APPROVED: (A.APPLY, A.REVIEW, A.PUBLISH, A.CHECK, A.APPROVE),
    S.PAID: (A.APPLY, A.REVIEW, A.PUBLISH, A.CHECK, A.APPROVE, A.PAY),
}
_TARGET = {A.APPLY: S.APPLIED, A.REVIEW: S.VILLAGE_REVIEWED, A.PUBLISH: S.ON_NOTICE, A.OBJECT: S.OBJECTION,
           A.CHECK: S.TOWNSHIP_CHECKED, A.APPROVE: S.APPROVED, A.PAY: S.PAID}
#: Days between steps (uniform ranges); the notice itself lasts the standards' notice_days.
REVIEW_DAYS = (1.0, 3.0)
PUBLISH_DAYS = (0.5, 2.0)
AFTER_NOTICE_DAYS = (0.2, 1.5)
APPROVE_DAYS = (0.5, 3.0)
PAY_DAYS = (2.0, 6.0)
#: How long ago (days before as_of) the last step of a case at each stage was taken.
LAST_STEP_AGO = {S.APPLIED: (0.3, 3.0), S.VILLAGE_REVIEWED: (0.3, 2.0), S.ON_NOTICE: (0.2, 0.8),
                 S.OBJECTION: (0.1, 0.5), S.TOWNSHIP_CHECKED: (0.3, 2.0), S.APPROVED: (0.5, 4.0),
                 S.PAID: (5.0, 25.0)}
BANKS = ("恩施农商银行", "中国农业银行恩施分行", "中国邮政储蓄银行恩施分行")
OBJECTIONS = ("该户房屋仅部分损坏，不应纳入过渡期生活救助。", "该户家庭人口与实际不符，请核实。",
              "该户已在外地购房居住。")


@dataclass(frozen=True)
class DemoAssistance:
    cases: pd.DataFrame
    transitions: pd.DataFrame
    objections: pd.DataFrame
    accounts: pd.DataFrame
    payout_lines: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return {"assistance_cases": len(self.cases), "assistance_objections": len(self.objections),
                "assistance_accounts": len(self.accounts), "assistance_payout_lines": len(self.payout_lines)}


def demo_programme(figures: domain.Figures) -> domain.Programme | None:
    """The living-cash programme the demo's collapsed-house households apply to (None: the standards have none)."""
    for programme in figures.programmes.values():
        damage = programme.eligible.get("house_damage") or ()
        if programme.purpose == PurposeClass.LIVING_CASH and HouseDamage.COLLAPSED in damage:
            return programme
    return None


def _account_no(rng: np.random.Generator) -> str:
    body = "6217" + "".join(str(d) for d in rng.integers(0, 10, 14))
    return body + domain.luhn_check_digit(body)


def build_assistance(households: pd.DataFrame, areas: pd.DataFrame, programme: domain.Programme, *,
                     notice_days: float, seed: int, as_of: datetime, programme_id: int) -> DemoAssistance:
    """Cases of ``programme`` (stored as ``programme_id``) for collapsed-house households, along the chain.

    ``households``: the demo register (``id, head_name, id_number, members, village_code, county_code,
    house_damage``); ``areas``: ``code, parent_code, level`` (a village's parent is its township).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(ASSISTANCE_STREAM,)))
    as_of = as_of.astimezone(timezone.utc)
    villages = areas.loc[areas["level"].to_numpy(dtype=object) == AreaLevel.VILLAGE]
    township_of = dict(zip(villages["code"], villages["parent_code"]))
    lost = households.loc[households["house_damage"].to_numpy(dtype=object) == HouseDamage.COLLAPSED].copy()
    lost["township_code"] = lost["village_code"].map(township_of)
    lost = lost.loc[lost["township_code"].notna() & (pd.to_numeric(lost["members"]) > 0)].sort_values("id")
    chosen: list[tuple[str, pd.Series, str]] = []
    for township, group in lost.groupby("township_code", sort=True):
        picks = rng.permutation(len(group))[:PER_TOWNSHIP]
        for k, i in enumerate(sorted(picks)):
            chosen.append((str(township), group.iloc[i], STAGE_ORDER[k]))
    stages = [c[2] for c in chosen]
    if len(chosen) >= 2 and S.OBJECTION not in stages:
        k = next((i for i, s in enumerate(stages) if s == S.ON_NOTICE), len(stages) - 1)
        chosen[k] = (chosen[k][0], chosen[k][1], S.OBJECTION)

    cases, steps, objections, accounts, lines = [], [], [], [], []
    for township, row, stage in chosen:
        case_id = f"AC-DEMO-{row['id']}"
        path = PATHS[stage]
        moments = _moments(rng, stage, path, as_of, notice_days)
        applied = moments[0]
        start = applied.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=programme.period_days - 1)
        members = int(row["members"])
        amount = domain.amount_for(programme, members, programme.period_days)
        published = moments[path.index(A.PUBLISH)] if A.PUBLISH in path else None
        record: dict[str, Any] = dict(
            id=case_id, household_id=row["id"], programme_id=programme_id, programme_code=programme.code,
            county_code=row["county_code"], township_code=township, village_code=row["village_code"],
            period_start=start, period_end=end, members=members, amount=amount,
            reason=f"house_damage={HouseDamage.COLLAPSED.value};members={members}", id_number=row["id_number"],
            stage=stage.value, stage_since=moments[-1],
            notice_starts_at=published,
            notice_ends_at=None if published is None else domain.notice_end(published, notice_days),
            rejection_reason=None, payment_failure=None,
            decided_at=moments[path.index(A.APPROVE)] if A.APPROVE in path else None,
            paid_at=moments[-1] if stage == S.PAID else None, created_at=applied, updated_at=moments[-1])
        cases.append(record)
        before = None
        for action, at in zip(path, moments):
            steps.append(dict(case_id=case_id, action=action.value, from_stage=before,
                              to_stage=_TARGET[action].value, actor_id=None, at=at, reason=None))
            before = _TARGET[action].value
        if stage == S.OBJECTION:
            objections.append(dict(case_id=case_id, text=OBJECTIONS[int(rng.integers(len(OBJECTIONS)))],
                                   contact=None, raised_at=moments[-1], outcome=None, resolved_at=None,
                                   resolved_by=None, resolution=None))
        if stage in (S.APPROVED, S.PAID):
            account = dict(household_id=row["id"], bank=BANKS[int(rng.integers(len(BANKS)))],
                           account_no=_account_no(rng), holder_name=row["head_name"], updated_at=applied)
            accounts.append(account)
            if stage == S.PAID:
                lines.append(dict(case_id=case_id, household_id=row["id"], amount=amount, bank=account["bank"],
                                  account_no=account["account_no"], holder_name=row["head_name"],
                                  status=PayoutStatus.PAID.value, bank_reason=None, confirmed_at=moments[-1],
                                  batched_at=moments[-2] + (moments[-1] - moments[-2]) / 2))
    return DemoAssistance(_frame(cases, ("id", "household_id", "stage")),
                          _frame(steps, ("case_id", "action", "at")),
                          _frame(objections, ("case_id", "text", "raised_at")),
                          _frame(accounts, ("household_id", "bank", "account_no", "holder_name")),
                          _frame(lines, ("case_id", "household_id", "amount", "status", "confirmed_at", "batched_at")))


def _moments(rng: np.random.Generator, stage: str, path: tuple[str, ...], as_of: datetime,
             notice_days: float) -> list[datetime]:
    """The moment of each step of ``path``, worked backwards from the last (taken ``LAST_STEP_AGO`` before
    ``as_of``): a check comes after the notice ended; an objection while it runs; a notice still running at
    ``as_of`` for a case on notice."""
    def days(bounds: tuple[float, float]) -> timedelta:
        return timedelta(days=float(rng.uniform(*bounds)))

    if stage == S.ON_NOTICE:  # published so that the notice still runs
        last = as_of - timedelta(days=float(rng.uniform(0.2, max(notice_days - 1.0, 0.3))))
    else:
        last = as_of - days(LAST_STEP_AGO[stage])
    at = [last]
    gap = {A.PAY: PAY_DAYS, A.APPROVE: APPROVE_DAYS, A.PUBLISH: PUBLISH_DAYS, A.REVIEW: REVIEW_DAYS}
    for later in reversed(path[1:]):
        if later == A.CHECK:
            step = timedelta(days=notice_days) + days(AFTER_NOTICE_DAYS)
        elif later == A.OBJECT:
            step = timedelta(days=float(rng.uniform(0.2, min(1.0, notice_days))))
        else:
            step = days(gap.get(later, REVIEW_DAYS))
        at.append(at[-1] - step)
    return [_minute(m) for m in reversed(at)]


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _frame(records: list[dict[str, Any]], columns: tuple[str, ...]) -> pd.DataFrame:
    if records:
        return pd.DataFrame(records)
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
