"""Assistance programmes, cases, objections, accounts and payouts: lookups, writes, frames. Nothing here commits.

A case is loaded ``FOR UPDATE`` (PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), so
two approvals racing for one case see each other: the second finds it approved. A paid payout line is
unique per case (a partial unique index), so a case is paid once whatever the order of confirmations.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session, aliased

from relief.store.paging import Page
from relief.store.rows import add, conflict_insert, get
from relief.store.tables import (
    Area,
    AssistanceCase,
    AssistanceProgramme,
    BankAccount,
    CaseTransition,
    Household,
    Objection,
    PayoutBatch,
    PayoutLine,
    User,
)

IN_CHUNK = 5000


# --- programmes --------------------------------------------------------------------------

def ensure_programme(session: Session, *, code: str, version: str, name_zh: str, name_en: str, purpose: str,
                     rule: dict[str, Any], at: datetime, replace: bool = False) -> AssistanceProgramme:
    """The programme row of ``(code, version)``, inserted when missing (``replace``: its fields rewritten)."""
    table = AssistanceProgramme.__table__
    values = dict(code=code, version=version, name_zh=name_zh, name_en=name_en, purpose=purpose, rule=rule,
                  published_at=at)
    session.execute(conflict_insert(session)(table).values(**values)
                    .on_conflict_do_nothing(index_elements=[table.c.code, table.c.version]))
    row = session.scalar(select(AssistanceProgramme).where(AssistanceProgramme.code == code,
                                                           AssistanceProgramme.version == version))
    if replace and (row.name_zh, row.name_en, row.purpose, row.rule) != (name_zh, name_en, purpose, rule):
        row.name_zh, row.name_en, row.purpose, row.rule, row.published_at = name_zh, name_en, purpose, rule, at
    return row


def current_programmes(session: Session) -> list[AssistanceProgramme]:
    """The latest published version of each programme, by code."""
    latest = (select(AssistanceProgramme.code, func.max(AssistanceProgramme.id).label("id"))
              .group_by(AssistanceProgramme.code).subquery())
    return list(session.scalars(select(AssistanceProgramme).join(latest, latest.c.id == AssistanceProgramme.id)
                                .order_by(AssistanceProgramme.code)))


def programme(session: Session, programme_id: int) -> AssistanceProgramme | None:
    return session.get(AssistanceProgramme, programme_id)


def money_by_programme(session: Session, stages: Sequence[str]) -> dict[str, float]:
    """Sum of case amounts per programme code over cases in ``stages``."""
    query = (select(AssistanceCase.programme_code, func.sum(AssistanceCase.amount))
             .where(AssistanceCase.stage.in_(list(stages))).group_by(AssistanceCase.programme_code))
    return {code: float(total or 0) for code, total in session.execute(query)}


# --- households ----------------------------------------------------------------------------

def household(session: Session, household_id: str, *, for_update: bool = False) -> Household | None:
    return get(session, Household, household_id, for_update=for_update)


def township_of(session: Session, village_code: str | None) -> str | None:
    if not village_code:
        return None
    return session.scalar(select(Area.parent_code).where(Area.code == village_code))


def households_frame(session: Session, *, township_code: str | None = None,
                     household_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The register as ``domain.assistance.eligible`` reads it, with county, township and village codes."""
    h = Household.__table__.c
    village = aliased(Area)
    query = (select(h.id, h.members, h.house_damage, h.shelter, h.assistance_category, h.county_code,
                    village.parent_code, h.village_code)
             .outerjoin(village, village.code == h.village_code).order_by(h.id))
    if township_code:
        query = query.where(village.parent_code == township_code)
    if household_ids is not None:
        query = query.where(h.id.in_(list(household_ids)))
    columns = ("household_id", "members", "house_damage", "shelter", "assistance_category", "county_code",
               "township_code", "village_code")
    return _frame(session, query, columns)


def _frame(session: Session, query, columns: Sequence[str]) -> pd.DataFrame:
    """A Core select as a frame of object columns, from the driver's plain tuples (no ``Row`` per row: the
    columns read here need no type processing)."""
    result = session.connection().execute(query)
    rows = result.cursor.fetchall()
    result.close()
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    table = np.empty((len(rows), len(columns)), dtype=object)
    table[:] = rows  # one C-level copy of the tuples into a grid
    return pd.DataFrame({name: table[:, j].copy() for j, name in enumerate(columns)})


# --- cases ---------------------------------------------------------------------------------

def case(session: Session, case_id: str, *, for_update: bool = False) -> AssistanceCase | None:
    return get(session, AssistanceCase, case_id, for_update=for_update)


