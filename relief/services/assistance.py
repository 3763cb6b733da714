"""Living assistance use cases: programmes, cases through review and public notice, objections, payouts.

Each write loads what it needs (the case locked), asks :mod:`relief.domain.assistance`, writes in one
transaction — a history row and an audit row per step — and publishes after commit on the ``assistance``
topic: ``case.changed`` for staff (names in full) and, when the case is or was on a public list,
``notice.changed`` for the public with masked data only (``assistance_json.public_case``).

Programmes come from the standards in force: every write first makes sure the programmes of the standards
version in force are stored under that version (``sync``), and a case keeps the programme row it was decided
under. Writes are made resend-safe by the web layer (``web/resend.answer_once``); two approvals racing for
one case serialise on the case's lock and the second is refused (409).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping

import pandas as pd

from relief.domain import assistance as domain
from relief.domain.audience import Audience
from relief.domain.vocabulary import CASE_STAGES, CaseAction, CaseStage, ObjectionOutcome, PayoutStatus, Topic
from relief.errors import Conflict, NotFound, TransitionRefused, ValidationFailed
from relief.services import aid_guard, fields
from relief.services import assistance_json as shapes
from relief.services.context import Context, Unit
from relief.store import assistance as store

if TYPE_CHECKING:
    from relief.store.tables import AssistanceCase, AssistanceProgramme

A, S = CaseAction, CaseStage
MAX_REASON = 2000
MAX_OBJECTION = 2000


def figures(ctx: Context) -> domain.Figures:
    return domain.Figures.of(ctx.standards)


# --- programmes ------------------------------------------------------------------------------

def sync(unit: Unit, ctx: Context) -> None:
    """Store the programmes of the standards in force under its version (once per version)."""
    version = ctx.standards.version
    for programme in figures(ctx).programmes.values():
        store.ensure_programme(unit.session, code=programme.code, version=version, name_zh=programme.name_zh,
                               name_en=programme.name_en, purpose=programme.purpose, rule=programme.rule(),
                               at=unit.now)


def _programme(row: AssistanceProgramme) -> domain.Programme:
    return domain.programme_from_row(row.code, row.name_zh, row.name_en, row.purpose, row.rule)


def _current(session, ctx: Context) -> dict[str, tuple[AssistanceProgramme | None, domain.Programme, str]]:
    """Each programme in force: the latest stored version, else the standards' (not yet stored)."""
    out: dict[str, tuple[AssistanceProgramme | None, domain.Programme, str]] = {
        code: (None, p, ctx.standards.version) for code, p in figures(ctx).programmes.items()}
    for row in store.current_programmes(session):
        out[row.code] = (row, _programme(row), row.version)
    return out


def programme_in_force(session, ctx: Context, code: Any) -> tuple[AssistanceProgramme | None, domain.Programme]:
    current = _current(session, ctx)
    if code not in current:
        raise ValidationFailed(f"programme must be one of {', '.join(sorted(current)) or 'none'}", field="programme")
    row, programme, _ = current[code]
    return row, programme


def list_programmes(ctx: Context) -> dict[str, Any]:
    """The programmes in force with money approved and paid against each budget."""
    with ctx.reading() as session:
        approved = store.money_by_programme(session, domain.APPROVED_STAGES)
        paid = store.money_by_programme(session, (S.PAID.value,))
        views = [shapes.programme_view(row, p, version=v, approved=approved.get(code, 0.0), paid=paid.get(code, 0.0))
                 for code, (row, p, v) in sorted(_current(session, ctx).items())]
    fig = figures(ctx)
    return {"programmes": views, "notice_days": fig.notice_days,
            "food_yuan_per_person_day": fig.food_yuan_per_person_day}


# --- reading cases ----------------------------------------------------------------------------

