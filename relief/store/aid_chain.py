"""The aid chain read from every source, partner aid lists, and aid flags with their review steps.

:func:`chain_frame` reads each household's aid in the shape of
:data:`relief.domain.aid_chain.AID_COLUMNS` (plus ``item``), from four sources, through Core selects
straight into pandas (no ORM object per row; SQLite's stored UTC text parsed in bulk):

* ``distribution:<id>``: an in-kind distribution, given by the holder of its stock movement
  (``depot:<id>`` / ``site:<id>``), for its item's purpose (``aid_chain.ITEM_PURPOSE``), covering the
  days :func:`relief.domain.aid_chain.distribution_periods` gives it;
* ``assistance:<id>``: an assistance case approved or paid (applied, reviewed, on notice do not count),
  ``programme:<code>``, for the programme's purpose, over the case's period, given when paid (else decided);
* ``reconstruction:<id>``: a subsidy tranche paid for the household's house, ``programme:reconstruction``,
  covering ``in_kind_days.reconstruction`` from its payment;
* ``partner:<id>``: a partner agency's aid matched to the household, ``agency:<name>``, over its period.

A few households (the check at the moment of giving reads one) are read in one ``UNION ALL`` statement over
the four sources, joined in SQL, and become one frame built from the plain rows; the same frame as the
vectorised read, without a frame per source.

Donations go to depots and sites, never to a household: they reach the chain as the distributions
made from the stock they fed.

Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (
    Float,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from relief.domain.aid_chain import AID_COLUMNS, ITEM_PURPOSE, STEPS, PeriodFigures, covered_ns, distribution_periods
from relief.domain.vocabulary import GUARANTEES, PURPOSE_CLASSES, AidSourceKind, CaseStage, MatchVerdict, PurposeClass
from relief.domain.vocabulary import GuaranteeStatus as GuaranteeStatusWord
from relief.store.guarantee_inputs import _utc as utc_times
from relief.store.guarantee_inputs import chunks, fetch, frame_of, is_postgres, raw_time, statement
from relief.store.tables import (
    AidFlag,
    AidFlagStep,
    Area,
    AssistanceCase,
    AssistanceProgramme,
    Distribution,
    GuaranteeStatus,
    House,
    Household,
    HousePayment,
    Item,
    PartnerAid,
    PartnerAidImport,
    StockMovement,
)

#: The chain frame's columns: the domain's aid columns and the item given (in-kind and partner aid).
CHAIN_COLUMNS = (*AID_COLUMNS, "item")
#: Assistance cases in these stages are aid received; earlier stages are not yet.
AID_CASE_STAGES = (CaseStage.APPROVED.value, CaseStage.PAID.value)

_D, _H, _I, _M = Distribution.__table__.c, Household.__table__.c, Item.__table__.c, StockMovement.__table__.c
_C, _P = AssistanceCase.__table__.c, AssistanceProgramme.__table__.c
_HP, _HS = HousePayment.__table__.c, House.__table__.c
_PA, _PI = PartnerAid.__table__.c, PartnerAidImport.__table__.c
_A = Area.__table__.c
_NS_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


def _tagged(prefix: str, column) -> Any:
    return (literal(prefix) + cast(column, String)).label("aid_id")


def _moment(postgres: bool, column, whole: bool) -> Any:
    """A moment as the chain reads it: on a whole-store SQLite read, milliseconds since the epoch computed in SQL
    (a number per row instead of text to parse: a third of the read); else as :func:`raw_time`."""
    if postgres or not whole:
        return raw_time(postgres, column)
    return cast(func.round((func.julianday(column) - 2440587.5) * 86400000.0), Float)


def _scoped(query, column, ids: Sequence[str] | None):
    return query if ids is None else query.where(column.in_(bindparam("ids", expanding=True)))


def _columns(session: Session, name: str, build, kinds: dict[str, str], ids: Sequence[str] | None
             ) -> dict[str, Any]:
    """The statement's rows as one array per column: text as object arrays (no per-column string conversion
    later: the domain reads them as numpy), ``float`` with None as NaN, ``time`` as UTC moments."""
    query = statement(session, ("aid_chain", name, ids is None), build)
    rows = fetch(session, query, ids=None if ids is None else list(ids))
    names = [c.key for c in query.selected_columns]
    grid = np.empty((len(rows), len(names)), dtype=object)
    if rows:
        grid[:] = rows  # one C-level copy of the driver's tuples
    out: dict[str, Any] = {}
    for j, column in enumerate(names):
        values = grid[:, j]
        kind = kinds.get(column, "object")
        if kind == "time":
            out[column] = utc_times(values) if len(values) else pd.DatetimeIndex([], tz="UTC")
        elif kind == "ms":  # SQLite: milliseconds since the epoch, computed in SQL; PostgreSQL: aware datetimes
            if len(values) and not isinstance(values[0], (int, float)) and values[0] is not None:
                out[column] = utc_times(values)
            else:
                ms = np.array(values, dtype=float)
                ns = np.where(np.isnan(ms), np.iinfo(np.int64).min, np.rint(ms) * 1e6).astype(np.int64)
                out[column] = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
        elif kind == "float":
            out[column] = np.array(values, dtype=float)
        else:
            out[column] = values.copy()
    return out


def _frame(columns: dict[str, Any], n: int) -> pd.DataFrame:
    """A frame keeping text as object columns (pandas would otherwise make Arrow strings of them), scalars
    broadcast."""
    data: dict[str, Any] = {}
    for column, values in columns.items():
        if values is None or isinstance(values, str):
            values = np.full(n, values, dtype=object)
        elif isinstance(values, float):
            values = np.full(n, values, dtype=float)
        if isinstance(values, np.ndarray) and values.dtype == object:
            data[column] = pd.Series(values, dtype=object, copy=False)
        else:
            data[column] = pd.Series(values, copy=False)
    return pd.DataFrame(data, copy=False)


def _read(session: Session, name: str, build, kinds: dict[str, str], ids: Sequence[str] | None) -> pd.DataFrame:
    columns = _columns(session, name, build, kinds, ids)
    n = len(next(iter(columns.values()))) if columns else 0
    return _frame(columns, n)


def _distributions(session: Session, ids: Sequence[str] | None, periods: PeriodFigures) -> dict[str, Any]:
    # The distributions with their giver (the stock movement's holder); items and members are joined in numpy
    # (a handful of items; members from one read of the households), not per row in SQL.
    def build(postgres: bool):
        holder = func.coalesce(_M.holder_kind + literal(":") + _M.holder_id, literal(AidSourceKind.DISTRIBUTION.value))
        query = (select(_tagged("distribution:", _D.id), _D.household_id, holder.label("source"),
                        cast(_D.quantity, Float).label("quantity"), _D.item_code.label("item"),
                        _moment(postgres, _D.distributed_at, ids is None).label("given_at"))
                 .outerjoin_from(Distribution.__table__, StockMovement.__table__, _M.id == _D.movement_id))
        return _scoped(query, _D.household_id, ids)

    got = _columns(session, "distributions", build, {"quantity": "float", "given_at": "ms"}, ids)
    n = len(got["aid_id"])
    items = _columns(session, "items", lambda postgres: select(
        _I.code, _I.guarantee, cast(_I.kcal_per_unit, Float).label("kcal_per_unit"),
        cast(_I.litres_per_unit, Float).label("litres_per_unit")),
        {"kcal_per_unit": "float", "litres_per_unit": "float"}, None)
    # factorized first: hashing each row's text once, then a lookup per distinct value (a handful of items,
    # the households given to), is several times faster than looking each row up in an index
    item_codes, item_names = pd.factorize(got["item"]) if n else (np.zeros(0, dtype=np.int64), [])
    at = pd.Index(items["code"], dtype=object).get_indexer(pd.Index(item_names, dtype=object))[item_codes] if n else \
        np.zeros(0, dtype=np.int64)
    if n and (at < 0).any():
        raise ValueError(f"a distribution names an unknown item {got['item'][int(np.flatnonzero(at < 0)[0])]!r}")
    purpose = np.array([str(ITEM_PURPOSE[g]) for g in items["guarantee"]], dtype=object)[at] if n else \
        np.array([], dtype=object)
    members = _members(session, None if ids is None else sorted(set(got["household_id"])))
    if n:
        household_codes, households = pd.factorize(got["household_id"])
        people = members.reindex(pd.Index(households, dtype=object)).to_numpy(dtype=float)[household_codes]
    else:
        people = np.zeros(0)
    span = distribution_periods(pd.DataFrame({
        "distributed_at": got["given_at"], "purpose": pd.Series(purpose, dtype=object), "quantity": got["quantity"],
        "members": people, "kcal_per_unit": items["kcal_per_unit"][at],
        "litres_per_unit": items["litres_per_unit"][at]}), periods)
    return {"aid_id": got["aid_id"], "household_id": got["household_id"], "source": got["source"],
            "source_kind": AidSourceKind.DISTRIBUTION.value, "purpose": purpose,
            "period_start": span["period_start"].array, "period_end": span["period_end"].array, "amount": np.nan,
            "quantity": got["quantity"], "given_at": got["given_at"], "item": got["item"]}


def _members(session: Session, ids: Sequence[str] | None) -> pd.Series:
    """Members per household (all households when ``ids`` is None)."""
    def build(postgres: bool):
        return _scoped(select(_H.id, cast(_H.members, Float).label("members")), _H.id, ids)

    got = _columns(session, "members", build, {"members": "float"}, ids)
    return pd.Series(got["members"], index=pd.Index(got["id"], dtype=object))


def _assistance(session: Session, ids: Sequence[str] | None) -> dict[str, Any]:
    def build(postgres: bool):
        whole = ids is None
        given = func.coalesce(_C.paid_at, _C.decided_at, _C.stage_since)
        query = (select(_tagged("assistance:", _C.id), _C.household_id, _C.programme_id,
                        _moment(postgres, _C.period_start, whole).label("period_start"),
                        _moment(postgres, _C.period_end, whole).label("period_end"),
                        cast(_C.amount, Float).label("amount"), _moment(postgres, given, whole).label("given_at"))
                 .where(_C.stage.in_(AID_CASE_STAGES)))
        return _scoped(query, _C.household_id, ids)

    got = _columns(session, "assistance", build, {"amount": "float", "period_start": "ms", "period_end": "ms",
                                                  "given_at": "ms"}, ids)
    programmes = _columns(session, "programmes", lambda postgres: select(_P.id, _P.code, _P.purpose), {}, None)
    at = pd.Index(programmes["id"]).get_indexer(got.pop("programme_id"))
    source = np.array([f"programme:{c}" for c in programmes["code"]], dtype=object)[at]
    purpose = programmes["purpose"][at]
    return {**got, "source": source, "purpose": purpose, "source_kind": AidSourceKind.ASSISTANCE.value,
            "quantity": np.nan, "item": None}


def _reconstruction(session: Session, ids: Sequence[str] | None, periods: PeriodFigures) -> dict[str, Any]:
    def build(postgres: bool):
        query = (select(_tagged("reconstruction:", _HP.id), _HS.household_id, cast(_HP.amount, Float).label("amount"),
                        raw_time(postgres, _HP.paid_at).label("given_at"), _HP.tranche.label("item"))
                 .join_from(HousePayment.__table__, House.__table__, _HS.id == _HP.house_id))
        return _scoped(query, _HS.household_id, ids)

    got = _columns(session, "reconstruction", build, {"amount": "float", "given_at": "time"}, ids)
    days = periods.in_kind_days[PurposeClass.RECONSTRUCTION.value]
    return {**got, "source": "programme:reconstruction", "source_kind": AidSourceKind.RECONSTRUCTION.value,
            "purpose": PurposeClass.RECONSTRUCTION.value, "period_start": got["given_at"],
            "period_end": got["given_at"] + pd.Timedelta(days=days), "quantity": np.nan}


def _partner(session: Session, ids: Sequence[str] | None) -> dict[str, Any]:
    def build(postgres: bool):
        whole = ids is None
        query = (select(_tagged("partner:", _PA.id), _PA.household_id, _PA.import_id, _PA.purpose,
                        _moment(postgres, _PA.period_start, whole).label("period_start"),
                        _moment(postgres, _PA.period_end, whole).label("period_end"),
                        cast(_PA.amount, Float).label("amount"), cast(_PA.quantity, Float).label("quantity"), _PA.item)
                 .where(_PA.household_id.is_not(None), _PA.match_verdict == MatchVerdict.MATCHED.value))
        return _scoped(query, _PA.household_id, ids)

    got = _columns(session, "partner", build, {"amount": "float", "quantity": "float", "period_start": "ms",
                                               "period_end": "ms"}, ids)
    imports = _columns(session, "imports", lambda postgres: select(_PI.id, _PI.agency), {}, None)
    at = pd.Index(imports["id"]).get_indexer(got.pop("import_id"))
    source = np.array([f"agency:{a}" for a in imports["agency"]], dtype=object)[at]
    return {**got, "source": source, "source_kind": AidSourceKind.PARTNER.value, "given_at": got["period_start"]}


#: Up to this many households, :func:`chain_frame` reads the four sources in one statement and builds the
#: frame once from plain rows (the check at the moment of giving reads one household).
FEW_HOUSEHOLDS = 100
_FEW_NAMES = ("tag", "aid_id", "household_id", "source", "purpose", "period_start", "period_end", "amount",
              "quantity", "given_at", "item", "members", "kcal_per_unit", "litres_per_unit")
_FEW_KINDS = (AidSourceKind.DISTRIBUTION.value, AidSourceKind.ASSISTANCE.value, AidSourceKind.RECONSTRUCTION.value,
              AidSourceKind.PARTNER.value)


def _few_statement(postgres: bool) -> Any:
    """The four sources of a few households as one ``UNION ALL``, joined in SQL to their items, members,
    programmes and agencies (:data:`_FEW_NAMES`; a distribution's ``purpose`` is its item's guarantee)."""
    time_type = _D.distributed_at.type
    no_time = (cast(null(), time_type) if postgres else type_coerce(null(), String))
    no_text, no_number = cast(null(), String), cast(null(), Float)

    def when(column) -> Any:
        return raw_time(postgres, column)

    def row(tag: int, aid_id, household, source, purpose, start, end, amount, quantity, given, item,
            members=no_number, kcal=no_number, litres=no_number) -> list:
        return [literal(tag), aid_id, household, source, purpose, start, end, amount, quantity, given, item, members,
                kcal, litres]

    def named(columns: list) -> list:
        return [c.label(n) for c, n in zip(columns, _FEW_NAMES)]

    ids = bindparam("ids", expanding=True)
    holder = func.coalesce(_M.holder_kind + literal(":") + _M.holder_id, literal(AidSourceKind.DISTRIBUTION.value))
    distributions = (select(*named(row(
        0, _tagged("distribution:", _D.id), _D.household_id, holder, _I.guarantee, when(_D.distributed_at), no_time,
        no_number, cast(_D.quantity, Float), when(_D.distributed_at), _D.item_code, cast(_H.members, Float),
        cast(_I.kcal_per_unit, Float), cast(_I.litres_per_unit, Float))))
        .select_from(Distribution.__table__)
        .outerjoin(StockMovement.__table__, _M.id == _D.movement_id)
        .outerjoin(Item.__table__, _I.code == _D.item_code)
        .outerjoin(Household.__table__, _H.id == _D.household_id)
        .where(_D.household_id.in_(ids)))
    given = func.coalesce(_C.paid_at, _C.decided_at, _C.stage_since)
    assistance = (select(*named(row(
        1, _tagged("assistance:", _C.id), _C.household_id, literal("programme:") + _P.code, _P.purpose,
        when(_C.period_start), when(_C.period_end), cast(_C.amount, Float), no_number, when(given), no_text)))
        .join_from(AssistanceCase.__table__, AssistanceProgramme.__table__, _P.id == _C.programme_id)
        .where(_C.stage.in_(AID_CASE_STAGES), _C.household_id.in_(ids)))
    reconstruction = (select(*named(row(
        2, _tagged("reconstruction:", _HP.id), _HS.household_id, no_text, no_text, when(_HP.paid_at), no_time,
        cast(_HP.amount, Float), no_number, when(_HP.paid_at), _HP.tranche)))
        .join_from(HousePayment.__table__, House.__table__, _HS.id == _HP.house_id)
        .where(_HS.household_id.in_(ids)))
    partner = (select(*named(row(
        3, _tagged("partner:", _PA.id), _PA.household_id, literal("agency:") + _PI.agency, _PA.purpose,
        when(_PA.period_start), when(_PA.period_end), cast(_PA.amount, Float), cast(_PA.quantity, Float),
        when(_PA.period_start), _PA.item)))
        .join_from(PartnerAid.__table__, PartnerAidImport.__table__, _PI.id == _PA.import_id)
        .where(_PA.household_id.in_(ids), _PA.match_verdict == MatchVerdict.MATCHED.value))
    return union_all(distributions, assistance, reconstruction, partner)


def _ns(values: list) -> np.ndarray:
    """UTC nanoseconds of raw moments (SQLite text or aware datetimes), None as NaT."""
    out = np.full(len(values), _NAT, dtype=np.int64)
    at = [i for i, v in enumerate(values) if v is not None]
    if at:
        out[at] = utc_times([values[i] for i in at]).as_unit("ns").asi8
    return out


def _few(session: Session, ids: Sequence[str], periods: PeriodFigures) -> pd.DataFrame:
    """:func:`chain_frame` for a few households: one statement, plain rows, numpy on a handful of values and
    one frame at the end (what the many-household read gives, without a frame per source)."""
    query = statement(session, ("aid_chain", "few"), _few_statement)
    rows = fetch(session, query, ids=list(ids))
    rows.sort(key=lambda r: r[0])  # the sources in the many-household read's order (stable within each)
    columns = dict(zip(_FEW_NAMES, (list(c) for c in zip(*rows)))) if rows else {n: [] for n in _FEW_NAMES}
    tags = np.array(columns["tag"], dtype=np.int64)
    n = len(tags)
    purpose = columns["purpose"]
    source = columns["source"]
    dist = np.flatnonzero(tags == 0)
    for i in dist.tolist():
        guarantee = purpose[i]
        if guarantee is None:
            raise ValueError(f"a distribution names an unknown item {columns['item'][i]!r}")
        purpose[i] = str(ITEM_PURPOSE[guarantee])
    for i in np.flatnonzero(tags == 2).tolist():
        source[i], purpose[i] = "programme:reconstruction", PurposeClass.RECONSTRUCTION.value
    number = {c: np.array(columns[c], dtype=float) for c in ("amount", "quantity", "members", "kcal_per_unit",
                                                              "litres_per_unit")}
    start, end, given = _ns(columns["period_start"]), _ns(columns["period_end"]), _ns(columns["given_at"])
    if len(dist):
        codes = np.array([PURPOSE_CLASSES.index(purpose[i]) for i in dist.tolist()], dtype=np.int64)
        end[dist] = start[dist] + covered_ns(codes, number["quantity"][dist], number["members"][dist],
                                             number["kcal_per_unit"][dist], number["litres_per_unit"][dist], periods)
    tranche = tags == 2
    if tranche.any():
        days = periods.in_kind_days[PurposeClass.RECONSTRUCTION.value]
        end[tranche] = given[tranche] + pd.Timedelta(days=days).value
    def text(values: Any) -> pd.Series:
        return pd.Series(np.array(values, dtype=object) if n else np.zeros(0, dtype=object), dtype=object, copy=False)

    def utc(ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")

    return pd.DataFrame({
        "aid_id": text(columns["aid_id"]), "household_id": text(columns["household_id"]), "source": text(source),
        "source_kind": text(np.array(_FEW_KINDS, dtype=object)[tags]), "purpose": text(purpose),
        "period_start": utc(start), "period_end": utc(end), "amount": number["amount"], "quantity": number["quantity"],
        "given_at": utc(given), "item": text(columns["item"])}, copy=False)


def _broadcast(value: Any, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (pd.DatetimeIndex, pd.api.extensions.ExtensionArray)):
        return np.asarray(pd.DatetimeIndex(value).tz_convert("UTC").as_unit("ns").asi8)
    if value is None or isinstance(value, str):
        return np.full(n, value, dtype=object)
    return np.full(n, value, dtype=float)


_TIMES = ("period_start", "period_end", "given_at")


def chain_frame(session: Session, household_ids: Sequence[str] | None = None, *,
                periods: PeriodFigures | None = None) -> pd.DataFrame:
    """Every aid the households received (all households when ``household_ids`` is None), one row per aid
    with :data:`CHAIN_COLUMNS`, UTC datetimes, in no particular order (``aid_chain.chain`` orders it).

    ``periods``: how long in-kind aid covers a household (``PeriodFigures.of(ctx.standards)``); None reads
    the bundled standards' figures. Given households, every source is one indexed read. Text columns are
    numpy object columns (not Arrow strings): the domain's sweeps read them as numpy arrays.
    """
    if periods is None:
        from relief.domain.standards import Standards

        periods = PeriodFigures.of(Standards.bundled())
    ids = None if household_ids is None else sorted(set(household_ids))
    if ids is not None and len(ids) <= FEW_HOUSEHOLDS:
        return _few(session, ids, periods)
    parts = [_distributions(session, ids, periods), _assistance(session, ids), _reconstruction(session, ids, periods),
             _partner(session, ids)]
    sizes = [len(p["aid_id"]) for p in parts]
    data: dict[str, Any] = {}
    for column in CHAIN_COLUMNS:
        pieces = [_broadcast(p[column], size) for p, size in zip(parts, sizes) if size]
        if column in _TIMES:
            joined = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
            data[column] = pd.DatetimeIndex(joined.view("datetime64[ns]")).tz_localize("UTC")
        elif column in ("amount", "quantity"):
            data[column] = np.concatenate(pieces).astype(float) if pieces else np.zeros(0)
        else:
            joined = np.concatenate(pieces) if pieces else np.zeros(0, dtype=object)
            data[column] = pd.Series(joined.astype(object, copy=False), dtype=object, copy=False)
    frame = pd.DataFrame({c: (v if isinstance(v, pd.Series) else pd.Series(v, copy=False)) for c, v in data.items()},
                         copy=False)
    return frame


def households_areas(session: Session, household_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """``{household_id: (township_code, village_code)}`` (the township is the village's parent area)."""
    ids = sorted(set(household_ids))
    out: dict[str, tuple[str | None, str | None]] = {}
    query = (select(_H.id, _A.parent_code, _H.village_code)
             .join_from(Household.__table__, Area.__table__, _A.code == _H.village_code, isouter=True)
             .where(_H.id.in_(bindparam("ids", expanding=True))))
    connection = session.connection()
    for chunk in chunks(ids):
        out.update((hid, (township, village)) for hid, township, village in connection.execute(query, {"ids": chunk}))
    return out


# --- partner aid ----------------------------------------------------------------------------

def add_partner_import(session: Session, **values: Any) -> PartnerAidImport:
    row = PartnerAidImport(**values)
    session.add(row)
    session.flush()
    return row


def insert_partner_aid(session: Session, rows: list[dict[str, Any]]) -> int:
    """Partner aid rows (dicts of :class:`PartnerAid` columns), in one executemany per chunk."""
    connection = session.connection()
    for start in range(0, len(rows), 2000):
        connection.execute(PartnerAid.__table__.insert(), rows[start:start + 2000])
    return len(rows)


# --- flags ---------------------------------------------------------------------------------

#: What a sweep may rewrite on a flag it finds again (its facts; never its status or review).
FLAG_FACTS = ("reason", "aid_id", "earlier_aid_ids", "sources", "period_start", "period_end", "amount", "entitlement",
              "evidence", "deadline", "township_code", "village_code")


def flags_by_key(session: Session, keys: Iterable[str], *, for_update: bool = False) -> dict[str, AidFlag]:
    found: dict[str, AidFlag] = {}
    for chunk in chunks(sorted(set(keys))):
        query = select(AidFlag).where(AidFlag.key.in_(chunk)).order_by(AidFlag.id)
        if for_update:
            query = query.with_for_update()
        found.update((f.key, f) for f in session.scalars(query))
    return found


def open_flags(session: Session, kind: str | None = None, statuses: Sequence[str] = ()) -> list[AidFlag]:
    """Flags in ``statuses`` (of ``kind``), oldest first."""
    query = select(AidFlag).where(AidFlag.status.in_(list(statuses))).order_by(AidFlag.id)
    if kind is not None:
        query = query.where(AidFlag.kind == kind)
    return list(session.scalars(query))


#: What :func:`upsert_flags` reads of a kept flag, and answers (as attributes) for each flag it touched.
FLAG_VIEW = ("id", "key", "kind", "reason", "household_id", "purpose", "status", "aid_id", "since", "deadline",
             "township_code", "village_code", "resolution_reason")


def upsert_flags(session: Session, rows: list[dict[str, Any]], *, now: datetime, initial_status: str,
                 is_resolved, actor_id: int | None = None) -> dict[str, list[SimpleNamespace]]:
    """Insert the flags whose ``key`` is new (each with its opening step) and update the facts
    (:data:`FLAG_FACTS`) of those already kept, unless resolved (``is_resolved(kind, status)``): a resolved
    flag is never reopened nor rewritten. Answers ``{"opened": [...], "updated": [...], "kept": [...]}``
    (``kept``: found again, resolved, untouched), each flag as a plain record with :data:`FLAG_VIEW` (Core
    statements throughout: a sweep touches tens of thousands of flags; load the ORM rows of the few it then
    moves along their review with :func:`flags_by_key`)."""
    table = AidFlag.__table__
    wanted = [table.c[name] for name in dict.fromkeys((*FLAG_VIEW, *FLAG_FACTS))]
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["key"], row)
    existing: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(unique)):
        query = select(*wanted).where(table.c.key.in_(chunk)).order_by(table.c.id)
        if is_postgres(session):
            query = query.with_for_update()
        existing.update((r["key"], dict(r)) for r in session.execute(query).mappings())
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    updated: list[SimpleNamespace] = []
    kept: list[SimpleNamespace] = []
    for key, row in unique.items():
        old = existing.get(key)
        if old is None:
            new.append({**row, "status": row.get("status", initial_status), "opened_at": now, "updated_at": now})
            continue
        if is_resolved(old["kind"], old["status"]):
            kept.append(SimpleNamespace(**{n: old[n] for n in FLAG_VIEW}))
            continue
        diff = {n: row[n] for n in FLAG_FACTS if n in row and _differs(old[n], row[n])}
        if diff:
            merged = {**old, **diff}
            changes.append({"flag_id": old["id"], **{n: merged[n] for n in FLAG_FACTS}, "updated_at": now})
            updated.append(SimpleNamespace(**{n: merged[n] for n in FLAG_VIEW}))
    connection = session.connection()
    opened: list[SimpleNamespace] = []
    if new:
        for start in range(0, len(new), 2000):
            connection.execute(table.insert(), new[start:start + 2000])
        ids: dict[str, int] = {}
        for chunk in chunks([r["key"] for r in new]):
            ids.update(connection.execute(select(table.c.key, table.c.id).where(table.c.key.in_(chunk))).all())
        for row in new:
            opened.append(SimpleNamespace(**{n: (ids[row["key"]] if n == "id" else row.get(n)) for n in FLAG_VIEW}))
        steps = [{"flag_id": f.id, "from_status": None, "to_status": f.status, "reason": f.resolution_reason,
                  "actor_id": actor_id, "at": now} for f in opened]
        for start in range(0, len(steps), 2000):
            connection.execute(AidFlagStep.__table__.insert(), steps[start:start + 2000])
    if changes:
        statement_ = (update(table).where(table.c.id == bindparam("flag_id"))
                      .values({n: bindparam(n) for n in (*FLAG_FACTS, "updated_at")}))
        for start in range(0, len(changes), 2000):
            connection.execute(statement_, changes[start:start + 2000])
    return {"opened": opened, "updated": updated, "kept": kept}


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, float) and isinstance(new, float) and np.isnan(old) and np.isnan(new):
        return False
    if isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        return list(old) != list(new)
    return old != new