def overlapping(session: Session, *, household_id: str, programme_code: str, start: datetime, end: datetime,
                live_stages: Sequence[str]) -> str | None:
    """A live case of the household in the programme whose period overlaps ``start..end`` (its id), or None."""
    c = AssistanceCase
    return session.scalar(select(c.id).where(c.household_id == household_id, c.programme_code == programme_code,
                                             c.stage.in_(list(live_stages)), c.period_start <= end,
                                             c.period_end >= start).limit(1))


def covered(session: Session, *, programme_code: str, start: datetime, end: datetime,
            live_stages: Sequence[str]) -> set[str]:
    """Households holding a live case of the programme that overlaps ``start..end``."""
    c = AssistanceCase
    return set(session.scalars(select(c.household_id).where(
        c.programme_code == programme_code, c.stage.in_(list(live_stages)), c.period_start <= end,
        c.period_end >= start)))


def decided_in(session: Session, *, programme_code: str, start: datetime, end: datetime,
               live_stages: Sequence[str], household_id: str | None = None) -> pd.Series:
    """Amounts of live cases of the programme whose period starts in ``start..end``, per household."""
    c = AssistanceCase
    query = (select(c.household_id, func.sum(c.amount))
             .where(c.programme_code == programme_code, c.stage.in_(list(live_stages)),
                    c.period_start >= start, c.period_start <= end).group_by(c.household_id))
    if household_id is not None:
        query = query.where(c.household_id == household_id)
    rows = session.execute(query).all()
    return pd.Series({h: float(a) for h, a in rows}, dtype=float)


def add_case(session: Session, **values: Any) -> AssistanceCase:
    return add(session, AssistanceCase(**values))


def insert_cases(session: Session, frame: pd.DataFrame) -> int:
    """Many new cases in one statement per chunk (columns of ``assistance_cases``)."""
    return _bulk(session, AssistanceCase, frame)


def insert_transitions(session: Session, frame: pd.DataFrame) -> int:
    return _bulk(session, CaseTransition, frame)


def _bulk(session: Session, model, frame: pd.DataFrame) -> int:
    if frame.empty:
        return 0
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(records), IN_CHUNK // 2):
        session.execute(insert(model.__table__), records[start:start + IN_CHUNK // 2])
    return len(records)


def known_case_ids(session: Session, ids: Sequence[str]) -> set[str]:
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), IN_CHUNK):
        found.update(session.scalars(select(AssistanceCase.id).where(
            AssistanceCase.id.in_(wanted[start:start + IN_CHUNK]))))
    return found


def live_periods(session: Session, household_ids: Sequence[str], live_stages: Sequence[str]) -> pd.DataFrame:
    """``case_id, household_id, programme_code, period_start, period_end`` of the households' live cases."""
    c = AssistanceCase.__table__.c
    wanted = sorted(set(household_ids))
    rows: list = []
    for start in range(0, len(wanted), IN_CHUNK):
        rows += session.execute(select(c.id, c.household_id, c.programme_code, c.period_start, c.period_end)
                                .where(c.household_id.in_(wanted[start:start + IN_CHUNK]),
                                       c.stage.in_(list(live_stages)))).all()
    return pd.DataFrame.from_records(rows, columns=["case_id", "household_id", "programme_code", "period_start",
                                                    "period_end"])


def cases_page(session: Session, *, stages: Sequence[str] | None = None, programme_code: str | None = None,
               township_code: str | None = None, offset: int = 0, limit: int = 500) -> Page:
    where = []
    if stages:
        where.append(AssistanceCase.stage.in_(list(stages)))
    if programme_code:
        where.append(AssistanceCase.programme_code == programme_code)
    if township_code:
        where.append(AssistanceCase.township_code == township_code)
    total = session.scalar(select(func.count()).select_from(AssistanceCase).where(*where)) or 0
    rows = list(session.scalars(select(AssistanceCase).where(*where).order_by(AssistanceCase.id)
                                .offset(offset).limit(limit)))
    return Page(rows=rows, total=total, offset=offset, limit=limit)


