"""The five-guarantee verdicts kept per household (``guarantee_status``).

``upsert_statuses`` writes verdicts with ``INSERT … ON CONFLICT DO UPDATE``
(both stores), so two transactions rechecking the same household never
collide on the primary key. The verdicts a recheck replaces are read with its
inputs (``guarantee_inputs.households_frame``'s ``kept_<guarantee>``), not here.

Each kept verdict carries ``next_change_at``, when it next changes with
time alone; ``due_households`` lists those whose moment has come (an
indexed range read) for the scheduler to re-judge.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Text, bindparam, cast, func, select, update
from sqlalchemy.orm import Session

from relief.domain.vocabulary import GUARANTEES
from relief.store.guarantee_inputs import fetch, frame_of, raw_time, statement
from relief.store.tables import GuaranteeStatus, Household

STATUS_COLUMNS = ("household_id", "village_code", *GUARANTEES, "reasons", "shortfalls", "as_of",
                  "standards_version", "next_change_at")
WRITE_CHUNK = 2000

_G, _H = GuaranteeStatus.__table__.c, Household.__table__.c


def upsert_statuses(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert or replace verdict rows (dicts with :data:`STATUS_COLUMNS`).

    Written in household order: two transactions upserting overlapping
    households then take their row locks in one order and cannot deadlock.
    """
    if not rows:
        return 0
    rows = sorted(rows, key=lambda row: row["household_id"])

    def build(postgres: bool):
        if postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(GuaranteeStatus.__table__)
        return statement.on_conflict_do_update(
            index_elements=[_G.household_id],
            set_={c: statement.excluded[c] for c in STATUS_COLUMNS if c != "household_id"})

    upsert = statement(session, ("verdicts.upsert",), build)
    connection = session.connection()
    for start in range(0, len(rows), WRITE_CHUNK):
        connection.execute(upsert, rows[start:start + WRITE_CHUNK])
    return len(rows)


def restamp_statuses(session: Session, as_of: datetime, version: str) -> None:
    """Set every kept verdict's moment and standards version (its content is unchanged).

    Also clears every ``next_change_at``: the rows restamped only are outside
    the relief scope, where nothing changes with time; the caller upserts the rest.
    """
    session.connection().execute(update(GuaranteeStatus.__table__).values(as_of=as_of, standards_version=version,
                                                                          next_change_at=None))


def due_households(session: Session, now: datetime) -> list[str]:
    """Households whose kept verdict changes by itself at or before ``now`` (soonest first)."""
    query = statement(session, ("verdicts.due",), lambda postgres: (
        select(_G.household_id).where(_G.next_change_at <= bindparam("now", type_=_G.next_change_at.type))
        .order_by(_G.next_change_at, _G.household_id)))
    return [row[0] for row in fetch(session, query, {"now": now}, raw=False)]


def next_change(session: Session) -> datetime | None:
    """The soonest moment a kept verdict changes by itself (None: none will)."""
    query = statement(session, ("verdicts.next_change",), lambda postgres: select(func.min(_G.next_change_at)))
    return session.connection().execute(query).scalar()


def stored_verdicts(session: Session) -> pd.DataFrame:
    """Every kept verdict with the household's village and county (the dashboard's and API's default view).

    ``reasons_json`` and ``shortfalls_json`` come as the stored JSON *text*: decoding 2 × 20,000
    documents here took a second on the serving loop, so the caller decodes them where it does
    its other heavy work (``ctx.offload``).
    """
    query = statement(session, ("verdicts.stored",), lambda postgres: (
        select(_G.household_id, _H.village_code, _H.county_code, *[_G[c] for c in GUARANTEES],
               cast(_G.reasons, Text).label("reasons_json"), cast(_G.shortfalls, Text).label("shortfalls_json"),
               raw_time(postgres, _G.as_of).label("as_of"), _G.standards_version)
        .join_from(GuaranteeStatus.__table__, Household.__table__, _H.id == _G.household_id)
        .order_by(_G.household_id)))
    return frame_of(query, fetch(session, query), {"as_of": "time"})
