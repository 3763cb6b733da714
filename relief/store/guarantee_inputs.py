"""The five-guarantee check's inputs: frames for many households, rows for a handful.

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
``load_rows`` reads the same selects as plain dicts for
:func:`relief.domain.guarantees.evaluate_few` (a recheck after one write):
building a frame costs more than the query itself there.

Paid living cash counts toward food (§6): given :class:`FoodCash` (the
standards' food cost per person per day and the kcal of that day), each paid
case of a ``living_cash`` programme joins the distributions as food received
at its period start, worth ``min(amount / (cost × members), period days)``
days of the household's food, under the item :data:`FOOD_CASH_ITEM` (added
to the items frame, 1 kcal per unit; never a stored item).

The statements are built once per store (``Store.memo``) and shared with
:mod:`relief.store.verdicts`, which keeps the verdicts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import LargeBinary, String, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from relief.domain.vocabulary import GUARANTEES as GUARANTEE_COLUMNS
from relief.domain.vocabulary import CaseStage, Guarantee, PurposeClass, Shelter, SiteStatus
from relief.store.tables import (
    AssistanceCase,
    AssistanceProgramme,
    Distribution,
    Facility,
    GuaranteeStatus,
    Household,
    Item,
    MedicalVisit,
    Site,
)

IN_CHUNK = 5000  # ids per IN (...) list, well under SQLite's bound-parameter limit


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


@dataclass
class GuaranteeRows:
    """The rows ``evaluate_few`` takes (dicts with the frames' column names); households also carry
    their area codes and kept verdict (``kept_<guarantee>``, ``kept_village_code``)."""

    households: list[dict[str, Any]]
    sites: list[dict[str, Any]]
    facilities: list[dict[str, Any]]
    distributions: list[dict[str, Any]]
    items: list[dict[str, Any]]
    medical_visits: list[dict[str, Any]]
    occupancy: dict[str, float]

    def rows(self) -> dict[str, Any]:
        return {"households": self.households, "sites": self.sites, "facilities": self.facilities,
                "distributions": self.distributions, "items": self.items,
                "medical_visits": self.medical_visits, "occupancy": self.occupancy}


# --- column helpers ----------------------------------------------------------
# Frames are built from whole columns (one numpy array each): pandas' per-row
# constructors cost more than the query itself for the small frames a recheck reads.

def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _position_columns(postgres: bool, table) -> list:
    """Two columns giving lon/lat (PostGIS) or one giving the raw WKB (SQLite)."""
    if postgres:
        return [func.ST_X(table.c.geom).label("lon"), func.ST_Y(table.c.geom).label("lat")]
    return [type_coerce(table.c.geom, LargeBinary).label("wkb")]


def raw_time(postgres: bool, column) -> Any:
    """On SQLite the stored UTC text (parsed in bulk later); PostgreSQL returns aware datetimes."""
    return column if postgres else type_coerce(column, String)


_MEMO_KEY = "guarantee_inputs.statements"


def statement(session: Session, key: tuple, build: Callable[[bool], Any]) -> Any:
    """The statement for ``key`` on this dialect, built once per store (``Store.memo``).

    Statements take their ids and moments as bound parameters (ids as an
    expanding ``IN``), so one object serves every call and SQLAlchemy's
    construction and cache-key work is not redone: it is most of a one-household recheck's load time.
    A session made outside a :class:`~relief.store.db.Store` builds it afresh.
    """
    postgres = is_postgres(session)
    memo = session.info.get("memo")
    built = {} if memo is None else memo.get(_MEMO_KEY)
    if built is None:
        built = memo.setdefault(_MEMO_KEY, {})
    full_key = (*key, postgres)
    found = built.get(full_key)
    if found is None:
        found = built[full_key] = build(postgres)
    return found


def _ids_param() -> Any:
    return bindparam("ids", expanding=True)


def chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), IN_CHUNK):
        yield list(ids[start:start + IN_CHUNK])


def fetch(session: Session, statement, params: dict[str, Any] | None = None, *, ids: Sequence[str] | None = None,
          raw: bool = True) -> list:
    """Rows of ``statement``; with ``ids``, executed per chunk of ids (bound as ``ids``).

    ``raw`` fetches the driver's tuples straight from the cursor, skipping
    SQLAlchemy's per-row processing (a third of the load time on 100,000
    households); bound parameters are still processed. Raw values are what
    the driver gives: 0/1 for SQLite booleans, text for its times, bytes for
    WKB, which :func:`frame_of`'s conversions expect.
    """
    connection = session.connection()  # the caller's transaction: sees its flushed changes
    batches = [dict(params or {})] if ids is None else [{**(params or {}), "ids": chunk} for chunk in chunks(ids)]
    rows: list = []
    for batch in batches:
        result = connection.execute(statement, batch)
        if raw:
            rows.extend(result.cursor.fetchall())
            result.close()
        else:
            rows.extend(result.all())
    return rows


def frame_of(query, rows: list, kinds: dict[str, str]) -> pd.DataFrame:
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


def records_of(query, rows: list, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Dicts from raw result rows, with :func:`frame_of`'s names: WKB becomes ``lon``/``lat``, SQLite's
    UTC text an aware datetime; other values stay as the driver gives them."""
    names = [c.key for c in query.selected_columns]
    out = [dict(zip(names, row)) for row in rows]
    if "wkb" in names and out:
        points = shapely.from_wkb(np.array([r.pop("wkb") for r in out], dtype=object))
        for record, lon, lat in zip(out, shapely.get_x(points).tolist(), shapely.get_y(points).tolist()):
            record["lon"], record["lat"] = lon, lat
    for name in (n for n in names if kinds.get(n) == "time"):
        for record in out:
            record[name] = _aware(record[name])
    return out


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


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