def heads(session: Session, household_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """``{household id: (head name, ID number)}``."""
    wanted = sorted({h for h in household_ids if h})
    out: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for hid, name, number in session.execute(select(Household.id, Household.head_name, Household.id_number)
                                                 .where(Household.id.in_(wanted[start:start + IN_CHUNK]))):
            out[hid] = (name, number)
    return out


def public_cases(session: Session, township_code: str, stages: Sequence[str]) -> list[tuple[AssistanceCase, str]]:
    """Cases of a township a public notice shows, with the head's name, by village and id."""
    query = (select(AssistanceCase, Household.head_name).join(Household, Household.id == AssistanceCase.household_id)
             .where(AssistanceCase.township_code == township_code, AssistanceCase.stage.in_(list(stages)))
             .order_by(AssistanceCase.village_code, AssistanceCase.id))
    return [(row, name) for row, name in session.execute(query)]


def stage_counts(session: Session) -> list[tuple[str | None, str, int]]:
    """``(township, stage, cases)``."""
    query = (select(AssistanceCase.township_code, AssistanceCase.stage, func.count())
             .group_by(AssistanceCase.township_code, AssistanceCase.stage))
    return [(t, s, int(n)) for t, s, n in session.execute(query)]


def oldest_waiting(session: Session, stages: Sequence[str], limit: int = 10) -> list[AssistanceCase]:
    return list(session.scalars(select(AssistanceCase).where(AssistanceCase.stage.in_(list(stages)))
                                .order_by(AssistanceCase.stage_since, AssistanceCase.id).limit(limit)))


def set_stage(row: AssistanceCase, *, stage: str, at: datetime, **changes: Any) -> AssistanceCase:
    row.stage = stage
    row.stage_since = at
    row.updated_at = at
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def add_transition(session: Session, *, case_id: str, action: str, from_stage: str | None, to_stage: str,
                   actor_id: int | None, at: datetime, reason: str | None) -> CaseTransition:
    return add(session, CaseTransition(case_id=case_id, action=action, from_stage=from_stage, to_stage=to_stage,
                                       actor_id=actor_id, at=at, reason=reason))


def transitions(session: Session, case_id: str) -> list[tuple[CaseTransition, str | None]]:
    query = (select(CaseTransition, User.name).outerjoin(User, User.id == CaseTransition.actor_id)
             .where(CaseTransition.case_id == case_id).order_by(CaseTransition.id))
    return [(row, name) for row, name in session.execute(query)]


# --- objections ----------------------------------------------------------------------------

def add_objection(session: Session, *, case_id: str, text: str, contact: str | None, at: datetime) -> Objection:
    return add(session, Objection(case_id=case_id, text=text, contact=contact, raised_at=at))


def open_objections(session: Session, case_id: str) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.case_id == case_id, Objection.outcome.is_(None))
                                .order_by(Objection.id)))


def objections(session: Session, case_id: str) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.case_id == case_id).order_by(Objection.id)))


# --- accounts --------------------------------------------------------------------------------

def put_account(session: Session, *, household_id: str, bank: str, account_no: str, holder_name: str,
                at: datetime) -> BankAccount:
    row = session.get(BankAccount, household_id)
    if row is None:
        return add(session, BankAccount(household_id=household_id, bank=bank, account_no=account_no,
                                        holder_name=holder_name, updated_at=at))
    row.bank, row.account_no, row.holder_name, row.updated_at = bank, account_no, holder_name, at
    return row


def account(session: Session, household_id: str) -> BankAccount | None:
    return session.get(BankAccount, household_id)


