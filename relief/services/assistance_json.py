"""The JSON of living assistance: programmes, cases (staff), the public notice (masked), history, objections.

Public shapes (:func:`public_case`) carry masked names and ID numbers only
(``domain.assistance.mask_name`` / ``mask_id``), never the household id, the
account or an objector's words or contact: the public notice page, its JSON
and the public live event all use them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from relief.domain import assistance as domain
from relief.jsonable import moment, number

if TYPE_CHECKING:
    from relief.store.tables import AssistanceCase, AssistanceProgramme, CaseTransition, Objection


def programme_view(row: AssistanceProgramme | None, programme: domain.Programme, *, version: str,
                   approved: float = 0.0, paid: float = 0.0) -> dict[str, Any]:
    return {
        "code": programme.code, "version": version, "id": None if row is None else row.id,
        "name_zh": programme.name_zh, "name_en": programme.name_en, "purpose": programme.purpose,
        "eligible": dict(programme.eligible),
        "amount": {"per_person_per_day": programme.per_person_per_day, "per_household": programme.per_household,
                   "cap_per_year": programme.cap_per_year},
        "period_days": programme.period_days, "budget_yuan": number(programme.budget_yuan, 2),
        "approved_yuan": number(approved, 2), "paid_yuan": number(paid, 2),
        "budget_left_yuan": None if programme.budget_yuan is None else number(programme.budget_yuan - approved, 2),
    }


def case_view(row: AssistanceCase, *, head_name: str | None, id_number: str | None) -> dict[str, Any]:
    """A case as staff see it (the household's name in full; the ID number still masked)."""
    return {
        "case_id": row.id, "household_id": row.household_id, "head_name": head_name,
        "id_number_masked": domain.mask_id(row.id_number or id_number),
        "programme": row.programme_code, "programme_id": row.programme_id,
        "county_code": row.county_code, "township_code": row.township_code, "village_code": row.village_code,
        "period_start": moment(row.period_start), "period_end": moment(row.period_end),
        "members": row.members, "amount": number(row.amount, 2), "reason": row.reason,
        "stage": row.stage, "stage_since": moment(row.stage_since),
        "notice_starts_at": moment(row.notice_starts_at), "notice_ends_at": moment(row.notice_ends_at),
        "rejection_reason": row.rejection_reason, "payment_failure": row.payment_failure,
        "decided_at": moment(row.decided_at), "paid_at": moment(row.paid_at),
    }


def public_case(row: AssistanceCase, *, head_name: str | None, id_number: str | None) -> dict[str, Any]:
    """A case as the public notice shows it: who (masked), which programme, how much, notice dates."""
    return {
        "case_id": row.id, "name": domain.mask_name(head_name), "id_number": domain.mask_id(row.id_number or id_number),
        "programme": row.programme_code, "township_code": row.township_code, "village_code": row.village_code,
        "members": row.members, "amount": number(row.amount, 2),
        "period_start": moment(row.period_start), "period_end": moment(row.period_end), "stage": row.stage,
        "notice_starts_at": moment(row.notice_starts_at), "notice_ends_at": moment(row.notice_ends_at),
    }


def transition_view(row: CaseTransition, actor_name: str | None) -> dict[str, Any]:
    return {"id": row.id, "action": row.action, "from": row.from_stage, "to": row.to_stage, "at": moment(row.at),
            "by": actor_name, "reason": row.reason}


def objection_view(row: Objection) -> dict[str, Any]:
    """For staff: the objector's words; the contact masked to its last four characters."""
    contact = row.contact or ""
    return {"id": row.id, "text": row.text, "contact": ("*" * max(len(contact) - 4, 0) + contact[-4:]) or None,
            "raised_at": moment(row.raised_at), "outcome": row.outcome, "resolved_at": moment(row.resolved_at),
            "resolution": row.resolution}


def event_payload(view: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    return {"case": dict(view), "change": dict(change)}
