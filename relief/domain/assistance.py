"""Living assistance (生活救助): programmes, the review-and-notice chain of a case, eligibility, amounts, masks.

A case (one household, one programme, one period) moves along one table,
:data:`STEPS` (stage × action → stage, with the permission whose roles may
take the step)::

    applied → village_reviewed → on_notice → township_checked → approved → paid
    applied | village_reviewed | on_notice | township_checked → rejected (reason)
    on_notice → objection (anyone, during the notice) → rejected (upheld) | on_notice (dismissed)
    approved → approved (payment_failed: the bank's reason; the case waits for the next batch)

The notice lasts the standards' ``notice_days``; a case is checked only once
its notice has ended (at the end exactly it may be), judged against an
explicit ``now``. Programmes, the notice period and the food cost per person
per day come from the standards' ``assistance`` section (:class:`Figures`);
eligibility and amounts are vectorised over a households frame, each eligible
household with the reason it is. Identity numbers are checked by the GB 11643
check character, bank account numbers by their Luhn check digit, and public
lists show names and ID numbers masked (张*明, 4228**********1234).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from relief.domain.disclosure import mask_id_number
from relief.domain.roles import PERMISSIONS
from relief.domain.vocabulary import (
    ASSISTANCE_CATEGORIES,
    CASE_ACTIONS,
    HOUSE_DAMAGE,
    PURPOSE_CLASSES,
    RELOCATED_SHELTERS,
    CaseAction,
    CaseStage,
)
from relief.errors import Forbidden, TransitionRefused, ValidationFailed

S, A = CaseStage, CaseAction

READ = "assistance.read"
APPLY = "assistance.apply"
REVIEW = "assistance.review"
CHECK = "assistance.check"
APPROVE = "assistance.approve"
PAY = "assistance.pay"


@dataclass(frozen=True)
class Step:
    """One row of the table: ``action`` takes a case in ``source`` to ``target``; ``permission`` None: anyone."""

    action: str
    source: str
    target: str
    permission: str | None

    @property
    def roles(self) -> frozenset[str] | None:
        return None if self.permission is None else PERMISSIONS[self.permission]


STEPS: tuple[Step, ...] = (
    Step(A.REVIEW, S.APPLIED, S.VILLAGE_REVIEWED, REVIEW),
    Step(A.PUBLISH, S.VILLAGE_REVIEWED, S.ON_NOTICE, REVIEW),
    Step(A.CHECK, S.ON_NOTICE, S.TOWNSHIP_CHECKED, CHECK),
    Step(A.APPROVE, S.TOWNSHIP_CHECKED, S.APPROVED, APPROVE),
    Step(A.PAY, S.APPROVED, S.PAID, PAY),
    Step(A.PAYMENT_FAILED, S.APPROVED, S.APPROVED, PAY),
    Step(A.REJECT, S.APPLIED, S.REJECTED, REVIEW),
    Step(A.REJECT, S.VILLAGE_REVIEWED, S.REJECTED, REVIEW),
    Step(A.REJECT, S.ON_NOTICE, S.REJECTED, CHECK),
    Step(A.REJECT, S.TOWNSHIP_CHECKED, S.REJECTED, APPROVE),
    Step(A.OBJECT, S.ON_NOTICE, S.OBJECTION, None),
    Step(A.UPHOLD, S.OBJECTION, S.REJECTED, CHECK),
    Step(A.DISMISS, S.OBJECTION, S.ON_NOTICE, CHECK),
)
_BY_KEY: dict[tuple[str, str], Step] = {(s.action, s.source): s for s in STEPS}
#: Actions that need a reason (a rejection, a ruling on an objection, a bank's refusal).
NEEDS_REASON = frozenset({A.REJECT, A.UPHOLD, A.DISMISS, A.PAYMENT_FAILED, A.OBJECT})
#: Actions a transition request may name (objections and payouts have their own ways in).
REQUESTABLE = tuple(a for a in CASE_ACTIONS if a not in (A.APPLY, A.OBJECT, A.PAY, A.PAYMENT_FAILED))
FINAL_STAGES = frozenset({S.PAID, S.REJECTED})
#: Stages a public notice shows (公示 and 三公开): from the notice on, rejected cases excepted.
PUBLIC_STAGES = (S.ON_NOTICE.value, S.OBJECTION.value, S.TOWNSHIP_CHECKED.value, S.APPROVED.value, S.PAID.value)
#: Stages that hold a household's claim on a programme's period (a second overlapping case is refused).
LIVE_STAGES = tuple(s.value for s in S if s != S.REJECTED)
#: Stages whose money counts as approved against the budget.
APPROVED_STAGES = (S.APPROVED.value, S.PAID.value)


def check_action(action: Any, field: str = "action") -> str:
    if action not in CASE_ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(CASE_ACTIONS)}", field=field)
    return action


def allowed_actions(stage: str, role: str | None) -> list[str]:
    """The actions ``role`` may take on a case in ``stage`` (None: an anonymous caller), table order."""
    return [s.action for s in STEPS if s.source == stage and (s.roles is None or (role is not None and role in
                                                                                  s.roles))]


@dataclass(frozen=True)
class Decision:
    action: str
    source: str
    target: str


def transition(stage: str, action: Any, role: str | None, *, now: datetime, notice_ends_at: datetime | None,
               reason: str | None = None, open_objections: int = 0) -> Decision:
    """Whether ``role`` may take ``action`` on a case in ``stage`` at ``now``, and where it leads.

    Raises :class:`ValidationFailed` (an unknown action, a missing reason), :class:`Forbidden` (the role may
    never take this action from this stage), :class:`TransitionRefused` (the action does not follow from
    ``stage``, field ``action``; a check before the notice ended, field ``notice_ends_at``).
    """
    check_action(action)
    step = _BY_KEY.get((action, stage))
    if step is None:
        options = sorted({s.action for s in STEPS if s.source == stage})
        raise TransitionRefused(f"a case that is {stage} cannot be taken through {action}; "
                                f"next: {', '.join(options) or 'none'}", field="action",
                                detail={"stage": stage, "requested": action, "allowed_actions": options})
    if step.roles is not None and (role is None or role not in step.roles):
        raise Forbidden(f"role {role!r} may not {action} a case that is {stage}", field="role")
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise ValidationFailed(f"{action} needs a reason", field="reason")
    if action == A.CHECK:
        if notice_ends_at is None or now < notice_ends_at:
            raise TransitionRefused("the case cannot be checked before its public notice ends"
                                    + (f" ({notice_ends_at.isoformat()})" if notice_ends_at else ""),
                                    field="notice_ends_at", detail={"notice_ends_at": notice_ends_at})
        if open_objections:
            raise TransitionRefused("an objection against the case is still open", field="objection")
    return Decision(action, stage, step.target)


def notice_end(start: datetime, notice_days: float) -> datetime:
    return start + timedelta(days=notice_days)


# --- figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Programme:
    """One programme as the standards (or an imported ``programmes.json``) define it."""

    code: str
    name_zh: str
    name_en: str
    purpose: str
    eligible: Mapping[str, Any]
    per_person_per_day: float
    per_household: float
    cap_per_year: float | None
    period_days: int
    budget_yuan: float | None

    def rule(self) -> dict[str, Any]:
        """The programme as stored (``assistance_programmes.rule``)."""
        return {"eligible": dict(self.eligible),
                "amount": {"per_person_per_day": self.per_person_per_day, "per_household": self.per_household,
                           "cap_per_year": self.cap_per_year},
                "period_days": self.period_days, "budget_yuan": self.budget_yuan}


_ELIGIBLE_KEYS = ("house_damage", "relocated", "categories", "min_members")


def _money(value: Any, field: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ValidationFailed("must be a non-negative number of yuan", field=field)
    return float(value)


def programme_of(raw: Any, field: str) -> Programme:
    """A programme from its document form, each refusal naming the part (``field`` is where it sits)."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("a programme must be a JSON object", field=field)
    for key in ("code", "name_zh", "name_en", "purpose", "eligible", "amount", "period_days"):
        if key not in raw:
            raise ValidationFailed(f"a programme needs {key!r}", field=f"{field}.{key}")
    code = raw["code"]
    if not isinstance(code, str) or not 0 < len(code) <= 40 or not code.replace("_", "").isalnum():
        raise ValidationFailed("code must be 1–40 letters, digits or _", field=f"{field}.code")
    for key in ("name_zh", "name_en"):
        if not isinstance(raw[key], str) or not 0 < len(raw[key].strip()) <= 120:
            raise ValidationFailed(f"{key} must be text of 1 to 120 characters", field=f"{field}.{key}")
    if raw["purpose"] not in PURPOSE_CLASSES:
        raise ValidationFailed(f"purpose must be one of {', '.join(PURPOSE_CLASSES)}", field=f"{field}.purpose")
    eligible = raw["eligible"]
    if not isinstance(eligible, Mapping) or any(k not in _ELIGIBLE_KEYS for k in eligible):
        raise ValidationFailed(f"eligible is a rule of {', '.join(_ELIGIBLE_KEYS)}", field=f"{field}.eligible")
    for key, words in (("house_damage", HOUSE_DAMAGE), ("categories", ASSISTANCE_CATEGORIES)):
        chosen = eligible.get(key)
        if chosen is not None and (not isinstance(chosen, list) or not chosen or any(w not in words for w in chosen)):
            raise ValidationFailed(f"{key} must be a non-empty list of {', '.join(words)}",
                                   field=f"{field}.eligible.{key}")
    if eligible.get("relocated") not in (None, True, False):
        raise ValidationFailed("relocated must be true or false", field=f"{field}.eligible.relocated")
    members = eligible.get("min_members")
    if members is not None and (isinstance(members, bool) or not isinstance(members, int) or members < 1):
        raise ValidationFailed("min_members must be a whole number ≥ 1", field=f"{field}.eligible.min_members")
    amount = raw["amount"]
    if not isinstance(amount, Mapping):
        raise ValidationFailed("amount must be a JSON object", field=f"{field}.amount")
    per_person = _money(amount.get("per_person_per_day", 0), f"{field}.amount.per_person_per_day")
    per_household = _money(amount.get("per_household", 0), f"{field}.amount.per_household")
    cap = _money(amount.get("cap_per_year"), f"{field}.amount.cap_per_year", optional=True)
    if per_person == 0 and per_household == 0:
        raise ValidationFailed("a programme pays per person per day, per household or both",
                               field=f"{field}.amount")
    days = raw["period_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 366:
        raise ValidationFailed("period_days must be a whole number of days from 1 to 366", field=f"{field}.period_days")
    budget = _money(raw.get("budget_yuan"), f"{field}.budget_yuan", optional=True)
    return Programme(code, raw["name_zh"].strip(), raw["name_en"].strip(), raw["purpose"], dict(eligible),
                     per_person, per_household, cap, days, budget)


def programme_from_row(code: str, name_zh: str, name_en: str, purpose: str, rule: Mapping[str, Any]) -> Programme:
    """A stored programme (``assistance_programmes``) back as a :class:`Programme`."""
    return programme_of({"code": code, "name_zh": name_zh, "name_en": name_en, "purpose": purpose, **rule},
                        f"programme {code}")


@dataclass(frozen=True)
class Figures:
    """The ``assistance`` section of the standards, checked."""

    notice_days: float
    food_yuan_per_person_day: float
    programmes: Mapping[str, Programme]

    @classmethod
    def of(cls, standards) -> "Figures":
        return cls.from_section(standards.assistance)

    @classmethod
    def from_section(cls, section: Any) -> "Figures":
        where = "assistance"
        if not isinstance(section, Mapping):
            raise ValidationFailed("assistance must be a JSON object", field=where)
        notice = section.get("notice_days", 7)
        if isinstance(notice, bool) or not isinstance(notice, (int, float)) or not 0 < notice <= 90:
            raise ValidationFailed("notice_days must be a number of days from 1 to 90", field=f"{where}.notice_days")
        food = section.get("food_yuan_per_person_day")
        if isinstance(food, bool) or not isinstance(food, (int, float)) or not 0 < food < math.inf:
            raise ValidationFailed("food_yuan_per_person_day must be a positive number",
                                   field=f"{where}.food_yuan_per_person_day")
        raw = section.get("programmes", [])
        if not isinstance(raw, list):
            raise ValidationFailed("programmes must be a list", field=f"{where}.programmes")
        programmes = {}
        for i, entry in enumerate(raw):
            programme = programme_of(entry, f"{where}.programmes[{i}]")
            if programme.code in programmes:
                raise ValidationFailed(f"programme {programme.code!r} appears twice", field=f"{where}.programmes[{i}]")
            programmes[programme.code] = programme
        return cls(float(notice), float(food), programmes)


# --- amounts ----------------------------------------------------------------------------

def period_days(start: datetime, end: datetime) -> int:
    """Days a period covers, both ends counted by the day (a 1 June – 30 June period: 30 days)."""
    return (end.date() - start.date()).days + 1


def amount_for(programme: Programme, members: int, days: int, paid_this_year: float = 0.0) -> float:
    """The most a case may pay: per person per day × members × days + per household, within the year's cap."""
    amount = programme.per_person_per_day * members * days + programme.per_household
    if programme.cap_per_year is not None:
        amount = min(amount, max(programme.cap_per_year - paid_this_year, 0.0))
    return round(amount, 2)


def check_period(programme: Programme, start: datetime, end: datetime | None) -> tuple[datetime, datetime, int]:
    """``(start, end, days)``; the end defaults to the programme's full period, and may not exceed it."""
    if end is None:
        end = start + timedelta(days=programme.period_days - 1)
    if end < start:
        raise ValidationFailed("period_end is before period_start", field="period_end")
    days = period_days(start, end)
    if days > programme.period_days:
        raise ValidationFailed(f"the period is {days} days; {programme.code} covers at most {programme.period_days}",
                               field="period_end")
    return start, end, days


def check_amount(requested: float | None, allowed: float) -> float:
    if requested is None:
        return allowed
    if requested <= 0:
        raise ValidationFailed("amount must be greater than zero", field="amount")
    if requested > allowed + 1e-9:
        raise ValidationFailed(f"amount {requested:,.2f} is over the programme's rule ({allowed:,.2f} yuan)",
                               field="amount", detail={"allowed": allowed})
    return round(float(requested), 2)


def food_days(amount: float, members: int, food_yuan_per_person_day: float) -> float:
    """Days of food a living-cash payment covers for the household."""
    if members <= 0:
        return 0.0
    return amount / food_yuan_per_person_day / members


# --- eligibility over the register ------------------------------------------------------

#: What :func:`eligible` reads of each household.
HOUSEHOLD_COLUMNS = ("household_id", "members", "house_damage", "shelter", "assistance_category")
PROPOSAL_COLUMNS = ("household_id", "county_code", "township_code", "village_code", "members", "amount",
                    "period_start", "period_end", "reason")


def eligible(households: pd.DataFrame, programme: Programme) -> pd.DataFrame:
    """The households ``programme``'s rule admits, with the reason each is eligible.

    Vectorised; returns the eligible rows of ``households`` (its columns kept) plus ``reason``: the
    conditions met, as ``key=value`` joined by ``;`` (``house_damage=collapsed;members=4``).
    """
    missing = [c for c in HOUSEHOLD_COLUMNS if c not in households.columns]
    if missing:
        raise ValueError(f"households frame lacks {missing}")
    n = len(households)
    keep = np.ones(n, dtype=bool)
    parts: list[np.ndarray] = []
    rule = programme.eligible
    damage = households["house_damage"].to_numpy(dtype=object)
    if rule.get("house_damage"):
        keep &= np.isin(damage, list(rule["house_damage"]))
        parts.append(np.char.add("house_damage=", damage.astype(str)))
    shelter = households["shelter"].to_numpy(dtype=object)
    if rule.get("relocated") is not None:
        away = np.isin(shelter, list(RELOCATED_SHELTERS))
        keep &= away if rule["relocated"] else ~away
        parts.append(np.char.add("shelter=", shelter.astype(str)))
    category = households["assistance_category"].to_numpy(dtype=object)
    if rule.get("categories"):
        keep &= np.isin(category, list(rule["categories"]))
        parts.append(np.char.add("category=", category.astype(str)))
    members = pd.to_numeric(households["members"], errors="coerce").fillna(0).to_numpy(dtype="int64")
    keep &= members >= int(rule.get("min_members") or 1)
    parts.append(np.char.add("members=", members.astype(str)))
    out = households.loc[keep].copy()
    reason = parts[0][keep]
    for part in parts[1:]:
        reason = np.char.add(np.char.add(reason, ";"), part[keep])
    out["reason"] = reason.astype(object)
    return out.reset_index(drop=True)


def propose(households: pd.DataFrame, covered: Iterable[str], programme: Programme, period_start: datetime,
            paid_this_year: pd.Series | None = None) -> pd.DataFrame:
    """Cases to propose: each eligible household not yet covered for the period, its amount and reason.

    ``covered``: household ids that already hold a live case of the programme overlapping the period;
    ``paid_this_year``: amounts already decided this year per household (for the year's cap).
    """
    start, end, days = check_period(programme, period_start, None)
    chosen = eligible(households, programme)
    chosen = chosen.loc[~chosen["household_id"].isin(pd.Index(list(covered)))].reset_index(drop=True)
    members = pd.to_numeric(chosen["members"]).to_numpy(dtype=float)
    amount = programme.per_person_per_day * members * days + programme.per_household
    if programme.cap_per_year is not None:
        already = np.zeros(len(chosen)) if paid_this_year is None else (
            chosen["household_id"].map(paid_this_year).fillna(0.0).to_numpy(dtype=float))
        amount = np.minimum(amount, np.maximum(programme.cap_per_year - already, 0.0))
    chosen["amount"] = np.round(amount, 2)
    chosen["members"] = members.astype("int64")
    chosen["period_start"], chosen["period_end"] = start, end
    chosen = chosen.loc[chosen["amount"] > 0].reset_index(drop=True)
    for column in PROPOSAL_COLUMNS:
        if column not in chosen.columns:
            chosen[column] = None
    return chosen[list(PROPOSAL_COLUMNS)]


# --- identity and accounts ---------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def check_id_number(value: Any, field: str = "id_number") -> str:
    """An 18-character resident ID number whose last character is its GB 11643 check character."""
    text = (value or "").strip().upper() if isinstance(value, str) else None
    if not text or len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValidationFailed("an ID number is 17 digits and a check character (digit or X)", field=field)
    if id_check_character(text[:17]) != text[17]:
        raise ValidationFailed("the ID number's check character is wrong (GB 11643)", field=field)
    return text


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body`` + it pass the Luhn check (for building test and demo numbers)."""
    return next(d for d in "0123456789" if luhn_valid(body + d))


def check_account_number(value: Any, field: str = "account_no") -> str:
    """A bank card / account number: 12–19 digits (spaces allowed) ending in its Luhn check digit."""
    text = "".join(value.split()) if isinstance(value, str) else ""
    if not text.isdigit() or not 12 <= len(text) <= 19:
        raise ValidationFailed("an account number is 12 to 19 digits", field=field)
    if not luhn_valid(text):
        raise ValidationFailed("the account number's check digit is wrong", field=field)
    return text


# --- what the public sees -----------------------------------------------------------------

def mask_name(name: str | None) -> str:
    """张*明: the first and last characters with one star between (two characters: 张*); length stays hidden."""
    value = (name or "").strip()
    if len(value) <= 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" + value[-1]


def mask_id(id_number: str | None) -> str | None:
    """4228**********1234 (``disclosure.mask_id_number``); None when there is none."""
    return mask_id_number(id_number) if id_number else None


def mask_account(account_no: str | None) -> str | None:
    """Only the last four digits of an account."""
    if not account_no:
        return None
    return "*" * max(len(account_no) - 4, 0) + account_no[-4:]