def _shaped(records: bool, query, rows: list, kinds: dict[str, str]) -> Any:
    """Rows as dicts (``records``) or as a frame."""
    return records_of(query, rows, kinds) if records else frame_of(query, rows, kinds)


_HOUSEHOLD_KINDS = {"members": "float", "injured": "float", "chronic": "float", "pregnant": "float",
                    "needs_living_aid": "bool", "evacuated": "bool", **_POSITION}


def households_frame(session: Session, ids: Sequence[str] | None = None, *, records: bool = False) -> Any:
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

    query = statement(session, ("households", ids is None), build)
    return _shaped(records, query, fetch(session, query, ids=ids), _HOUSEHOLD_KINDS)


_SITE_KINDS = {"capacity_persons": "float", "covered_area_m2": "float", "water_l_per_day": "float",
               "provides_meals": "bool", "medical_post": "bool", **_POSITION}


def sites_frame(session: Session, ids: Sequence[str] | None = None, *, medical_posts: bool = False,
                records: bool = False) -> Any:
    """Sites: all, or ``ids`` plus (``medical_posts``) every open site with a medical post."""
    def build(postgres: bool):
        query = select(_S.id.label("site_id"), _S.capacity_persons, _S.covered_area_m2, _S.water_l_per_day,
                       _S.provides_meals, _S.medical_post, _S.status, _S.county_code,
                       *_position_columns(postgres, Site.__table__))
        if ids is None:
            return query.order_by(_S.id)
        wanted = _S.id.in_(_ids_param())
        if medical_posts:
            wanted = or_(wanted, and_(_S.medical_post.is_(True), _S.status == SiteStatus.OPEN))
        return query.where(wanted).order_by(_S.id)

    query = statement(session, ("sites", ids is None, medical_posts), build)
    params = None if ids is None else {"ids": list(ids)}  # a few sites: one statement, even for none
    return _shaped(records, query, fetch(session, query, params), _SITE_KINDS)


def facilities_frame(session: Session, *, records: bool = False) -> Any:
    query = statement(session, ("facilities",), lambda postgres: select(
        _F.id.label("facility_id"), _F.operating, *_position_columns(postgres, Facility.__table__)).order_by(_F.id))
    return _shaped(records, query, fetch(session, query), {"operating": "bool", **_POSITION})


_AMOUNTS = ("kcal_per_unit", "litres_per_unit", "sets_per_unit", "pieces_per_unit")


def items_frame(session: Session, *, records: bool = False) -> Any:
    query = statement(session, ("items",), lambda postgres: select(
        _I.code.label("item_code"), _I.guarantee, *[_I[c] for c in _AMOUNTS]).order_by(_I.code))
    return _shaped(records, query, fetch(session, query), {c: "float" for c in _AMOUNTS})


def distributions_frame(session: Session, ids: Sequence[str] | None = None, *,
                        until: datetime | None = None, records: bool = False) -> Any:
    """Distributions (to ``ids``), up to ``until``: later ones cannot count yet."""
    def build(postgres: bool):
        query = select(_D.household_id, _D.item_code, _D.quantity,
                       raw_time(postgres, _D.distributed_at).label("distributed_at"))
        if until is not None:
            query = query.where(_D.distributed_at <= bindparam("until"))
        return query if ids is None else query.where(_D.household_id.in_(_ids_param()))

    query = statement(session, ("distributions", ids is None, until is None), build)
    return _shaped(records, query, fetch(session, query, {"until": until}, ids=ids),
                   {"quantity": "float", "distributed_at": "time"})


