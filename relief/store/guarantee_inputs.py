"""The five-guarantee check's inputs as DataFrames, and its verdicts kept per household.

``load_inputs`` reads exactly the frames :func:`relief.domain.guarantees.evaluate`
takes, with its column names, through SQLAlchemy Core selects straight into
pandas: no ORM object per row, and positions decoded in one vectorised step
(PostGIS ``ST_X``/``ST_Y`` in SQL; on SQLite the raw WKB through
``shapely.from_wkb``). Times are parsed by pandas in bulk for the same reason.

Given household ids it loads only what those households' verdicts depend
on: their own rows, distributions and visits, the sites they stay at (with
the site's occupancy summed in SQL over *all* its occupants, since space and
water per person depend on everyone there), and every medical point (open
sites' posts and facilities), which are few and decide medical reach.

``upsert_statuses`` writes verdicts with ``INSERT … ON CONFLICT DO UPDATE``
(both stores), so two transactions rechecking the same household never
collide on the primary key.

Each kept verdict carries ``next_change_at``, when it next changes with
time alone; ``due_households`` lists those whose moment has come (an
indexed range read) for the scheduler to re-judge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import LargeBinary, String, and_, bindparam, delete, func, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from relief.store.tables import (Area, Distribution, Facility, GuaranteeStatus, Household, Item, MedicalVisit, Site,
                                 StandardsVersion)

GUARANTEE_COLUMNS = ("food", "clothing", "water", "housing", "medical")
STATUS_COLUMNS = ("household_id", "village_code", *GUARANTEE_COLUMNS, "reasons", "shortfalls", "as_of",
                  "standards_version", "next_change_at")
IN_CHUNK = 5000  # ids per IN (...) list, well under SQLite's bound-parameter limit
WRITE_CHUNK = 2000


@dataclass
class GuaranteeInputs:
    """The frames ``evaluate`` takes; ``occupancy`` is set when only some households were loaded."""

    households: pd.DataFrame
    sites: pd.DataFrame
    facilities: pd.DataFrame
    distributions: pd.DataFrame
    items: pd.DataFrame
    medical_visits: pd.DataFrame
    occupancy: pd.Series | None = None

    def frames(self) -> dict[str, Any]:
        return {"households": self.households, "sites": self.sites, "facilities": self.facilities,
                "distributions": self.distributions, "items": self.items,
                "medical_visits": self.medical_visits, "occupancy": self.occupancy}


# --- column helpers ----------------------------------------------------------
# Frames are built from whole columns (one numpy array each): pandas' per-row
# constructors cost more than the query itself for the small frames a recheck reads.

def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _position_columns(postgres: bool, table) -> list:
    """Two columns giving lon/lat (PostGIS) or one giving the raw WKB (SQLite)."""
    if postgres:
        return [func.ST_X(table.c.geom).label("lon"), func.ST_Y(table.c.geom).label("lat")]
    return [type_coerce(table.c.geom, LargeBinary).label("wkb")]


def _raw_time(postgres: bool, column) -> Any:
    """On SQLite the stored UTC text (parsed in bulk later); PostgreSQL returns aware datetimes."""
    return column if postgres else type_coerce(column, String)


_STATEMENTS: dict[tuple, Any] = {}


def _statement(session: Session, key: tuple, build: Callable[[bool], Any]) -> Any:
    """The statement for ``key`` on this dialect, built once.

    Statements take their ids and moments as bound parameters (ids as an
    expanding ``IN``), so one object serves every call and SQLAlchemy's
    construction and cache-key work is not redone: it is most of a one-household recheck's load time.
    """
    postgres = _is_postgres(session)
    full_key = (*key, postgres)
    if full_key not in _STATEMENTS:
        _STATEMENTS[full_key] = build(postgres)
    return _STATEMENTS[full_key]


def _ids_param() -> Any:
    return bindparam("ids", expanding=True)


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield list(ids[start:start + IN_CHUNK])


def _rows(session: Session, statement, params: dict[str, Any] | None = None, *, ids: Sequence[str] | None = None,
          raw: bool = True) -> list:
    """Rows of ``statement``; with ``ids``, executed per chunk of ids (bound as ``ids``).

    ``raw`` fetches the driver's tuples straight from the cursor, skipping
    SQLAlchemy's per-row processing (a third of the load time on 100,000
    households); bound parameters are still processed. Raw values are what
    the driver gives: 0/1 for SQLite booleans, text for its times, bytes for
    WKB, which :func:`_frame`'s conversions expect.
    """
    connection = session.connection()  # the caller's transaction: sees its flushed changes
    batches = [dict(params or {})] if ids is None else [{**(params or {}), "ids": chunk} for chunk in _chunks(ids)]
    rows: list = []
    for batch in batches:
        result = connection.execute(statement, batch)
        if raw:
            rows.extend(result.cursor.fetchall())
            result.close()
        else:
            rows.extend(result.all())
    return rows


def _frame(query, rows: list, kinds: dict[str, str]) -> pd.DataFrame:
    """A frame from result rows; ``kinds`` converts columns (float, bool, time, wkb → lon/lat)."""
    names = [c.key for c in query.selected_columns]
    columns = list(zip(*rows)) if rows else [()] * len(names)
    data: dict[str, Any] = {}
    for name, values in zip(names, columns):
        kind = kinds.get(name, "object")
        if kind == "wkb":
            points = shapely.from_wkb(np.array(values, dtype=object))
            data["lon"], data["lat"] = shapely.get_x(points), shapely.get_y(points)
        elif kind == "time":
            data[name] = _utc(values)
        else:
            data[name] = np.array(values, dtype=kind)
    return pd.DataFrame(data, copy=False)


def _utc(values: Sequence[Any]) -> pd.DatetimeIndex:
    """UTC moments from SQLite's stored UTC text (numpy parses it fastest) or PostgreSQL's aware datetimes."""
    if len(values) == 0:
        return pd.DatetimeIndex([], tz="UTC")
    if isinstance(values[0], str):
        try:
            return pd.DatetimeIndex(np.array(values, dtype="datetime64[ns]"), tz="UTC")
        except ValueError:
            pass
    return pd.DatetimeIndex(pd.to_datetime(list(values), utc=True, format="ISO8601"))


# --- the frames ---------------------------------------------------------------

_H, _S, _F = Household.__table__.c, Site.__table__.c, Facility.__table__.c
_I, _D, _V = Item.__table__.c, Distribution.__table__.c, MedicalVisit.__table__.c
_G = GuaranteeStatus.__table__.c
_POSITION = {"lon": "float", "lat": "float", "wkb": "wkb"}

_HOUSEHOLD_KINDS = {"members": "float", "injured": "float", "chronic": "float", "pregnant": "float",
                    "needs_living_aid": "bool", "evacuated": "bool", **_POSITION}


def households_frame(session: Session, ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per household: ``household_id``, the fields the checks read, ``lon``/``lat``, area codes,
    and the kept verdict (``kept_<guarantee>``, ``kept_village_code``; None when never judged), joined
    here so a recheck needs no second query to detect changes."""
    def build(postgres: bool):
        kept = [_G[c].label(f"kept_{c}") for c in ("village_code", *GUARANTEE_COLUMNS)]
        query = (select(_H.id.label("household_id"), _H.members, _H.injured, _H.chronic, _H.pregnant,
                        _H.house_damage, _H.needs_living_aid, _H.evacuated, _H.shelter, _H.site_id, _H.village_code,
                        _H.county_code, *_position_columns(postgres, Household.__table__), *kept)
                 .select_from(Household.__table__.outerjoin(GuaranteeStatus.__table__, _G.household_id == _H.id)))
        return query.order_by(_H.id) if ids is None else query.where(_H.id.in_(_ids_param()))

    query = _statement(session, ("households", ids is None), build)
    return _frame(query, _rows(session, query, ids=ids), _HOUSEHOLD_KINDS)


