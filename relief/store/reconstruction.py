"""Houses, their stage history, inspections and payments: lookups, the exactly-once inserts, frames.

Nothing here commits. Two inserts decide by a unique constraint, not by a
prior read, so racing requests still make one row on both stores:
:func:`insert_inspection` (``client_id``) and :func:`insert_payment`
(``house_id, tranche``): ``INSERT … ON CONFLICT DO NOTHING RETURNING id``.
pandas and the bulk writer are imported by the functions that build frames:
``relief reconstruction`` reads plain columns (:func:`columns`) and starts without them.
"""
from __future__ import annotations

import warnings
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
from sqlalchemy import String, case, func, literal, or_, select, text, type_coerce, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from relief.store import areas as area_store
from relief.store.paging import Page, page_of
from relief.store.rows import add, get
from relief.store.tables import House, Household, HousePayment, HouseTransition, Inspection, InspectionPhoto, User

if TYPE_CHECKING:
    import pandas as pd

#: The levels a house is placed in by its position.
LEVELS = ("county", "township", "village")
IN_CHUNK = 5000


def _insert(session: Session):
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- houses ------------------------------------------------------------------------------

def house(session: Session, house_id: str, *, for_update: bool = False) -> House | None:
    return get(session, House, house_id, for_update=for_update)


def place(session: Session, geom) -> dict[str, str]:
    """``{county, township, village}`` codes holding a position (as households and incidents are placed)."""
    return area_store.codes_at(session, geom, LEVELS)


def household_category(session: Session, household_id: str) -> str | None:
    """The household's assistance category (the entitlement's second key)."""
    return session.scalar(select(Household.assistance_category).where(Household.id == household_id))