def medical_visits_frame(session: Session, ids: Sequence[str] | None = None, *, since: datetime | None = None,
                         until: datetime | None = None, records: bool = False) -> Any:
    """Visits (to ``ids``) between ``since`` and ``until``: only recent visits count."""
    def build(postgres: bool):
        query = select(_V.household_id, raw_time(postgres, _V.visited_at).label("visited_at"))
        if since is not None:
            query = query.where(_V.visited_at >= bindparam("since"))
        if until is not None:
            query = query.where(_V.visited_at <= bindparam("until"))
        return query if ids is None else query.where(_V.household_id.in_(_ids_param()))

    query = statement(session, ("visits", ids is None, since is None, until is None), build)
    return _shaped(records, query, fetch(session, query, {"since": since, "until": until}, ids=ids),
                   {"visited_at": "time"})


#: The item paid living cash is received as in the inputs (1 kcal per unit); never a stored item.
FOOD_CASH_ITEM = "~living_cash"
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class FoodCash:
    """What paid living cash is worth in food (§6): the standards' food cost of one person's day
    (``assistance.food_yuan_per_person_day``) and the kcal of that day (the profile's ``food_kcal_per_person_day``)."""

    yuan_per_person_day: float
    kcal_per_person_day: float


_C, _P = AssistanceCase.__table__.c, AssistanceProgramme.__table__.c