_SITE_KINDS = {"capacity_persons": "float", "covered_area_m2": "float", "water_l_per_day": "float",
               "provides_meals": "bool", "medical_post": "bool", **_POSITION}


def sites_frame(session: Session, ids: Sequence[str] | None = None, *, medical_posts: bool = False) -> pd.DataFrame:
    """Sites: all, or ``ids`` plus (``medical_posts``) every open site with a medical post."""
    def build(postgres: bool):
        query = select(_S.id.label("site_id"), _S.capacity_persons, _S.covered_area_m2, _S.water_l_per_day,
                       _S.provides_meals, _S.medical_post, _S.status, _S.county_code,
                       *_position_columns(postgres, Site.__table__))
        if ids is None:
            return query.order_by(_S.id)
        wanted = _S.id.in_(_ids_param())
        if medical_posts:
            wanted = or_(wanted, and_(_S.medical_post.is_(True), _S.status == "open"))
        return query.where(wanted).order_by(_S.id)

    query = _statement(session, ("sites", ids is None, medical_posts), build)
    params = None if ids is None else {"ids": list(ids)}  # a few sites: one statement, even for none
    return _frame(query, _rows(session, query, params), _SITE_KINDS)


def facilities_frame(session: Session) -> pd.DataFrame:
    query = _statement(session, ("facilities",), lambda postgres: select(
        _F.id.label("facility_id"), _F.operating, *_position_columns(postgres, Facility.__table__)).order_by(_F.id))
    return _frame(query, _rows(session, query), {"operating": "bool", **_POSITION})


