"""``relief import partner-aid FILE --agency NAME``: a partner agency's aid list, matched to the register.

The file (CSV or xlsx, header on row 1) has the columns :data:`COLUMNS`; ``name_pinyin``, ``amount``,
``item`` and ``quantity`` may be left out, and each row needs an ``amount`` or a ``quantity``:

``id_hash``
    HMAC-SHA256 of the normalised ID number (17 digits and a check character, capital X) keyed with the
    prefecture's salt, lowercase hex (``relief.domain.identity.hash_id``). A file with an ID number in
    clear anywhere is refused, saying to hash it; nothing of it is kept.
``name_pinyin``
    the head of household's name in pinyin (used for matching only, never stored).
``village_code``, ``purpose`` (``relief.domain.vocabulary.PURPOSE_CLASSES``), ``period_start`` and
``period_end`` (ISO 8601 with a UTC offset, the end after the start), ``amount`` (yuan), ``item``, ``quantity``.

All or nothing: the first bad row refuses the file (:class:`~relief.errors.ImportRejected` naming the file,
row and column) and nothing is written. Each row is matched to a household with
:func:`relief.domain.identity.match` on the hash (the register's ID numbers hashed with the same salt), the
pinyin and the village; a ``matched`` row joins that household's aid chain, a ``review`` row keeps its best
candidate in its evidence for a person to confirm, an ``unmatched`` row is kept for the record. Stored per
row: the hash, village, purpose, period, amount, item, quantity and the match (household, score, verdict,
evidence): no name, no clear ID number, no phone.
"""
from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from relief import config as settings
from relief.domain import identity
from relief.domain.vocabulary import PURPOSE_CLASSES, MatchVerdict
from relief.errors import ImportRejected
from relief.services.context import Context
from relief.store import aid_chain as store

COLUMNS = ("id_hash", "name_pinyin", "village_code", "purpose", "period_start", "period_end", "amount", "item",
           "quantity")
REQUIRED = ("id_hash", "village_code", "purpose", "period_start", "period_end")
#: Columns a partner might send that would identify a person in clear: refused by name.
IDENTIFYING = ("id_number", "id", "name", "head_name", "phone", "身份证号", "姓名", "电话")
MAX_AGENCY = 120


def salt_of(ctx: Context) -> tuple[str, bool]:
    """The prefecture's salt (``RELIEF_ID_SALT``) and whether it is the demo's."""
    configured = (ctx.settings or {}).get("ID_SALT")
    if configured:
        return configured, bool((ctx.settings or {}).get("ID_SALT_IS_DEMO"))
    return settings.id_salt(None)