def food_cash_rows(session: Session, ids: Sequence[str] | None, food_cash: FoodCash, *,
                   until: datetime | None = None) -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """Paid living-cash cases (of ``ids``) as food: ``(household ids, kcal, period starts in ns, start values)``.

    A case counts once paid (``paid_at`` up to ``until``) from its period start (up to ``until``); it covers
    ``amount / (yuan_per_person_day × members)`` days of the household's food (members as the register says
    now, as the food check divides by them), at most its period's days. Flushes first: a payment confirmed in
    this transaction counts in the same transaction's recheck.
    """
    session.flush()

    def build(postgres: bool):
        query = (select(_C.household_id, _C.amount, _H.members, raw_time(postgres, _C.period_start).label("start"),
                        raw_time(postgres, _C.period_end).label("end"))
                 .select_from(AssistanceCase.__table__.join(AssistanceProgramme.__table__, _P.id == _C.programme_id)
                              .join(Household.__table__, _H.id == _C.household_id))
                 .where(_C.stage == CaseStage.PAID.value, _P.purpose == PurposeClass.LIVING_CASH.value))
        if until is not None:
            query = query.where(_C.period_start <= bindparam("until"),
                                 func.coalesce(_C.paid_at, _C.period_start) <= bindparam("until"))
        return query if ids is None else query.where(_C.household_id.in_(_ids_param()))

    query = statement(session, ("food_cash", ids is None, until is None), build)
    rows = fetch(session, query, {"until": until}, ids=ids)
    if not rows:
        return [], np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    who, amount, members, start, end = zip(*rows)
    members_ = np.array([np.nan if m is None else m for m in members], dtype=float)
    start_ns = _utc(start).as_unit("ns").asi8  # PostgreSQL's datetimes parse to microseconds
    days_in_period = (_utc(end).as_unit("ns").asi8 // _DAY_NS - start_ns // _DAY_NS + 1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.minimum(np.array(amount, dtype=float) / (food_cash.yuan_per_person_day * members_), days_in_period)
    kcal = days * members_ * food_cash.kcal_per_person_day
    keep = (members_ > 0) & (kcal > 0)
    return ([w for w, k in zip(who, keep) if k], kcal[keep], start_ns[keep], np.array(start, dtype=object)[keep])


def _food_cash_item() -> dict[str, Any]:
    return {"item_code": FOOD_CASH_ITEM, "guarantee": Guarantee.FOOD.value, "kcal_per_unit": 1.0,
            "litres_per_unit": 0.0, "sets_per_unit": 0.0, "pieces_per_unit": 0.0}


def with_food_cash_frames(session: Session, ids: Sequence[str] | None, food_cash: FoodCash | None,
                          distributions: pd.DataFrame, items: pd.DataFrame, *,
                          until: datetime | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``distributions`` and ``items`` with paid living cash added as food (unchanged when there is none)."""
    if food_cash is None:
        return distributions, items
    who, kcal, start_ns, _ = food_cash_rows(session, ids, food_cash, until=until)
    if not len(who):
        return distributions, items
    cash = pd.DataFrame({"household_id": np.array(who, dtype=object),
                         "item_code": np.full(len(who), FOOD_CASH_ITEM, dtype=object), "quantity": kcal,
                         "distributed_at": pd.DatetimeIndex(start_ns, tz="UTC")})
    extra = pd.DataFrame([_food_cash_item()])
    return (pd.concat([distributions, cash], ignore_index=True) if len(distributions) else cash,
            pd.concat([items, extra], ignore_index=True) if len(items) else extra)


def with_food_cash_rows(session: Session, ids: Sequence[str], food_cash: FoodCash | None,
                        distributions: list[dict[str, Any]], items: list[dict[str, Any]], *,
                        until: datetime | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`with_food_cash_frames` for rows."""
    if food_cash is None:
        return distributions, items
    who, kcal, _, starts = food_cash_rows(session, ids, food_cash, until=until)
    if not len(who):
        return distributions, items
    cash = [{"household_id": h, "item_code": FOOD_CASH_ITEM, "quantity": float(k), "distributed_at": _aware(t)}
            for h, k, t in zip(who, kcal.tolist(), starts)]
    return distributions + cash, items + [_food_cash_item()]


def site_persons(session: Session, site_ids: Sequence[str]) -> dict[str, float]:
    """Persons recorded at each of ``site_ids``, summed over all their occupants in SQL."""
    query = statement(session, ("occupancy",), lambda postgres: (
        select(_H.site_id, func.sum(_H.members))
        .where(_H.shelter == Shelter.SITE, _H.site_id.in_(_ids_param())).group_by(_H.site_id)))
    rows = fetch(session, query, {"ids": list(site_ids)}) if site_ids else []
    return {site_id: float(persons) for site_id, persons in rows}


def site_occupancy(session: Session, site_ids: Sequence[str]) -> pd.Series:
    """:func:`site_persons` as a Series by site_id."""
    persons = site_persons(session, site_ids)
    index = pd.Index(list(persons), name="site_id", dtype=object)
    return pd.Series(np.array(list(persons.values()), dtype=float), index=index, name="occupants")


def load_inputs(session: Session, household_ids: Iterable[str] | None = None, *, as_of: datetime | None = None,
                visit_window_days: float | None = None, food_cash: FoodCash | None = None) -> GuaranteeInputs:
    """Everything ``evaluate`` needs for all households, or for ``household_ids`` only.

    ``as_of`` drops distributions and visits recorded after it (they cannot
    count); ``visit_window_days`` also drops visits too old to count;
    ``food_cash`` adds paid living cash to the food received (none without it).
    """
    since = None
    if as_of is not None and visit_window_days is not None:
        since = as_of - timedelta(days=visit_window_days)
    if household_ids is None:
        distributions, items = with_food_cash_frames(
            session, None, food_cash, distributions_frame(session, until=as_of), items_frame(session), until=as_of)
        return GuaranteeInputs(
            households=households_frame(session), sites=sites_frame(session), facilities=facilities_frame(session),
            distributions=distributions, items=items,
            medical_visits=medical_visits_frame(session, since=since, until=as_of))
    ids = sorted(set(household_ids))
    households = households_frame(session, ids)
    at_site = (households["shelter"].to_numpy() == Shelter.SITE) & pd.notna(households["site_id"].to_numpy())
    site_ids = sorted(set(households["site_id"].to_numpy()[at_site]))
    distributions, items = with_food_cash_frames(
        session, ids, food_cash, distributions_frame(session, ids, until=as_of), items_frame(session), until=as_of)
    return GuaranteeInputs(
        households=households,
        sites=sites_frame(session, site_ids, medical_posts=True),
        facilities=facilities_frame(session),
        distributions=distributions,
        items=items,
        medical_visits=medical_visits_frame(session, ids, since=since, until=as_of),
        occupancy=site_occupancy(session, site_ids))


def load_rows(session: Session, household_ids: Iterable[str], *, as_of: datetime,
              visit_window_days: float | None = None, food_cash: FoodCash | None = None) -> GuaranteeRows:
    """What ``evaluate_few`` needs for ``household_ids``: the same selects as :func:`load_inputs`, as dicts."""
    since = None if visit_window_days is None else as_of - timedelta(days=visit_window_days)
    ids = sorted(set(household_ids))
    households = households_frame(session, ids, records=True)
    site_ids = sorted({h["site_id"] for h in households if h["shelter"] == Shelter.SITE and h["site_id"] is not None})
    distributions, items = with_food_cash_rows(
        session, ids, food_cash, distributions_frame(session, ids, until=as_of, records=True),
        items_frame(session, records=True), until=as_of)
    return GuaranteeRows(
        households=households,
        sites=sites_frame(session, site_ids, medical_posts=True, records=True),
        facilities=facilities_frame(session, records=True),
        distributions=distributions,
        items=items,
        medical_visits=medical_visits_frame(session, ids, since=since, until=as_of, records=True),
        occupancy=site_persons(session, site_ids))