def _case(session, case_id: str, *, for_update: bool = False) -> AssistanceCase:
    row = store.case(session, case_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no case {case_id}", field="case_id")
    return row


def _views(session, row: AssistanceCase) -> tuple[dict[str, Any], dict[str, Any]]:
    name, number = store.heads(session, [row.household_id]).get(row.household_id, (None, None))
    return (shapes.case_view(row, head_name=name, id_number=number),
            shapes.public_case(row, head_name=name, id_number=number))


def list_cases(ctx: Context, *, stages=None, programme: str | None = None, township_code: str | None = None,
               offset: int = 0, limit: int = 500) -> dict[str, Any]:
    with ctx.reading() as session:
        page = store.cases_page(session, stages=stages, programme_code=programme, township_code=township_code,
                                offset=offset, limit=limit)
        heads = store.heads(session, [r.household_id for r in page.rows])
        cases = [shapes.case_view(r, head_name=heads.get(r.household_id, (None, None))[0],
                                  id_number=heads.get(r.household_id, (None, None))[1]) for r in page.rows]
    return {"cases": cases, "total": page.total, "next_offset": page.next_offset}


def case_detail(ctx: Context, case_id: str) -> dict[str, Any]:
    with ctx.reading() as session:
        row = _case(session, case_id)
        view, _ = _views(session, row)
        return {**view, "history": [shapes.transition_view(t, n) for t, n in store.transitions(session, case_id)],
                "objections": [shapes.objection_view(o) for o in store.objections(session, case_id)],
                "allowed_actions": [a for a in domain.allowed_actions(row.stage, ctx.actor.role)
                                    if a in domain.REQUESTABLE]}


def public_notice(ctx: Context, township_code: str) -> dict[str, Any]:
    """The township's public list (公示 / 三公开): masked names and ID numbers, programme, amount, notice dates."""
    with ctx.reading() as session:
        rows = store.public_cases(session, township_code, domain.PUBLIC_STAGES)
        numbers = store.heads(session, [r.household_id for r, _ in rows])
        cases = [shapes.public_case(r, head_name=name, id_number=numbers.get(r.household_id, (None, None))[1])
                 for r, name in rows]
    return {"township_code": township_code, "cases": cases, "as_of": ctx.now(),
            "objections": {"open_stages": [S.ON_NOTICE.value, S.OBJECTION.value],
                           "post": "/api/cases/<case_id>/objections"}}


def dashboard(ctx: Context, *, oldest: int = 10) -> dict[str, Any]:
    """Cases by stage per township, money approved and paid per programme against its budget, oldest waiting."""
    waiting = tuple(s for s in CASE_STAGES if s not in domain.FINAL_STAGES)
    with ctx.reading() as session:
        counts: dict[str, dict[str, int]] = {}
        for township, stage, n in store.stage_counts(session):
            counts.setdefault(township or "", {s: 0 for s in CASE_STAGES})[stage] = n
        old = store.oldest_waiting(session, waiting, oldest)
        heads = store.heads(session, [r.household_id for r in old])
        old_views = [shapes.case_view(r, head_name=heads.get(r.household_id, (None, None))[0],
                                      id_number=heads.get(r.household_id, (None, None))[1]) for r in old]
    return {"by_township": [{"township_code": t or None, "stages": s} for t, s in sorted(counts.items())],
            "programmes": list_programmes(ctx)["programmes"], "oldest_waiting": old_views}


# --- announcing -------------------------------------------------------------------------------

def _announce(unit: Unit, session, row: AssistanceCase, change: Mapping[str, Any], was: str | None) -> dict[str, Any]:
    staff, public = _views(session, row)
    unit.emit("case.changed", Topic.ASSISTANCE, shapes.event_payload(staff, change), area_code=row.county_code,
              audience=Audience.STAFF)
    if row.stage in domain.PUBLIC_STAGES or was in domain.PUBLIC_STAGES:
        unit.emit("notice.changed", Topic.ASSISTANCE, {"case": public, "stage": {"from": was, "to": row.stage}},
                  area_code=row.county_code, audience=Audience.PUBLIC)
    return staff


# --- applying ---------------------------------------------------------------------------------

def _time(body: Mapping[str, Any], name: str, *, required: bool = True) -> datetime | None:
    value = body.get(name)
    if value in (None, ""):
        if required:
            raise ValidationFailed(f"{name} is required", field=name)
        return None
    return fields.parse_time(value, name)


def _account_input(body: Mapping[str, Any]) -> dict[str, str] | None:
    raw = body.get("account")
    if raw is None:
        return None
    raw = fields.mapping(raw, "account")
    return {"bank": fields.text(raw, "bank", required=True, limit=80, field="account.bank"),
            "account_no": domain.check_account_number(raw.get("account_no"), "account.account_no"),
            "holder_name": fields.text(raw, "holder_name", required=True, limit=80, field="account.holder_name")}


def new_case_id() -> str:
    return "AC-" + uuid.uuid4().hex[:16]


def _year(moment_: datetime) -> tuple[datetime, datetime]:
    start = datetime(moment_.year, 1, 1, tzinfo=timezone.utc)
    return start, datetime(moment_.year + 1, 1, 1, tzinfo=timezone.utc) - timedelta(microseconds=1)


def create_case(ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """Apply for one household in one programme for one period: checked against the rule, never a duplicate.

    Body: ``household_id, programme, period_start, period_end?, amount?, id_number?, case_id?,
    account? {bank, account_no, holder_name}``. Refusals name the field: an unknown household (404), a
    household the rule does not admit (409 ``household_id``), an amount over the rule (400 ``amount``), a
    live case of the same household and programme over an overlapping period (409 ``period_start``), a bad ID
    checksum (``id_number``) or account check digit (``account.account_no``).
    """
    household_id = fields.identifier(body, "household_id")
    code = fields.text(body, "programme", required=True, limit=40)
    start = _time(body, "period_start")
    end = _time(body, "period_end", required=False)
    amount = fields.number(body, "amount", required=False, minimum=0, maximum=1e9)
    id_number = None if body.get("id_number") in (None, "") else domain.check_id_number(body.get("id_number"))
    case_id = fields.identifier(body, "case_id", required=False) or new_case_id()
    account = _account_input(body)
    with ctx.transaction() as unit:
        session = unit.session
        sync(unit, ctx)
        row_p, programme = programme_in_force(session, ctx, code)
        if row_p is None:
            raise Conflict(f"programme {code} is not stored yet", field="programme")
        household = store.household(session, household_id, for_update=True)
        if household is None:
            raise NotFound(f"no household {household_id}", field="household_id")
        frame = store.households_frame(session, household_ids=[household_id])
        admitted = domain.eligible(frame, programme)
        if admitted.empty:
            raise Conflict(f"household {household_id} is not eligible for {code}", field="household_id",
                           detail={"eligible": dict(programme.eligible)})
        start, end, days = domain.check_period(programme, start, end)
        clash = store.overlapping(session, household_id=household_id, programme_code=code, start=start, end=end,
                                  live_stages=domain.LIVE_STAGES)
        if clash:
            raise Conflict(f"household {household_id} already has case {clash} of {code} over an overlapping period",
                           field="period_start", detail={"case_id": clash})
        if store.case(session, case_id) is not None:
            raise Conflict(f"case {case_id} exists already", field="case_id")
        year_from, year_to = _year(start)
        already = store.decided_in(session, programme_code=code, start=year_from, end=year_to,
                                   live_stages=domain.LIVE_STAGES, household_id=household_id)
        members = int(household.members or 0)
        allowed = domain.amount_for(programme, members, days, float(already.sum()) if len(already) else 0.0)
        if allowed <= 0:
            raise Conflict(f"the year's cap of {code} is used up for household {household_id}", field="amount")
        amount = domain.check_amount(amount, allowed)
        row = store.add_case(session, id=case_id, household_id=household_id, programme_id=row_p.id,
                             programme_code=code, county_code=household.county_code,
                             township_code=frame["township_code"].iloc[0], village_code=household.village_code,
                             period_start=start, period_end=end, members=members, amount=amount,
                             reason=admitted["reason"].iloc[0], id_number=id_number or household.id_number,
                             stage=S.APPLIED.value, stage_since=unit.now, created_at=unit.now, updated_at=unit.now)
        if account is not None:
            store.put_account(session, household_id=household_id, at=unit.now, **account)
        store.add_transition(session, case_id=row.id, action=A.APPLY, from_stage=None, to_stage=S.APPLIED,
                             actor_id=unit.actor.id, at=unit.now, reason=None)
        unit.audit("assistance.apply", "assistance_case", row.id,
                   detail={"household_id": household_id, "programme": code, "programme_id": row_p.id,
                           "amount": amount, "period": [start.isoformat(), end.isoformat()]})
        view = _announce(unit, session, row, {"stage": {"from": None, "to": S.APPLIED.value}}, None)
        return {"case": view}


# --- transitions ------------------------------------------------------------------------------

def transition(ctx: Context, case_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Take the case through ``body["action"]`` (review, publish, check, approve, reject, uphold, dismiss).

    An approval is checked against the household's aid chain (:mod:`relief.services.aid_guard`): the same
    purpose from another programme or agency over an overlapping period, or aid for it adding up past what the
    programme allows the household over the case's period, is refused with 409 ``duplicate_aid`` naming the
    earlier aid, unless the body carries an ``override_reason`` (then audited and recorded as a justified
    top-up; the answer's ``aid_override`` says so).
    """
    action = fields.choice(body, "action", domain.REQUESTABLE)
    reason = fields.text(body, "reason", limit=MAX_REASON)
    override = aid_guard.override_reason(body)
    fig = figures(ctx)
    with ctx.transaction() as unit:
        session = unit.session
        row = _case(session, case_id, for_update=True)
        waiting = store.open_objections(session, row.id)
        decision = domain.transition(row.stage, action, ctx.actor.role, now=unit.now,
                                     notice_ends_at=row.notice_ends_at, reason=reason, open_objections=len(waiting))
        cleared = _aid_check(unit, ctx, row, override) if decision.action == A.APPROVE else None
        answer = _apply(unit, session, row, decision, reason, fig, waiting)
        if cleared is not None:
            cleared.record(unit, f"assistance:{row.id}")
            if cleared.overridden:
                answer["aid_override"] = cleared.view()
        return answer


def _aid_check(unit: Unit, ctx: Context, row: AssistanceCase, override: str | None) -> aid_guard.Cleared:
    """The case as aid about to be given, checked against the household's chain (need: what the programme
    allows the household over the case's period)."""
    programme = _programme(store.programme(unit.session, row.programme_id))
    need = domain.amount_for(programme, int(row.members or 0), domain.period_days(row.period_start, row.period_end))
    proposed = aid_guard.case(household_id=row.household_id, purpose=programme.purpose,
                              programme_code=row.programme_code, period_start=row.period_start,
                              period_end=row.period_end, amount=row.amount)
    return aid_guard.check(unit, ctx.standards, proposed, override=override, need=need,
                           need_period=(proposed.period_start, proposed.period_end),
                           exclude=(f"assistance:{row.id}",))


def _apply(unit: Unit, session, row: AssistanceCase, decision: domain.Decision, reason: str | None,
           fig: domain.Figures, waiting=()) -> dict[str, Any]:
    before = row.stage
    changes: dict[str, Any] = {}
    if decision.action == A.PUBLISH:
        changes = {"notice_starts_at": unit.now, "notice_ends_at": domain.notice_end(unit.now, fig.notice_days)}
    elif decision.target == S.REJECTED:
        changes = {"rejection_reason": reason}
    elif decision.action == A.APPROVE:
        changes = {"decided_at": unit.now}
    elif decision.action == A.PAY:
        changes = {"paid_at": unit.now, "payment_failure": None}
    elif decision.action == A.PAYMENT_FAILED:
        changes = {"payment_failure": reason}
    if decision.action in (A.UPHOLD, A.DISMISS):
        outcome = ObjectionOutcome.UPHELD if decision.action == A.UPHOLD else ObjectionOutcome.DISMISSED
        for objection in waiting:
            objection.outcome, objection.resolved_at = outcome.value, unit.now
            objection.resolved_by, objection.resolution = unit.actor.id, reason
    store.set_stage(row, stage=decision.target, at=unit.now, **changes)
    history = store.add_transition(session, case_id=row.id, action=decision.action, from_stage=before,
                                   to_stage=decision.target, actor_id=unit.actor.id, at=unit.now, reason=reason)
    unit.audit(f"assistance.{decision.action}", "assistance_case", row.id, reason=reason,
               detail={"from": before, "to": decision.target})
    view = _announce(unit, session, row, {"action": decision.action, "stage": {"from": before, "to": row.stage}},
                     before)
    return {"case": view, "transition": shapes.transition_view(history, unit.actor.name),
            "allowed_actions": [a for a in domain.allowed_actions(row.stage, unit.actor.role)
                                if a in domain.REQUESTABLE]}


# --- objections (public) ------------------------------------------------------------------------

def object_to(ctx: Context, case_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Record an objection against a case on notice (anyone, no login); the case waits until it is heard.

    Body: ``text`` (required), ``contact`` (optional, never shown publicly). The answer is public: the case
    masked, the objection's id.
    """
    text = fields.text(body, "text", required=True, limit=MAX_OBJECTION)
    contact = fields.text(body, "contact", limit=80)
    with ctx.transaction() as unit:
        session = unit.session
        row = _case(session, case_id, for_update=True)
        before = row.stage
        if row.stage == S.ON_NOTICE:
            domain.transition(row.stage, A.OBJECT, None, now=unit.now, notice_ends_at=row.notice_ends_at,
                              reason=text)
            if row.notice_ends_at is not None and unit.now > row.notice_ends_at:
                raise TransitionRefused("the public notice of this case has ended", field="case_id")
            store.set_stage(row, stage=S.OBJECTION.value, at=unit.now)
            store.add_transition(session, case_id=row.id, action=A.OBJECT, from_stage=before, to_stage=row.stage,
                                 actor_id=unit.actor.id, at=unit.now, reason=None)
        elif row.stage != S.OBJECTION:
            raise TransitionRefused("objections are heard while a case is on public notice", field="case_id",
                                    detail={"stage": row.stage})
        objection = store.add_objection(session, case_id=row.id, text=text, contact=contact, at=unit.now)
        unit.audit("assistance.object", "assistance_case", row.id, detail={"objection_id": objection.id})
        _announce(unit, session, row, {"action": A.OBJECT.value, "stage": {"from": before, "to": row.stage}}, before)
        _, public = _views(session, row)
        return {"objection_id": objection.id, "case": public}


# --- eligibility sweep ---------------------------------------------------------------------------

def propose(ctx: Context, programme_code: str, as_of: datetime, *, township_code: str | None = None,
            apply: bool = False) -> pd.DataFrame:
    """Every eligible household not yet covered for the period starting ``as_of``, with amount and reason.

    ``apply`` also files each as an ``applied`` case (one transaction, one audit row); the frame then
    carries the new ``case_id``.
    """
    with ctx.reading() as session:
        _, programme = programme_in_force(session, ctx, programme_code)
        start, end, _ = domain.check_period(programme, as_of, None)
        households = store.households_frame(session, township_code=township_code)
        covered = store.covered(session, programme_code=programme_code, start=start, end=end,
                                live_stages=domain.LIVE_STAGES)
        year_from, year_to = _year(start)
        already = store.decided_in(session, programme_code=programme_code, start=year_from, end=year_to,
                                   live_stages=domain.LIVE_STAGES) if programme.cap_per_year is not None else None
    proposals = domain.propose(households, covered, programme, start, already)
    if not apply:
        return proposals
    with ctx.transaction() as unit:
        sync(unit, ctx)
        row_p, programme_now = programme_in_force(unit.session, ctx, programme_code)
        if programme_now != programme:
            raise Conflict("the programme changed while proposing; propose again", field="programme")
        fresh = store.covered(unit.session, programme_code=programme_code, start=start, end=end,
                              live_stages=domain.LIVE_STAGES)
        proposals = proposals.loc[~proposals["household_id"].isin(pd.Index(list(fresh)))].reset_index(drop=True)
        ids = [new_case_id() for _ in range(len(proposals))]
        numbers = store.known_households(unit.session, proposals["household_id"].tolist())
        cases = pd.DataFrame({
            "id": ids, "household_id": proposals["household_id"], "programme_id": row_p.id,
            "programme_code": programme_code, "county_code": proposals["county_code"],
            "township_code": proposals["township_code"], "village_code": proposals["village_code"],
            "period_start": start, "period_end": end, "members": proposals["members"],
            "amount": proposals["amount"], "reason": proposals["reason"],
            "id_number": [numbers.get(h, {}).get("id_number") for h in proposals["household_id"]],
            "stage": S.APPLIED.value, "stage_since": unit.now, "created_at": unit.now, "updated_at": unit.now})
        store.insert_cases(unit.session, cases)
        store.insert_transitions(unit.session, pd.DataFrame({
            "case_id": ids, "action": A.APPLY.value, "from_stage": None, "to_stage": S.APPLIED.value,
            "actor_id": unit.actor.id, "at": unit.now, "reason": None}))
        unit.audit("assistance.propose", "assistance_programme", row_p.id,
                   detail={"programme": programme_code, "cases": len(ids), "period": [start.isoformat(),
                                                                                     end.isoformat()]})
        unit.emit("cases.proposed", Topic.ASSISTANCE, {"programme": programme_code, "cases": len(ids)},
                  audience=Audience.STAFF)
    return proposals.assign(case_id=ids)


# --- payouts ------------------------------------------------------------------------------------

#: The bank file's columns (``relief assistance batch``); a confirmation is the same file with ``result``
#: (paid|failed) and ``reason`` filled in.
BATCH_COLUMNS = ("batch_id", "line_id", "case_id", "household_id", "holder_name", "bank", "account_no", "amount",
                 "result", "reason")


def make_batch(ctx: Context) -> tuple[int | None, pd.DataFrame, int]:
    """Approved cases not yet in a pending line, with an account, into one batch: ``(batch id, lines, skipped)``.

    ``skipped``: approved cases without an account (they wait for one).
    """
    with ctx.transaction() as unit:
        ready, skipped = store.batchable(unit.session, S.APPROVED.value, PayoutStatus.PENDING.value)
        if not ready:
            return None, pd.DataFrame(columns=list(BATCH_COLUMNS)), skipped
        batch, line_ids = store.add_batch(unit.session, at=unit.now, actor_id=unit.actor.id, lines=ready,
                                          pending=PayoutStatus.PENDING.value)
        unit.audit("assistance.batch", "assistance_payout_batch", batch.id,
                   detail={"lines": len(ready), "total": batch.total, "without_account": skipped})
        frame = pd.DataFrame(ready, columns=["case_id", "household_id", "amount", "bank", "account_no",
                                             "holder_name"])
        frame.insert(0, "line_id", line_ids)
        frame.insert(0, "batch_id", batch.id)
        frame["result"], frame["reason"] = "", ""
        return batch.id, frame[list(BATCH_COLUMNS)], skipped


def confirm(ctx: Context, lines: pd.DataFrame, *, file: str = "confirmation") -> dict[str, int]:
    """The bank's answer per line: ``paid`` makes the case paid (once), ``failed`` keeps it approved with the
    bank's reason (it goes into the next batch). A paid line is not checked against the household's aid chain
    as a giving is (``services.aid_guard``): the money has left already, so refusing it would only hide it; the
    case was checked when approved, and a paid case that duplicates other aid is flagged by the aid-chain sweep
    (``relief aid-check``). The paid households' guarantees are re-judged in the same
    transaction (living cash counts toward food) and their changes published after commit. A line settled
    already is left as it is, so re-importing a confirmation changes nothing. Refusals name the row (header = 1)
    and column; nothing is written then.
    """
    from relief.errors import ImportRejected
    from relief.services.guarantees import recheck_households  # the guarantee rules: only a confirmation needs them

    for column in ("line_id", "case_id", "result"):
        if column not in lines.columns:
            raise ImportRejected(f"lacks the column {column!r}", file=file, column=column)
    wanted: list[tuple[int, int, str, str, str | None]] = []
    for i, (line_id, case_id, result, reason) in enumerate(zip(
            lines["line_id"], lines["case_id"], lines["result"],
            lines["reason"] if "reason" in lines.columns else [""] * len(lines))):
        row_no = i + 2
        try:
            line_no = int(str(line_id).strip())
        except ValueError:
            raise ImportRejected(f"{line_id!r} is not a line id", file=file, row=row_no, column="line_id") from None
        result = str(result).strip()
        if result not in (PayoutStatus.PAID.value, PayoutStatus.FAILED.value):
            raise ImportRejected(f"result must be paid or failed, not {result!r}", file=file, row=row_no,
                                 column="result")
        reason = str(reason or "").strip() or None
        if result == PayoutStatus.FAILED and not reason:
            raise ImportRejected("a failed line needs the bank's reason", file=file, row=row_no, column="reason")
        wanted.append((row_no, line_no, str(case_id).strip(), result, reason))
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    fig = figures(ctx)
    paid_households: list[str] = []
    with ctx.transaction() as unit:
        session = unit.session
        found = store.lines(session, [w[1] for w in wanted])
        cases = store.cases_by_id(session, [w[2] for w in wanted])
        for row_no, line_no, case_id, result, reason in wanted:
            line = found.get(line_no)
            if line is None or line.case_id != case_id:
                raise ImportRejected(f"no payout line {line_no} for case {case_id}", file=file, row=row_no,
                                     column="line_id")
            if line.status != PayoutStatus.PENDING:
                counts["unchanged"] += 1
                continue
            case = cases[case_id]
            if result == PayoutStatus.PAID and store.paid_line_of(session, case_id, PayoutStatus.PAID.value):
                counts["unchanged"] += 1  # paid by another line already: this one is not paid twice
                store.mark_line(session, line_no, status=PayoutStatus.FAILED.value, pending=PayoutStatus.PENDING,
                                reason="case paid by another line", at=unit.now)
                continue
            store.mark_line(session, line_no, status=result, pending=PayoutStatus.PENDING.value, reason=reason,
                            at=unit.now)
            action = A.PAY if result == PayoutStatus.PAID else A.PAYMENT_FAILED
            decision = domain.transition(case.stage, action, unit.actor.role, now=unit.now,
                                         notice_ends_at=case.notice_ends_at, reason=reason or "paid")
            _apply(unit, session, case, decision, reason, fig)
            counts[result] += 1
            if result == PayoutStatus.PAID:
                paid_households.append(case.household_id)
        # paid living cash counts toward the food guarantee for the days it covers: re-judge those households
        recheck_households(unit, paid_households, standards=ctx.standards)
        unit.audit("assistance.confirm", "assistance_payout_batch", None, reason=f"confirmation {file}",
                   detail=counts)
    return counts


# --- accounts -----------------------------------------------------------------------------------

def put_account(ctx: Context, household_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    account = _account_input({"account": body})
    with ctx.transaction() as unit:
        if store.household(unit.session, household_id) is None:
            raise NotFound(f"no household {household_id}", field="household_id")
        row = store.put_account(unit.session, household_id=household_id, at=unit.now, **account)
        unit.audit("assistance.account", "household", household_id, detail={"bank": row.bank,
                                                                           "account": domain.mask_account(
                                                                               row.account_no)})
        return {"household_id": household_id, "bank": row.bank, "account_no": domain.mask_account(row.account_no)}
