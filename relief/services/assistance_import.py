"""``programmes.json``, ``cases`` and ``accounts`` in a register folder: checked, then stored with the rest.

- ``programmes.json`` (optional): ``{"version": "...", "programmes": [...]}`` in the standards' programme form
  (``domain.assistance.programme_of``); stored under that version and in force from then on.
- ``cases`` (``.csv``/``.xlsx``): case_id, household_id, programme, period_start, period_end, stage, amount,
  decided_at (optional).
- ``accounts``: household_id, bank, account_no (Luhn check digit), holder_name.

Part of the importer's one transaction (``services.importer``): the first bad value refuses the whole folder
with :class:`ImportRejected` naming file, row (header = 1) and column. A case's household must exist, its
programme be known, its period fit the programme, its amount stay within the rule, and it may not overlap a
live case of the same household and programme (stored or earlier in the file). A case id already stored is
kept as it is (re-importing is safe); an account replaces the household's account.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from relief.domain import assistance as domain
from relief.domain.vocabulary import CASE_STAGES, CaseAction, CaseStage
from relief.errors import ImportRejected, ReliefError
from relief.services.context import Unit
from relief.store import assistance as store

FILES = ("cases", "accounts")
PROGRAMMES_FILE = "programmes.json"
COLUMNS = {
    "cases": ("case_id", "household_id", "programme", "period_start", "period_end", "stage", "amount", "decided_at"),
    "accounts": ("household_id", "bank", "account_no", "holder_name"),
}
OPTIONAL = {"cases": ("decided_at",), "accounts": ()}


def take(raw: dict[str, pd.DataFrame], folder: str | Path) -> dict[str, Any]:
    """Remove this module's files from the importer's ``raw`` frames; read ``programmes.json`` if present."""
    out: dict[str, Any] = {stem: raw.pop(stem) for stem in FILES if stem in raw}
    path = Path(folder) / PROGRAMMES_FILE
    if path.is_file():
        try:
            out["programmes"] = json.loads(path.read_text("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as error:
            raise ImportRejected(f"is not JSON: {error}", file=PROGRAMMES_FILE) from None
    return out


def _refuse(name: str, message: str, i: int | None = None, column: str | None = None) -> ImportRejected:
    return ImportRejected(message, file=name, row=None if i is None else i + 2, column=column)


def _rows(name: str, stem: str, frame: pd.DataFrame):
    missing = [c for c in COLUMNS[stem] if c not in frame.columns and c not in OPTIONAL[stem]]
    if missing:
        raise _refuse(name, f"lacks the column {missing[0]!r} (expected {', '.join(COLUMNS[stem])})", column=missing[0])
    extra = [c for c in frame.columns if c not in COLUMNS[stem]]
    if extra:
        raise _refuse(name, f"has an unknown column {extra[0]!r} (expected {', '.join(COLUMNS[stem])})",
                      column=extra[0])
    for i, record in enumerate(frame.to_dict("records")):
        row = {c: str(record.get(c, "") or "").strip() for c in COLUMNS[stem]}
        for column in COLUMNS[stem]:
            if column not in OPTIONAL[stem] and not row[column]:
                raise _refuse(name, f"{column} is required", i, column)
        yield i, row


def _time(name: str, i: int, column: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _refuse(name, f"{text!r} is not an ISO 8601 time", i, column) from None
    if moment.tzinfo is None:
        raise _refuse(name, f"{text!r} needs a UTC offset, e.g. +08:00", i, column)
    return moment


def _programmes(unit: Unit, document: Any) -> None:
    if not isinstance(document, Mapping) or not isinstance(document.get("programmes"), list):
        raise ImportRejected("must be an object with 'version' and a list 'programmes'", file=PROGRAMMES_FILE)
    version = document.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 40:
        raise ImportRejected("version must be text of 1 to 40 characters", file=PROGRAMMES_FILE, column="version")
    for i, raw in enumerate(document["programmes"]):
        try:
            p = domain.programme_of(raw, f"programmes[{i}]")
        except ReliefError as error:
            raise ImportRejected(error.message, file=PROGRAMMES_FILE, column=error.field) from None
        store.ensure_programme(unit.session, code=p.code, version=version, name_zh=p.name_zh, name_en=p.name_en,
                               purpose=p.purpose, rule=p.rule(), at=unit.now, replace=True)


def import_into(unit: Unit, ctx, files: Mapping[str, Any], names: Mapping[str, str], inserted: dict[str, int],
                updated: dict[str, int], skipped: dict[str, int]) -> None:
    """The importer's hook: store these files in its transaction, adding to its counts."""
    if not files:
        return
    from relief.services import assistance as service

    session = unit.session
    service.sync(unit, ctx)
    if "programmes" in files:
        _programmes(unit, files["programmes"])
        inserted["programmes"] = len(files["programmes"]["programmes"])
    if "accounts" in files:
        name = names.get("accounts", "accounts.csv")
        rows = list(_rows(name, "accounts", files["accounts"]))
        known = store.known_households(session, [r["household_id"] for _, r in rows])
        checked = []
        for i, row in rows:
            if row["household_id"] not in known:
                raise _refuse(name, f"no household {row['household_id']!r}", i, "household_id")
            try:
                number = domain.check_account_number(row["account_no"])
            except ReliefError as error:
                raise _refuse(name, error.message, i, "account_no") from None
            checked.append(dict(household_id=row["household_id"], bank=row["bank"][:80], account_no=number,
                                holder_name=row["holder_name"][:80]))
        for values in checked:
            store.put_account(session, at=unit.now, **values)
        updated["accounts"] = len(checked)
    if "cases" in files:
        inserted["cases"], skipped["cases"] = _cases(unit, ctx, names.get("cases", "cases.csv"), files["cases"])