def flag(session: Session, flag_id: int, *, for_update: bool = False) -> AidFlag | None:
    query = select(AidFlag).where(AidFlag.id == flag_id)
    return session.scalar(query.with_for_update() if for_update else query)


def flags(session: Session, *, kind: str | None = None, township: str | None = None, status: str | None = None,
          household_id: str | None = None, offset: int = 0, limit: int = 100) -> tuple[list[AidFlag], int]:
    """One page of flags (oldest ``since`` first) and how many match."""
    where = []
    if kind:
        where.append(AidFlag.kind == kind)
    if township:
        where.append(AidFlag.township_code == township)
    if status:
        where.append(AidFlag.status == status)
    if household_id:
        where.append(AidFlag.household_id == household_id)
    total = session.scalar(select(func.count()).select_from(AidFlag).where(*where)) or 0
    rows = list(session.scalars(select(AidFlag).where(*where).order_by(AidFlag.since, AidFlag.id)
                                .offset(offset).limit(limit)))
    return rows, int(total)


def add_flag_step(session: Session, flag_row: AidFlag, *, from_status: str | None, to_status: str,
                  reason: str | None, actor_id: int | None, at: datetime) -> AidFlagStep:
    step = AidFlagStep(flag_id=flag_row.id, from_status=from_status, to_status=to_status, reason=reason,
                       actor_id=actor_id, at=at)
    session.add(step)
    session.flush()
    return step