def read_file(path: str | Path) -> pd.DataFrame:
    from relief.services.importer import SUFFIXES, _read

    path = Path(path)
    if not path.is_file():
        raise ImportRejected("no such file", file=str(path))
    if path.suffix.lower() not in SUFFIXES:
        raise ImportRejected(f"must be {' or '.join(SUFFIXES)}", file=path.name)
    frame = _read(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _time(name: str, row: int, column: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ImportRejected(f"{text!r} is not an ISO 8601 time", file=name, row=row, column=column) from None
    if moment.tzinfo is None:
        raise ImportRejected(f"{text!r} needs a UTC offset, e.g. +08:00", file=name, row=row, column=column)
    return moment


def _number(name: str, row: int, column: str, text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ImportRejected(f"{text!r} is not a number", file=name, row=row, column=column) from None
    if not math.isfinite(value) or value < 0:
        raise ImportRejected(f"{text!r} must be a non-negative number", file=name, row=row, column=column)
    return value


def check_rows(frame: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    """The file's rows checked (row numbers as a spreadsheet shows them: header = 1); the first fault refuses it."""
    for column in frame.columns:
        if column.lower() in IDENTIFYING:
            raise ImportRejected(f"the column {column!r} identifies a person in clear: partner files carry only "
                                 f"id_hash (HMAC-SHA256 of the ID number keyed with the prefecture's salt, hex) and "
                                 f"optionally name_pinyin", file=name, column=column)
    for column in frame.columns:  # an ID number in clear in any column refuses the file, saying to hash it
        for row, value in enumerate(frame[column].tolist(), start=2):
            if identity.is_clear_id(value):
                raise ImportRejected("an ID number in clear: partner files carry only the salted hash (HMAC-SHA256 of "
                                     "the ID number keyed with the prefecture's salt, hex)", file=name, row=row,
                                     column=column)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ImportRejected(f"lacks the column {missing[0]!r} (expected {', '.join(COLUMNS)})", file=name,
                             column=missing[0])
    extra = [c for c in frame.columns if c not in COLUMNS]
    if extra:
        raise ImportRejected(f"has an unknown column {extra[0]!r} (expected {', '.join(COLUMNS)})", file=name,
                             column=extra[0])
    if not len(frame):
        raise ImportRejected("has no rows", file=name)
    identity.refuse_clear_ids([str(v or "").strip() for v in frame["id_hash"]], file=name)
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        row = i + 2
        cell = {c: str(record.get(c, "") or "").strip() for c in COLUMNS}
        for column in REQUIRED:
            if column != "village_code" and not cell[column]:
                raise ImportRejected(f"{column} is required", file=name, row=row, column=column)
        if cell["purpose"] not in PURPOSE_CLASSES:
            raise ImportRejected(f"unknown purpose {cell['purpose']!r}; one of {', '.join(PURPOSE_CLASSES)}",
                                 file=name, row=row, column="purpose")
        start = _time(name, row, "period_start", cell["period_start"])
        end = _time(name, row, "period_end", cell["period_end"])
        if end <= start:
            raise ImportRejected(f"the period ends ({cell['period_end']}) before it starts ({cell['period_start']}): "
                                 f"written backwards?", file=name, row=row, column="period_end")
        amount = _number(name, row, "amount", cell["amount"])
        quantity = _number(name, row, "quantity", cell["quantity"])
        if amount is None and quantity is None:
            raise ImportRejected("an amount or a quantity is required", file=name, row=row, column="amount")
        for column, width in (("village_code", 24), ("item", 80), ("name_pinyin", 120)):
            if len(cell[column]) > width:
                raise ImportRejected(f"{column} is longer than {width} characters", file=name, row=row, column=column)
        rows.append({"row_no": row, "id_hash": cell["id_hash"].lower(), "name_pinyin": cell["name_pinyin"] or None,
                     "village_code": cell["village_code"] or None, "purpose": cell["purpose"], "period_start": start,
                     "period_end": end, "amount": amount, "item": cell["item"] or None, "quantity": quantity})
    return rows


def match_rows(rows: list[dict[str, Any]], register: pd.DataFrame, standards, salt: str) -> pd.DataFrame:
    """``identity.match`` of the rows (by hash, pinyin and village) against the register hashed with ``salt``."""
    records = pd.DataFrame({"record_id": [r["row_no"] for r in rows], "id_hash": [r["id_hash"] for r in rows],
                            "name_pinyin": [r["name_pinyin"] for r in rows],
                            "village_code": [r["village_code"] for r in rows]})
    prepared = identity.prepare_households(register, salt=salt)
    return identity.match(records, prepared, identity.Figures.of(standards), salt=salt).set_index("record_id")


def import_partner_aid(ctx: Context, path: str | Path, *, agency: str) -> dict[str, Any]:
    """Check, match and store a partner's file in one transaction; ``{"import_id", "agency", "file", "rows",
    "matched", "review", "unmatched", "demo_salt"}``."""
    agency = (agency or "").strip()
    if not agency or len(agency) > MAX_AGENCY:
        raise ImportRejected(f"--agency must name the agency in 1 to {MAX_AGENCY} characters", file=str(path),
                             column="agency")
    frame = read_file(path)
    name = Path(path).name
    rows = check_rows(frame, name)
    salt, demo = salt_of(ctx)
    with ctx.reading() as session:
        register = store.register_frame(session)
    matches = match_rows(rows, register, ctx.standards, salt)
    counts = {v: 0 for v in (MatchVerdict.MATCHED, MatchVerdict.REVIEW, MatchVerdict.UNMATCHED)}
    stored = []
    for row in rows:
        found = matches.loc[row["row_no"]] if row["row_no"] in matches.index else None
        verdict = found["verdict"] if found is not None else MatchVerdict.UNMATCHED.value
        counts[MatchVerdict(verdict)] += 1
        score = found["score"] if found is not None else None
        evidence = {"levels": found["evidence"]} if found is not None and found["evidence"] else {}
        if verdict == MatchVerdict.REVIEW.value and found is not None:
            evidence["candidate_household_id"] = found["household_id"]
        stored.append({k: v for k, v in row.items() if k != "name_pinyin"} | {
            "agency": agency, "household_id": found["household_id"] if verdict == MatchVerdict.MATCHED.value else None,
            "match_score": None if score is None or not math.isfinite(float(score)) else float(score),
            "match_verdict": verdict, "match_evidence": evidence or None})
    with ctx.transaction() as unit:
        imported = store.add_partner_import(unit.session, agency=agency, file_name=name[:200], imported_at=unit.now,
                                            actor_id=unit.actor.id, rows=len(stored),
                                            matched=counts[MatchVerdict.MATCHED],
                                            review=counts[MatchVerdict.REVIEW],
                                            unmatched=counts[MatchVerdict.UNMATCHED])
        store.insert_partner_aid(unit.session, [{**r, "import_id": imported.id} for r in stored])
        unit.audit("partner_aid.import", "partner_aid_import", imported.id,
                   detail={"agency": agency, "file": name, "rows": len(stored),
                           "matched": counts[MatchVerdict.MATCHED], "review": counts[MatchVerdict.REVIEW],
                           "unmatched": counts[MatchVerdict.UNMATCHED]})
        import_id = imported.id
    return {"import_id": import_id, "agency": agency, "file": name, "rows": len(stored),
            "matched": counts[MatchVerdict.MATCHED], "review": counts[MatchVerdict.REVIEW],
            "unmatched": counts[MatchVerdict.UNMATCHED], "demo_salt": demo}