_AMOUNTS = ("kcal_per_unit", "litres_per_unit", "sets_per_unit", "pieces_per_unit")


def items_frame(session: Session) -> pd.DataFrame:
    query = _statement(session, ("items",), lambda postgres: select(
        _I.code.label("item_code"), _I.guarantee, *[_I[c] for c in _AMOUNTS]).order_by(_I.code))
    return _frame(query, _rows(session, query), {c: "float" for c in _AMOUNTS})


def distributions_frame(session: Session, ids: Sequence[str] | None = None, *,
                        until: datetime | None = None) -> pd.DataFrame:
    """Distributions (to ``ids``), up to ``until``: later ones cannot count yet."""
    def build(postgres: bool):
        query = select(_D.household_id, _D.item_code, _D.quantity,
                       _raw_time(postgres, _D.distributed_at).label("distributed_at"))
        if until is not None:
            query = query.where(_D.distributed_at <= bindparam("until"))
        return query if ids is None else query.where(_D.household_id.in_(_ids_param()))

    query = _statement(session, ("distributions", ids is None, until is None), build)
    return _frame(query, _rows(session, query, {"until": until}, ids=ids),
                  {"quantity": "float", "distributed_at": "time"})


def medical_visits_frame(session: Session, ids: Sequence[str] | None = None, *, since: datetime | None = None,
                         until: datetime | None = None) -> pd.DataFrame:
    """Visits (to ``ids``) between ``since`` and ``until``: only recent visits count."""
    def build(postgres: bool):
        query = select(_V.household_id, _raw_time(postgres, _V.visited_at).label("visited_at"))
        if since is not None:
            query = query.where(_V.visited_at >= bindparam("since"))
        if until is not None:
            query = query.where(_V.visited_at <= bindparam("until"))
        return query if ids is None else query.where(_V.household_id.in_(_ids_param()))

    query = _statement(session, ("visits", ids is None, since is None, until is None), build)
    return _frame(query, _rows(session, query, {"since": since, "until": until}, ids=ids), {"visited_at": "time"})


def site_occupancy(session: Session, site_ids: Sequence[str]) -> pd.Series:
    """Persons recorded at each of ``site_ids``, summed over all their occupants in SQL."""
    query = _statement(session, ("occupancy",), lambda postgres: (
        select(_H.site_id, func.sum(_H.members))
        .where(_H.shelter == "site", _H.site_id.in_(_ids_param())).group_by(_H.site_id)))
    rows = _rows(session, query, {"ids": list(site_ids)}) if site_ids else []
    index = pd.Index([r[0] for r in rows], name="site_id", dtype=object)
    return pd.Series(np.array([r[1] for r in rows], dtype=float), index=index, name="occupants")