def flag_steps(session: Session, flag_ids: Sequence[int]) -> dict[int, list[AidFlagStep]]:
    out: dict[int, list[AidFlagStep]] = {i: [] for i in flag_ids}
    for start in range(0, len(flag_ids), 5000):
        query = (select(AidFlagStep).where(AidFlagStep.flag_id.in_(list(flag_ids[start:start + 5000])))
                 .order_by(AidFlagStep.at, AidFlagStep.id))
        for step in session.scalars(query):
            out[step.flag_id].append(step)
    return out


def flag_counts_by_township(session: Session, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """``[{township_code, kind, status, count}]`` (aggregate counts only)."""
    query = select(AidFlag.township_code, AidFlag.kind, AidFlag.status, func.count()).group_by(
        AidFlag.township_code, AidFlag.kind, AidFlag.status).order_by(AidFlag.township_code, AidFlag.kind,
                                                                      AidFlag.status)
    if statuses is not None:
        query = query.where(AidFlag.status.in_(list(statuses)))
    return [{"township_code": t, "kind": k, "status": s, "count": int(n)} for t, k, s, n in session.execute(query)]


def unresolved():
    """The clause of flags still under review: a status with a next step for its kind (``aid_chain.STEPS``)."""
    pairs = sorted({(step.kind, step.source) for step in STEPS})
    return or_(*[and_(AidFlag.kind == kind, AidFlag.status == status) for kind, status in pairs])


def flag_counts_by_village(session: Session) -> list[dict[str, Any]]:
    """``[{village_code, kind, count}]`` of unresolved flags (aggregate counts, for the map)."""
    query = (select(AidFlag.village_code, AidFlag.kind, func.count()).where(unresolved())
             .group_by(AidFlag.village_code, AidFlag.kind).order_by(AidFlag.village_code, AidFlag.kind))
    return [{"village_code": v, "kind": k, "count": int(n)} for v, k, n in session.execute(query)]


def oldest_open(session: Session, n: int) -> list[AidFlag]:
    """The ``n`` unresolved flags waiting longest (by ``since``)."""
    return list(session.scalars(select(AidFlag).where(unresolved())
                                .order_by(AidFlag.since, AidFlag.id).limit(n)))


# --- missed aid past its deadline (the scheduler's job) ----------------------------------------

def overdue_unannounced(session: Session, now: datetime, *, limit: int = 500) -> list[AidFlag]:
    """Unresolved missed-aid flags whose deadline has passed and that were never announced overdue,
    locked (``SKIP LOCKED`` on PostgreSQL: two schedulers never announce one twice)."""
    query = (select(AidFlag).where(AidFlag.deadline.is_not(None), AidFlag.deadline < now,
                                   AidFlag.overdue_announced_at.is_(None), unresolved())
             .order_by(AidFlag.deadline, AidFlag.id).limit(limit))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def next_deadline(session: Session) -> datetime | None:
    """The soonest deadline of an unannounced, unresolved missed-aid flag (None: none)."""
    return session.scalar(select(func.min(AidFlag.deadline)).where(
        AidFlag.deadline.is_not(None), AidFlag.overdue_announced_at.is_(None), unresolved()))


def mark_announced(session: Session, flag_ids: Sequence[int], at: datetime) -> None:
    for start in range(0, len(flag_ids), 5000):
        session.execute(update(AidFlag).where(AidFlag.id.in_(list(flag_ids[start:start + 5000])))
                        .values(overdue_announced_at=at))



# --- what the sweep reads besides the chain ---------------------------------------------------

_HOUSEHOLD_KINDS = {"members": "float", "updated_at": "time"}


def households_frame(session: Session) -> pd.DataFrame:
    """The register as ``domain.assistance.eligible`` reads it, with area codes (the township is the village's
    parent) and when each household was last changed."""
    def build(postgres: bool):
        return (select(_H.id.label("household_id"), cast(_H.members, Float).label("members"), _H.house_damage,
                       _H.shelter, _H.assistance_category, _H.county_code, _A.parent_code.label("township_code"),
                       _H.village_code, raw_time(postgres, _H.updated_at).label("updated_at"))
                .outerjoin(Area.__table__, _A.code == _H.village_code))

    return _read(session, "households", build, _HOUSEHOLD_KINDS, None)


def reconstruction_entitlements(session: Session) -> pd.DataFrame:
    """Each house's household, damage class and household category (the subsidy a house is entitled to)."""
    query = (select(_HS.household_id, _HS.damage, _H.assistance_category)
             .join_from(House.__table__, Household.__table__, _H.id == _HS.household_id))
    return frame_of(query, fetch(session, query), {})


def assistance_entitlements(session: Session) -> pd.DataFrame:
    """Approved and paid cases as entitlements: household, the programme's purpose, the case's amount (the
    need) over the case's period."""
    def build(postgres: bool):
        return (select(_C.household_id, _P.purpose, cast(_C.amount, Float).label("need"),
                       raw_time(postgres, _C.period_start).label("period_start"),
                       raw_time(postgres, _C.period_end).label("period_end"))
                .join_from(AssistanceCase.__table__, AssistanceProgramme.__table__, _P.id == _C.programme_id)
                .where(_C.stage.in_(AID_CASE_STAGES)))

    return _read(session, "entitlements", build, {"need": "float", "period_start": "time", "period_end": "time"},
                 None)


def missed_flag_index(session: Session) -> pd.DataFrame:
    """Every missed-aid flag's ``id``, ``key``, ``status``, ``since`` and ``resolved_at`` (for the sweep to
    find the entry a due row continues)."""
    _F = AidFlag.__table__.c

    def build(postgres: bool):
        return (select(_F.id, _F.key, _F.household_id, _F.purpose, _F.status,
                       raw_time(postgres, _F.since).label("since"),
                       raw_time(postgres, _F.resolved_at).label("resolved_at"))
                .where(_F.kind == "missed").order_by(_F.id))

    return _read(session, "missed_index", build, {"since": "time", "resolved_at": "time"}, None)


def unmet_verdicts(session: Session) -> pd.DataFrame:
    """Each kept verdict failing at least one guarantee: ``household_id``, the five guarantees, ``as_of`` (the
    sweep's due rows; the reasons and shortfalls are not read)."""
    _G = GuaranteeStatus.__table__.c
    unmet = GuaranteeStatusWord.UNMET.value

    def build(postgres: bool):
        return (select(_G.household_id, *[_G[g] for g in GUARANTEES], raw_time(postgres, _G.as_of).label("as_of"))
                .where(or_(*[_G[g] == unmet for g in GUARANTEES])))

    return _read(session, "unmet_verdicts", build, {"as_of": "time"}, None)


def register_frame(session: Session) -> pd.DataFrame:
    """The household register as identity matching reads it (:data:`relief.domain.identity.HOUSEHOLD_COLUMNS`)."""
    from relief.domain.identity import HOUSEHOLD_COLUMNS

    rows = session.execute(select(_H.id, _H.id_number, _H.head_name, _H.village_code, _H.phone)).all()
    return pd.DataFrame(rows, columns=list(HOUSEHOLD_COLUMNS)) if rows else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in HOUSEHOLD_COLUMNS})


def add_override_flag(session: Session, **values: Any) -> AidFlag:
    """A flag written outside a sweep (a giving-time override), flushed so it has its id."""
    row = AidFlag(**values)
    session.add(row)
    session.flush()
    return row