def known_households(session: Session, household_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{id: {members, village_code, county_code, id_number}}`` for the ids that exist."""
    wanted = sorted(set(household_ids))
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for hid, members, village, county, number in session.execute(
                select(Household.id, Household.members, Household.village_code, Household.county_code,
                       Household.id_number).where(Household.id.in_(wanted[start:start + IN_CHUNK]))):
            out[hid] = {"members": members, "village_code": village, "county_code": county, "id_number": number}
    return out


def townships_of(session: Session, village_codes: Iterable[str]) -> dict[str, str | None]:
    wanted = sorted({v for v in village_codes if v})
    if not wanted:
        return {}
    return dict(session.execute(select(Area.code, Area.parent_code).where(Area.code.in_(wanted))).all())


# --- payouts ---------------------------------------------------------------------------------

def batchable(session: Session, approved: str, pending: str) -> tuple[list[tuple], int]:
    """Approved cases with no pending line: ``(case_id, household_id, amount, bank, account_no, holder_name)``
    for those with an account, and how many lack one."""
    c, a, line = AssistanceCase.__table__.c, BankAccount.__table__.c, PayoutLine.__table__.c
    waiting = select(line.case_id).where(line.status == pending)
    base = select(c.id, c.household_id, c.amount, a.bank, a.account_no, a.holder_name).select_from(
        AssistanceCase.__table__.outerjoin(BankAccount.__table__, a.household_id == c.household_id)).where(
        c.stage == approved, c.id.not_in(waiting)).order_by(c.id)
    rows = session.connection().execute(base).all()
    ready = [r for r in rows if r[3] is not None]
    return ready, len(rows) - len(ready)


def add_batch(session: Session, *, at: datetime, actor_id: int | None, lines: Sequence[tuple],
              pending: str) -> tuple[PayoutBatch, list[int]]:
    """A batch and its lines (``(case_id, household_id, amount, bank, account_no, holder_name)``), in bulk."""
    batch = add(session, PayoutBatch(created_at=at, actor_id=actor_id, lines=len(lines),
                                     total=round(float(sum(r[2] for r in lines)), 2)))
    records = [dict(batch_id=batch.id, case_id=r[0], household_id=r[1], amount=r[2], bank=r[3], account_no=r[4],
                    holder_name=r[5], status=pending) for r in lines]
    for start in range(0, len(records), IN_CHUNK // 2):
        session.execute(insert(PayoutLine.__table__), records[start:start + IN_CHUNK // 2])
    ids = list(session.scalars(select(PayoutLine.id).where(PayoutLine.batch_id == batch.id).order_by(PayoutLine.id)))
    return batch, ids


def lines(session: Session, line_ids: Sequence[int]) -> dict[int, PayoutLine]:
    wanted = sorted(set(line_ids))
    out: dict[int, PayoutLine] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        out.update({r.id: r for r in session.scalars(select(PayoutLine).where(
            PayoutLine.id.in_(wanted[start:start + IN_CHUNK])).with_for_update())})
    return out


def cases_by_id(session: Session, case_ids: Sequence[str]) -> dict[str, AssistanceCase]:
    wanted = sorted(set(case_ids))
    out: dict[str, AssistanceCase] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        out.update({r.id: r for r in session.scalars(select(AssistanceCase).where(
            AssistanceCase.id.in_(wanted[start:start + IN_CHUNK])).with_for_update())})
    return out


def paid_line_of(session: Session, case_id: str, paid: str) -> int | None:
    return session.scalar(select(PayoutLine.id).where(PayoutLine.case_id == case_id, PayoutLine.status == paid))


def mark_line(session: Session, line_id: int, *, status: str, pending: str, reason: str | None,
              at: datetime) -> bool:
    """Settle a pending line; False when it was settled already (a re-imported confirmation)."""
    done = session.execute(update(PayoutLine).where(PayoutLine.id == line_id, PayoutLine.status == pending)
                           .values(status=status, bank_reason=reason, confirmed_at=at)
                           .execution_options(synchronize_session=False))
    return done.rowcount == 1


# --- paid living cash for the food guarantee ------------------------------------------------

def paid_cash(session: Session, household_ids: Sequence[str] | None, purpose: str, paid: str,
              until: datetime | None = None) -> pd.DataFrame:
    """``household_id, amount, members, period_start`` of paid cases of ``purpose`` programmes."""
    c, p = AssistanceCase.__table__.c, AssistanceProgramme.__table__.c
    start = c.period_start
    if session.get_bind().dialect.name == "sqlite":
        start = type_coerce(c.period_start, String)
    query = (select(c.household_id, c.amount, c.members, start).join(AssistanceProgramme.__table__,
                                                                    p.id == c.programme_id)
             .where(and_(c.stage == paid, p.purpose == purpose)))
    if until is not None:
        query = query.where(c.period_start <= until)
    if household_ids is not None:
        query = query.where(c.household_id.in_(list(household_ids)))
    frame = _frame(session, query, ("household_id", "amount", "members", "period_start"))
    frame["period_start"] = pd.to_datetime(frame["period_start"], utc=True, format="ISO8601")
    return frame


# --- bulk rows (the demo) ----------------------------------------------------------------------

def insert_objections(session: Session, frame: pd.DataFrame) -> int:
    """Many objections (columns of ``assistance_objections``, ids made by the database)."""
    return _bulk(session, Objection, frame)


def insert_accounts(session: Session, frame: pd.DataFrame) -> int:
    """Many bank accounts (columns of ``assistance_accounts``) for households that have none yet."""
    return _bulk(session, BankAccount, frame)


def insert_settled_batch(session: Session, *, at: datetime, actor_id: int | None, frame: pd.DataFrame) -> int | None:
    """One payout batch made at ``at`` with its lines already settled (columns of ``assistance_payout_lines``
    but ``batch_id``); the batch's id, None for no lines."""
    if frame.empty:
        return None
    batch = add(session, PayoutBatch(created_at=at, actor_id=actor_id, lines=len(frame),
                                     total=round(float(frame["amount"].sum()), 2)))
    _bulk(session, PayoutLine, frame.assign(batch_id=batch.id))
    return batch.id


def delete_all(session: Session) -> None:
    """Every assistance row (a demo reset), children first."""
    for model in (PayoutLine, PayoutBatch, Objection, CaseTransition, AssistanceCase, BankAccount,
                  AssistanceProgramme):
        session.execute(model.__table__.delete())