def load_inputs(session: Session, household_ids: Iterable[str] | None = None, *, as_of: datetime | None = None,
                visit_window_days: float | None = None) -> GuaranteeInputs:
    """Everything ``evaluate`` needs for all households, or for ``household_ids`` only.

    ``as_of`` drops distributions and visits recorded after it (they cannot
    count); ``visit_window_days`` also drops visits too old to count.
    """
    since = None
    if as_of is not None and visit_window_days is not None:
        since = as_of - timedelta(days=visit_window_days)
    if household_ids is None:
        return GuaranteeInputs(
            households=households_frame(session), sites=sites_frame(session), facilities=facilities_frame(session),
            distributions=distributions_frame(session, until=as_of), items=items_frame(session),
            medical_visits=medical_visits_frame(session, since=since, until=as_of))
    ids = sorted(set(household_ids))
    households = households_frame(session, ids)
    at_site = (households["shelter"].to_numpy() == "site") & pd.notna(households["site_id"].to_numpy())
    site_ids = sorted(set(households["site_id"].to_numpy()[at_site]))
    return GuaranteeInputs(
        households=households,
        sites=sites_frame(session, site_ids, medical_posts=True),
        facilities=facilities_frame(session),
        distributions=distributions_frame(session, ids, until=as_of),
        items=items_frame(session),
        medical_visits=medical_visits_frame(session, ids, since=since, until=as_of),
        occupancy=site_occupancy(session, site_ids))


# --- kept verdicts --------------------------------------------------------------

def load_statuses(session: Session, household_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Kept status words (the five guarantees) and village, indexed by household_id, for change detection."""
    ids = None if household_ids is None else sorted(set(household_ids))

    def build(postgres: bool):
        query = select(_G.household_id, _G.village_code, *[_G[c] for c in GUARANTEE_COLUMNS])
        return query if ids is None else query.where(_G.household_id.in_(_ids_param()))

    query = _statement(session, ("statuses", ids is None), build)
    return _frame(query, _rows(session, query, ids=ids), {}).set_index("household_id")


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

    statement = _statement(session, ("upsert",), build)
    connection = session.connection()
    for start in range(0, len(rows), WRITE_CHUNK):
        connection.execute(statement, rows[start:start + WRITE_CHUNK])
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
    query = _statement(session, ("due",), lambda postgres: (
        select(_G.household_id).where(_G.next_change_at <= bindparam("now", type_=_G.next_change_at.type))
        .order_by(_G.next_change_at, _G.household_id)))
    return [row[0] for row in _rows(session, query, {"now": now}, raw=False)]


def next_change(session: Session) -> datetime | None:
    """The soonest moment a kept verdict changes by itself (None: none will)."""
    query = _statement(session, ("next_change",), lambda postgres: select(func.min(_G.next_change_at)))
    return session.connection().execute(query).scalar()


def delete_statuses(session: Session, household_ids: Iterable[str]) -> None:
    """Forget verdicts (before their households are replaced or removed)."""
    for chunk in _chunks(sorted(set(household_ids))):
        session.execute(delete(GuaranteeStatus.__table__).where(_G.household_id.in_(chunk)))




def active_standards_version(session: Session) -> tuple | None:
    """(id, version, created_at) of the standards in force: a cheap key before reusing a parsed document."""
    table = StandardsVersion.__table__.c
    query = (select(table.id, table.version, table.created_at).where(table.active.is_(True))
             .order_by(table.id.desc()).limit(1))
    row = session.connection().execute(query).first()
    return tuple(row) if row else None


def stored_verdicts(session: Session) -> pd.DataFrame:
    """Every kept verdict with the household's village and county (the dashboard's and API's default view)."""
    query = (select(_G.household_id, _H.village_code, _H.county_code, *[_G[c] for c in GUARANTEE_COLUMNS],
                    _G.reasons, _G.shortfalls, _raw_time(_is_postgres(session), _G.as_of).label("as_of"),
                    _G.standards_version)
             .join_from(GuaranteeStatus.__table__, Household.__table__, _H.id == _G.household_id)
             .order_by(_G.household_id))
    return _frame(query, _rows(session, query, raw=False), {"as_of": "time"})


def area_parents(session: Session) -> dict[str, str]:
    """Area code → parent code (village → township → county), for counting by level."""
    table = Area.__table__.c
    query = select(table.code, table.parent_code).where(table.parent_code.is_not(None))
    return dict(_rows(session, query))


def area_names(session: Session, codes: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{code: {"zh", "en"}}`` for labelling counts."""
    table = Area.__table__.c
    wanted = sorted({c for c in codes if c})
    out: dict[str, dict[str, str]] = {}
    for chunk in _chunks(wanted):
        query = select(table.code, table.name_zh, table.name_en).where(table.code.in_(chunk))
        for code, zh, en in _rows(session, query):
            out[code] = {"zh": zh, "en": en}
    return out