def _cases(unit: Unit, ctx, name: str, frame: pd.DataFrame) -> tuple[int, int]:
    from relief.services import assistance as service

    session = unit.session
    rows = list(_rows(name, "cases", frame))
    stored = store.known_case_ids(session, [r["case_id"] for _, r in rows])
    households = store.known_households(session, [r["household_id"] for _, r in rows])
    townships = store.townships_of(session, [h["village_code"] for h in households.values()])
    live = store.live_periods(session, list(households), domain.LIVE_STAGES)
    taken = [(r.household_id, r.programme_code, r.period_start, r.period_end) for r in live.itertuples()]
    new, transitions = [], []
    for i, row in rows:
        if len(row["case_id"]) > 40:
            raise _refuse(name, "is longer than 40 characters", i, "case_id")
        if row["case_id"] in stored:
            continue
        household = households.get(row["household_id"])
        if household is None:
            raise _refuse(name, f"no household {row['household_id']!r}", i, "household_id")
        try:
            programme_row, programme = service.programme_in_force(session, ctx, row["programme"])
        except ReliefError as error:
            raise _refuse(name, error.message, i, "programme") from None
        start = _time(name, i, "period_start", row["period_start"])
        end = _time(name, i, "period_end", row["period_end"])
        try:
            start, end, days = domain.check_period(programme, start, end)
        except ReliefError as error:
            raise _refuse(name, error.message, i, "period_end") from None
        if row["stage"] not in CASE_STAGES:
            raise _refuse(name, f"{row['stage']!r} is not one of {', '.join(CASE_STAGES)}", i, "stage")
        try:
            amount = float(row["amount"])
        except ValueError:
            raise _refuse(name, f"{row['amount']!r} is not a number", i, "amount") from None
        members = int(household["members"] or 0)
        try:
            amount = domain.check_amount(amount, domain.amount_for(programme, members, days))
        except ReliefError as error:
            raise _refuse(name, error.message, i, "amount") from None
        decided = _time(name, i, "decided_at", row["decided_at"]) if row["decided_at"] else None
        if row["stage"] in domain.LIVE_STAGES:
            for hid, code, s, e in taken:
                if hid == row["household_id"] and code == programme.code and s <= end and e >= start:
                    raise _refuse(name, f"household {hid} already has a case of {code} over an overlapping period",
                                  i, "period_start")
            taken.append((row["household_id"], programme.code, start, end))
        new.append(dict(id=row["case_id"], household_id=row["household_id"], programme_id=programme_row.id,
                        programme_code=programme.code, county_code=household["county_code"],
                        township_code=townships.get(household["village_code"]),
                        village_code=household["village_code"], period_start=start, period_end=end, members=members,
                        amount=amount, reason=None, id_number=household["id_number"], stage=row["stage"],
                        stage_since=decided or unit.now, decided_at=decided,
                        paid_at=decided if row["stage"] == CaseStage.PAID else None,
                        created_at=unit.now, updated_at=unit.now))
        transitions.append(dict(case_id=row["case_id"], action=CaseAction.APPLY.value, from_stage=None,
                                to_stage=row["stage"], actor_id=unit.actor.id, at=unit.now,
                                reason=f"imported from {name}"))
    store.insert_cases(session, pd.DataFrame(new))
    store.insert_transitions(session, pd.DataFrame(transitions))
    return len(new), len(rows) - len(new)