def household_names(session: Session, household_ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted({h for h in household_ids if h})
    out: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        out.update(session.execute(select(Household.id, Household.head_name)
                                   .where(Household.id.in_(wanted[start:start + IN_CHUNK]))).all())
    return out


def houses_page(session: Session, *, stages: Sequence[str] | None = None, county_code: str | None = None,
                township_code: str | None = None, stalled: bool | None = None, at: datetime | None = None,
                bbox=None, offset: int = 0, limit: int = 1000) -> Page:
    """Houses matching the filters, by id; ``stalled`` True keeps those stalled at ``at``, False the others."""
    where = []
    if stages:
        where.append(House.stage.in_(list(stages)))
    if county_code:
        where.append(House.county_code == county_code)
    if township_code:
        where.append(House.township_code == township_code)
    if stalled is True:
        where.append(House.stalls_at < at)
    elif stalled is False:
        where.append(or_(House.stalls_at.is_(None), House.stalls_at >= at))
    return page_of(session, House, bbox=bbox, where=where, offset=offset, limit=limit)


def set_stage(house_row: House, *, stage: str, since: datetime, stalls_at: datetime | None,
              rebuild_mode: str | None, exclusion_reason: str | None, correction_required: bool) -> House:
    """Put a (loaded, locked) house in its new stage; the stall clock starts again."""
    house_row.stage = stage
    house_row.stage_since = since
    house_row.stalls_at = stalls_at
    house_row.stall_announced_at = None
    house_row.rebuild_mode = rebuild_mode
    house_row.exclusion_reason = exclusion_reason
    house_row.correction_required = correction_required
    house_row.updated_at = since
    return house_row


def add_transition(session: Session, *, house_id: str, from_stage: str | None, to_stage: str, actor_id: int | None,
                   at: datetime, reason: str | None, inspection_id: int | None) -> HouseTransition:
    """One line of the house's stage history, flushed so it has its id."""
    return add(session, HouseTransition(house_id=house_id, from_stage=from_stage, to_stage=to_stage,
                                        actor_id=actor_id, at=at, reason=reason, inspection_id=inspection_id))


def transitions(session: Session, house_id: str) -> list[tuple[HouseTransition, str | None]]:
    """The stage history, oldest first, each with the acting user's name."""
    query = (select(HouseTransition, User.name).outerjoin(User, User.id == HouseTransition.actor_id)
             .where(HouseTransition.house_id == house_id).order_by(HouseTransition.id))
    return [(row, name) for row, name in session.execute(query)]


# --- inspections -------------------------------------------------------------------------

def inspection_by_client_id(session: Session, client_id: str) -> Inspection | None:
    return session.scalar(select(Inspection).where(Inspection.client_id == client_id))


def insert_inspection(session: Session, *, client_id: str | None, house_id: str, milestone: str, result: str,
                      inspected_at: datetime, received_at: datetime, inspector: str | None,
                      inspector_id: int | None, note: str | None, lat: float | None,
                      lon: float | None) -> tuple[Inspection, bool]:
    """A new inspection, once per client id: ``(row, True)``, or ``(existing, False)``."""
    values = dict(client_id=client_id, house_id=house_id, milestone=milestone, result=result,
                  inspected_at=inspected_at, received_at=received_at, inspector=inspector,
                  inspector_id=inspector_id, note=note, lat=lat, lon=lon)
    if client_id is None:
        return add(session, Inspection(**values)), True
    table = Inspection.__table__
    statement = (_insert(session)(table).values(**values).on_conflict_do_nothing(index_elements=[table.c.client_id])
                 .returning(table.c.id))
    new_id = session.execute(statement).scalar()
    if new_id is None:
        return inspection_by_client_id(session, client_id), False
    row = Inspection(id=new_id, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row, True


def inspections(session: Session, house_id: str) -> list[Inspection]:
    query = select(Inspection).where(Inspection.house_id == house_id).order_by(Inspection.inspected_at,
                                                                                 Inspection.id)
    return list(session.scalars(query))


def results_of(session: Session, house_id: str, milestone: str) -> list[tuple[int, str]]:
    """``(id, result)`` of the house's inspections of ``milestone``, oldest first."""
    query = (select(Inspection.id, Inspection.result)
             .where(Inspection.house_id == house_id, Inspection.milestone == milestone)
             .order_by(Inspection.inspected_at, Inspection.id))
    return [(i, r) for i, r in session.execute(query)]


def passing_inspections(session: Session, house_id: str, pass_word: str) -> dict[str, int]:
    """``{milestone: id of its latest passing inspection}`` for one house."""
    query = (select(Inspection.milestone, func.max(Inspection.id))
             .where(Inspection.house_id == house_id, Inspection.result == pass_word)
             .group_by(Inspection.milestone))
    return dict(session.execute(query).all())


def add_inspection_photo(session: Session, *, inspection_id: int, created_at: datetime, sha256: str, format: str,
                         width: int, height: int, size_bytes: int, lat: float | None, lon: float | None,
                         original_path: str, public_path: str, thumb_path: str) -> InspectionPhoto:
    return add(session, InspectionPhoto(
        inspection_id=inspection_id, sha256=sha256, format=format, width=width, height=height, size_bytes=size_bytes,
        lat=lat, lon=lon, original_path=original_path, public_path=public_path, thumb_path=thumb_path,
        created_at=created_at))


def inspection_photos(session: Session, inspection_ids: Iterable[int]) -> list[InspectionPhoto]:
    ids = sorted(set(inspection_ids))
    if not ids:
        return []
    return list(session.scalars(select(InspectionPhoto).where(InspectionPhoto.inspection_id.in_(ids))
                                .order_by(InspectionPhoto.id)))


def inspection_photo(session: Session, photo_id: int) -> InspectionPhoto | None:
    return session.get(InspectionPhoto, photo_id)


def inspection_house(session: Session, inspection_id: int) -> str | None:
    return session.scalar(select(Inspection.house_id).where(Inspection.id == inspection_id))


# --- payments ----------------------------------------------------------------------------

def paid_tranches(session: Session, house_id: str) -> dict[str, float]:
    query = select(HousePayment.tranche, HousePayment.amount).where(HousePayment.house_id == house_id)
    return {t: float(a) for t, a in session.execute(query)}


def insert_payment(session: Session, *, house_id: str, tranche: str, amount: float, paid_at: datetime,
                   inspection_id: int | None, actor_id: int | None, recorded_at: datetime) -> HousePayment | None:
    """The payment, or None when the tranche already has one (the unique constraint decides, racing or not)."""
    values = dict(house_id=house_id, tranche=tranche, amount=amount, paid_at=paid_at, inspection_id=inspection_id,
                  actor_id=actor_id, recorded_at=recorded_at)
    table = HousePayment.__table__
    statement = (_insert(session)(table).values(**values)
                 .on_conflict_do_nothing(index_elements=[table.c.house_id, table.c.tranche]).returning(table.c.id))
    new_id = session.execute(statement).scalar()
    if new_id is None:
        return None
    row = HousePayment(id=new_id, **values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def payments(session: Session, house_id: str) -> list[HousePayment]:
    return list(session.scalars(select(HousePayment).where(HousePayment.house_id == house_id)
                                .order_by(HousePayment.id)))


# --- frames for the domain ---------------------------------------------------------------

FRAME_COLUMNS = ("house_id", "household_id", "county_code", "township_code", "damage", "category", "stage",
                 "stage_since", "rebuild_mode", "correction_required")


def _area_filter(county_code: str | None, township_code: str | None, house_ids: Sequence[str] | None) -> list:
    where = []
    if county_code:
        where.append(House.county_code == county_code)
    if township_code:
        where.append(House.township_code == township_code)
    if house_ids is not None:
        where.append(House.id.in_(list(house_ids)))
    return where


def frames(session: Session, pass_word: str, *, county_code: str | None = None, township_code: str | None = None,
           house_ids: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(houses, passes, payments)`` as ``domain.reconstruction.house_rows`` reads them."""
    import pandas as pd

    tables = columns(session, pass_word, county_code=county_code, township_code=township_code, house_ids=house_ids)
    houses, passes, paid = (pd.DataFrame(t) for t in tables)
    houses["stage_since"] = pd.to_datetime(houses["stage_since"], utc=True)
    return houses, passes, paid


def columns(session: Session, pass_word: str, *, county_code: str | None = None, township_code: str | None = None,
            house_ids: Sequence[str] | None = None) -> tuple[dict[str, np.ndarray], ...]:
    """:func:`frames` as plain columns (``domain.reconstruction.house_columns`` reads them): text as object
    arrays (None for NULL), ``stage_since`` as numpy ``datetime64`` in UTC, ``correction_required`` as bool.

    A Core select does not autoflush, so the session's pending changes are flushed first.
    """
    session.flush()
    where = _area_filter(county_code, township_code, house_ids)
    h = House.__table__.c
    since = h.stage_since
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:  # stored as UTC text: parsed below in one vectorised call
        since = type_coerce(h.stage_since, String)
    names = [c for c in FRAME_COLUMNS if c != "category"]
    query = (select(h.id, h.household_id, h.county_code, h.township_code, h.damage, h.stage, since, h.rebuild_mode,
                    h.correction_required).where(*where).order_by(h.id))
    houses = _columns(session, query, names)
    # the households' categories (few are set) looked up in one small query rather than joined row by row
    hh = Household.__table__.c
    categories = dict(_rows(session, select(hh.id, hh.assistance_category)
                            .where(hh.assistance_category.is_not(None))))
    houses["category"] = np.asarray([categories.get(k) for k in houses["household_id"]] if categories
                                    else [None] * len(houses["household_id"]), dtype=object)
    houses["stage_since"] = _moments(houses["stage_since"], text=sqlite)
    houses["correction_required"] = np.asarray([bool(v) for v in houses["correction_required"]], dtype=bool)
    houses = {name: houses[name] for name in FRAME_COLUMNS}
    i = Inspection.__table__.c
    scoped = [i.house_id.in_(select(House.id).where(*where))] if where else []
    passes = _columns(session, select(i.house_id, i.milestone).where(i.result == pass_word, *scoped),
                      ("house_id", "milestone"))  # a milestone passed twice is harmless: house_rows allows duplicates
    p = HousePayment.__table__.c
    scoped = [p.house_id.in_(select(House.id).where(*where))] if where else []
    paid = _columns(session, select(p.house_id, p.tranche, p.amount).where(*scoped), ("house_id", "tranche", "amount"))
    paid["amount"] = np.asarray(paid["amount"], dtype=float)
    return houses, passes, paid


def _rows(session: Session, query) -> list[tuple]:
    """The driver's plain tuples of a Core select: no Row object nor type processing per row.

    (``DataFrame.from_records`` over SQLAlchemy ``Row`` objects probes each row's attributes, and every miss
    raises inside SQLAlchemy: seconds over 100,000 houses.) The ORM session's connection runs it as Core.
    """
    result = session.connection().execute(query)
    rows = result.cursor.fetchall()
    result.close()
    return rows


def _columns(session: Session, query, names: Sequence[str]) -> dict[str, np.ndarray]:
    """A Core select as object arrays by column name, values as the driver gives them (SQLite: booleans as
    0/1, moments as text; :func:`columns` converts those)."""
    rows = _rows(session, query)
    if not rows:
        return {name: np.empty(0, dtype=object) for name in names}
    table = np.empty((len(rows), len(names)), dtype=object)
    table[:] = rows  # one C-level copy of the tuples into a grid
    return {name: table[:, j].copy() for j, name in enumerate(names)}


def _moments(values: np.ndarray, *, text: bool) -> np.ndarray:
    """Stored moments as numpy ``datetime64[us]`` in UTC (NaT for NULL)."""
    if text:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a text with an offset is not naive UTC: pandas reads it below
                return np.asarray(values.tolist(), dtype="datetime64[us]")
        except (ValueError, DeprecationWarning, UserWarning):
            pass
    else:  # the driver's datetimes (PostgreSQL): in UTC without pandas, a naive one read as UTC as the store writes it
        return np.array([v if v is None or v.tzinfo is None else v.astimezone(timezone.utc).replace(tzinfo=None)
                         for v in values.tolist()], dtype="datetime64[us]")
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


def _frame(session: Session, query, columns: Sequence[str]) -> pd.DataFrame:
    """A Core select as a frame, built column by column from the driver's plain tuples.

    Values come as the driver gives them (SQLite: booleans as 0/1, moments as text), which the frame's
    readers accept: ``stage_since`` is parsed by :func:`frames`, booleans are read with ``astype(bool)``.

    (``DataFrame.from_records`` over SQLAlchemy ``Row`` objects probes each row's attributes, and every miss
    raises inside SQLAlchemy: seconds over 100,000 houses.) The ORM session's connection runs it as Core.
    Text columns stay ``object`` (``None`` for NULL), as the domain frames use them.
    """
    import pandas as pd

    rows = _rows(session, query)
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    table = np.empty((len(rows), len(columns)), dtype=object)
    table[:] = rows  # one C-level copy of the tuples into a grid
    out = {}
    for j, name in enumerate(columns):
        values = table[:, j].copy()
        first = next((v for v in values if v is not None), None)
        # text stays object (None for NULL): pandas' own string dtype costs seconds to build at this size
        out[name] = values if first is None or isinstance(first, str) else values.tolist()
    return pd.DataFrame(out)


# --- the stalled job ---------------------------------------------------------------------

def newly_stalled(session: Session, now: datetime, *, limit: int = 1000) -> list[House]:
    """Houses stalled at ``now`` whose stall is not yet announced, locked (PostgreSQL) so one process tells."""
    query = (select(House).where(House.stalls_at < now, House.stall_announced_at.is_(None))
             .order_by(House.stalls_at, House.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.scalars(query))


def next_stall(session: Session, now: datetime) -> datetime | None:
    """The next moment a house becomes stalled (for the scheduler's sleep)."""
    return session.scalar(select(func.min(House.stalls_at)).where(House.stalls_at >= now,
                                                                   House.stall_announced_at.is_(None)))


def mark_announced(session: Session, house_ids: Sequence[str], at: datetime) -> None:
    for start in range(0, len(house_ids), IN_CHUNK):
        session.execute(update(House).where(House.id.in_(list(house_ids[start:start + IN_CHUNK])))
                        .values(stall_announced_at=at))


# --- bulk loading (import, demo) ---------------------------------------------------------

def known_house_ids(session: Session, house_ids: Sequence[str]) -> set[str]:
    wanted = sorted(set(house_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), IN_CHUNK):
        found.update(session.scalars(select(House.id).where(House.id.in_(wanted[start:start + IN_CHUNK]))))
    return found


def known_households(session: Session, household_ids: Sequence[str]) -> dict[str, str | None]:
    """``{household id: assistance category}`` for the ids that exist."""
    wanted = sorted(set(household_ids))
    found: dict[str, str | None] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        found.update(session.execute(select(Household.id, Household.assistance_category)
                                     .where(Household.id.in_(wanted[start:start + IN_CHUNK]))).all())
    return found


def stored_records(session: Session, house_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(inspections, payments)`` already stored for these houses (what a re-import must not repeat)."""
    import pandas as pd

    wanted = sorted(set(house_ids))
    i, p = Inspection.__table__.c, HousePayment.__table__.c
    found_i, found_p = [], []
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        found_i += session.execute(select(i.id, i.house_id, i.milestone, i.result, i.inspected_at)
                                   .where(i.house_id.in_(chunk))).all()
        found_p += session.execute(select(p.house_id, p.tranche, p.amount).where(p.house_id.in_(chunk))).all()
    return (pd.DataFrame.from_records(found_i, columns=["id", "house_id", "milestone", "result", "inspected_at"]),
            pd.DataFrame.from_records(found_p, columns=["house_id", "tranche", "amount"]))


def insert_houses(session: Session, frame: pd.DataFrame) -> int:
    """New houses (columns of ``houses``, ``geom`` as shapely points); bbox columns are filled from ``geom``."""
    from relief.store.bulk import insert_frame

    return insert_frame(session, House, frame)


def replace_houses(session: Session, frame: pd.DataFrame) -> int:
    """Houses already stored, replaced column by column (their history, inspections and payments stay)."""
    if frame.empty:
        return 0
    session.flush()
    ids = frame["id"].tolist()
    columns = [c for c in frame.columns if c != "id"]
    by_id = dict(zip(ids, frame[columns].itertuples(index=False, name=None)))
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        for row in session.scalars(select(House).where(House.id.in_(chunk))):
            for column, value in zip(columns, by_id[row.id]):
                setattr(row, column, None if _missing(value) else value)
    session.flush()
    return len(ids)


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def insert_records(session: Session, name: str, frame: pd.DataFrame) -> int:
    """Rows of ``house_transitions``, ``inspections`` or ``house_payments`` in one statement per chunk."""
    from relief.store.bulk import insert_frame

    model = {"house_transitions": HouseTransition, "inspections": Inspection, "house_payments": HousePayment}[name]
    return insert_frame(session, model, frame)


def inspection_ids(session: Session, keys: pd.DataFrame, pass_word: str) -> pd.Series:
    """The id of the latest inspection per ``(house_id, milestone)`` passing, for naming imported payments."""
    import pandas as pd

    i = Inspection.__table__.c
    houses = sorted(set(keys["house_id"]))
    rows = []
    for start in range(0, len(houses), IN_CHUNK):
        rows += session.execute(select(i.house_id, i.milestone, func.max(i.id))
                                .where(i.house_id.in_(houses[start:start + IN_CHUNK]), i.result == pass_word)
                                .group_by(i.house_id, i.milestone)).all()
    found = {(h, m): ident for h, m, ident in rows}
    return pd.Series([found.get((h, m)) for h, m in zip(keys["house_id"], keys["milestone"])], index=keys.index,
                     dtype=object)


def delete_all(session: Session) -> None:
    """Every reconstruction row (a demo reset), children first."""
    for model in (HousePayment, HouseTransition, InspectionPhoto, Inspection, House):
        session.execute(model.__table__.delete())


def any_houses(session: Session) -> bool:
    return session.scalar(select(House.id).limit(1)) is not None



# --- progress counted in the database ------------------------------------------------------

def summary_groups(session: Session, pass_word: str, *, by_column: str, stall_before: dict[str, datetime],
                   milestones: Sequence[str], tranches: Sequence[str],
                   county_code: str | None = None) -> pd.DataFrame:
    """Houses counted by what the rules read of them, as ``domain.reconstruction.group_summary`` takes them.

    One row per (area, stage, damage, household category, rebuild mode, stalled, correction required,
    which of ``milestones`` passed, which of ``tranches`` were paid) with ``houses`` (how many) and ``paid``
    (their payments' sum). ``stall_before`` is ``{stage: moment}``: a house in the stage since before the
    moment is stalled. Aggregated by the database, so a few hundred rows cross over instead of every house,
    inspection and payment.
    """
    session.flush()
    h, hh = House.__table__.c, Household.__table__.c
    i, p = Inspection.__table__.c, HousePayment.__table__.c
    area = h.county_code if by_column == "county_code" else h.township_code
    zero = literal(0)
    flags = [f"m{k}" for k in range(len(milestones))] + [f"t{k}" for k in range(len(tranches))]
    # passes and payments folded into one row per house that has any (one union, one join: SQLite joins a
    # single materialised subquery far faster than two)
    passes = select(i.house_id,
                    *[func.max(case((i.milestone == m, 1), else_=0)).label(f"m{k}") for k, m in enumerate(milestones)],
                    *[zero.label(f"t{k}") for k in range(len(tranches))], literal(0.0).label("amount")) \
        .where(i.result == pass_word).group_by(i.house_id)
    paid = select(p.house_id, *[zero.label(f"m{k}") for k in range(len(milestones))],
                  *[func.max(case((p.tranche == t, 1), else_=0)).label(f"t{k}") for k, t in enumerate(tranches)],
                  func.sum(p.amount).label("amount")).group_by(p.house_id)
    both = union_all(passes, paid).subquery()
    records = select(both.c.house_id, *[func.max(both.c[f]).label(f) for f in flags],
                     func.sum(both.c.amount).label("amount")).group_by(both.c.house_id).subquery()
    stalled = case(*[((h.stage == stage) & (h.stage_since < moment), 1) for stage, moment in stall_before.items()],
                   else_=0) if stall_before else literal(0)
    correction = case((h.correction_required.is_(True), 1), else_=0)
    # the flags as two bit masks: fewer keys for the database to sort by
    passed_mask = sum((records.c[f"m{k}"] * (1 << k) for k in range(len(milestones))), literal(0))
    paid_mask = sum((records.c[f"t{k}"] * (1 << k) for k in range(len(tranches))), literal(0))
    keys = [area.label("code"), h.stage, h.damage, hh.assistance_category.label("category"), h.rebuild_mode,
            stalled.label("stalled"), correction.label("correction_required"),
            func.coalesce(passed_mask, 0).label("passed"), func.coalesce(paid_mask, 0).label("paid_tranches")]
    query = (select(*keys, func.count().label("houses"), func.coalesce(func.sum(records.c.amount), 0.0).label("paid"))
             .select_from(House.__table__.outerjoin(Household.__table__, hh.id == h.household_id)
                          .outerjoin(records, records.c.house_id == h.id))
             .group_by(*keys))
    if county_code:
        query = query.where(h.county_code == county_code)
    if session.get_bind().dialect.name == "postgresql":
        # for this transaction: sort and hash in memory rather than spilling 100,000 houses to disk, in one
        # process (a parallel plan has every worker fold all the passes and payments again)
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    frame = _frame(session, query, (by_column, "stage", "damage", "category", "rebuild_mode", "stalled",
                                    "correction_required", "passed", "paid_tranches", "houses", "paid"))
    passed = frame.pop("passed").to_numpy(dtype="int64")
    paid_tranches = frame.pop("paid_tranches").to_numpy(dtype="int64")
    for k, milestone in enumerate(milestones):
        frame[f"passed:{milestone}"] = (passed >> k) & 1
    for k, tranche in enumerate(tranches):
        frame[f"paid:{tranche}"] = (paid_tranches >> k) & 1
    frame["houses"] = frame["houses"].to_numpy(dtype="int64")
    frame["paid"] = frame["paid"].to_numpy(dtype=float)
    return frame
