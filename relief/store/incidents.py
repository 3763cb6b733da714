"""Incident, report, transition and photo rows: lookups, new rows (the idempotent insert), frames for the domain.

Nothing here commits. :func:`insert_or_existing` is how a client-made id
becomes "exactly once": the unique constraint on ``client_id`` decides, not a
prior read, so two submissions racing each other still make one row.
"""
from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, TypeVar

import pandas as pd
from sqlalchemy import Float, bindparam, column, func, inspect, select, table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from relief.store.rows import add, get
from relief.store.tables import FieldReport, Incident, IncidentTransition, Photo, StatutoryReport, User
from relief.store.tables.incidents import AREA_INDICATOR_COLUMNS, INDICATOR_COLUMNS
from relief.store.types import UTCDateTime

Row = TypeVar("Row", Incident, FieldReport, StatutoryReport)

_METRES_PER_DEGREE_LAT = 111_320.0


@functools.lru_cache(maxsize=8)
def _by_client_id_query(model):
    return select(model).where(model.client_id == bindparam("client_id"))


def by_client_id(session: Session, model: type[Row], client_id: str) -> Row | None:
    return session.scalar(_by_client_id_query(model), {"client_id": client_id})


def _insert_ignoring_client_id(dialect: str, model):
    """``INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING id`` in the store's own dialect."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.client_id]).returning(table.c.id)


_CONFLICT_FREE_INSERTS = {(dialect, model): _insert_ignoring_client_id(dialect, model)
                          for dialect in ("sqlite", "postgresql") for model in (Incident, FieldReport, StatutoryReport)}


def _column_values(row) -> dict:
    """What ``row`` would insert: the values it was given, None where a column has no default.

    The Nones are also put on the object, so reading them later costs no query.
    """
    state = inspect(row)
    values = {}
    for mapped in state.mapper.columns:
        key = mapped.key
        if key in state.dict:
            values[key] = state.dict[key]
        elif mapped.default is None and mapped.server_default is None and not mapped.primary_key:
            values[key] = state.dict[key] = None
    return values


def insert_or_existing(session: Session, row: Row) -> tuple[Row, bool]:
    """Insert ``row`` unless its ``client_id`` exists; ``(row, True)`` or ``(existing, False)``.

    The unique constraint decides, in one statement on both stores: the
    insert does nothing on a conflict, and then the row that won is read.
    On PostgreSQL an insert racing an uncommitted one with the same id waits
    for it and reads it once committed, so two submissions racing each other
    make one row. The inserted ``row`` joins the session as if it had been
    loaded, with no unit-of-work flush (this is the path every field report takes).
    """
    model = type(row)
    statement = _CONFLICT_FREE_INSERTS[(session.get_bind().dialect.name, model)]
    values = _column_values(row)
    new_id = session.connection().execute(statement, values).scalar()
    if new_id is None:
        existing = by_client_id(session, model, row.client_id)
        if existing is None:  # cannot happen while the conflict target is the unique client_id
            raise LookupError(f"{model.__tablename__}: client_id {row.client_id} conflicted but is not there")
        return existing, False
    row.id = new_id
    make_transient_to_detached(row)
    session.add(row)
    return row, True


def incident_by_client_id(session: Session, client_id: str) -> Incident | None:
    return by_client_id(session, Incident, client_id)


def field_report_by_client_id(session: Session, client_id: str) -> FieldReport | None:
    return by_client_id(session, FieldReport, client_id)


def statutory_report_by_client_id(session: Session, client_id: str) -> StatutoryReport | None:
    return by_client_id(session, StatutoryReport, client_id)


def insert_incident(session: Session, *, client_id: str, kind: str, title: str | None, description: str | None,
                    status: str, county_code: str | None, township_code: str | None, evacuate: bool | None,
                    occurred_at: datetime, reported_at: datetime, updated_at: datetime, reported_by: int | None,
                    geom, possible_duplicates: list[dict[str, Any]] | None) -> tuple[Incident, bool]:
    """A new incident, once per client id: ``(row, True)``, or ``(existing, False)`` (:func:`insert_or_existing`)."""
    return insert_or_existing(session, Incident(
        client_id=client_id, kind=kind, title=title, description=description, status=status, county_code=county_code,
        township_code=township_code, evacuate=evacuate, occurred_at=occurred_at, reported_at=reported_at,
        updated_at=updated_at, reported_by=reported_by, geom=geom, possible_duplicates=possible_duplicates))


def insert_field_report(session: Session, *, client_id: str, incident_id: int, description: str | None,
                        observed_at: datetime, received_at: datetime, reporter_id: int | None,
                        geom) -> tuple[FieldReport, bool]:
    """A new field report, once per client id: ``(row, True)``, or ``(existing, False)`` on any incident."""
    return insert_or_existing(session, FieldReport(
        client_id=client_id, incident_id=incident_id, description=description, observed_at=observed_at,
        received_at=received_at, reporter_id=reporter_id, geom=geom))


def insert_statutory_report(session: Session, *, client_id: str | None, incident_id: int, township_code: str,
                            county_code: str | None, kind: str, figures_to: datetime | None, submitted_at: datetime,
                            submitted_by: int | None, note: str | None,
                            indicators: Mapping[str, Any]) -> tuple[StatutoryReport, bool]:
    """A new statutory report: once per client id when it has one, else always new (flushed for its id)."""
    row = StatutoryReport(client_id=client_id, incident_id=incident_id, township_code=township_code,
                          county_code=county_code, kind=kind, figures_to=figures_to, submitted_at=submitted_at,
                          submitted_by=submitted_by, note=note, **indicators)
    if client_id:
        return insert_or_existing(session, row)
    return add(session, row), True


_INSERT_TRANSITION = IncidentTransition.__table__.insert().returning(IncidentTransition.__table__.c.id)


def add_transition(session: Session, incident: Incident, *, action: str, from_status: str, to_status: str,
                   actor_id: int | None, at: datetime, reason: str | None) -> IncidentTransition:
    """One line of the incident's lifecycle history, inserted at once so it has its id.

    A plain ``INSERT … RETURNING id`` (every transition writes one): the row returned records the line,
    the session does not track it.
    """
    line = {"incident_id": incident.id, "action": action, "from_status": from_status, "to_status": to_status,
            "actor_id": actor_id, "at": at, "reason": reason}
    line_id = session.connection().execute(_INSERT_TRANSITION, line).scalar_one()
    return IncidentTransition(id=line_id, **line)


def add_photo(session: Session, *, incident_id: int, field_report_id: int | None, created_at: datetime, sha256: str,
              format: str, width: int, height: int, size_bytes: int, lat: float | None, lon: float | None,
              original_path: str, public_path: str, thumb_path: str) -> Photo:
    """A photo whose three files are already written, flushed so it has its id."""
    return add(session, Photo(
        field_report_id=field_report_id, incident_id=incident_id, sha256=sha256, format=format, width=width,
        height=height, size_bytes=size_bytes, lat=lat, lon=lon, original_path=original_path,
        public_path=public_path, thumb_path=thumb_path, created_at=created_at))


def incident(session: Session, incident_id: int, *, for_update: bool = False) -> Incident | None:
    return get(session, Incident, incident_id, for_update=for_update)


_INCIDENTS = Incident.__table__


@functools.lru_cache(maxsize=32)
def _update_of(columns: tuple[str, ...]):
    return (_INCIDENTS.update().where(_INCIDENTS.c.id == bindparam("incident_id"))
            .values({name: bindparam(f"v_{name}") for name in columns}))


def update_incident(session: Session, incident: Incident, values: Mapping[str, Any]) -> None:
    """Write these columns of a loaded incident at once (one ``UPDATE``) and set them on the object as loaded.

    Every lifecycle step changes a few columns of one incident; the ORM's unit of work spent more on
    finding and writing them than the statement costs. Later changes to the object flush as usual.
    """
    if not values:
        return
    names = tuple(sorted(values))
    session.connection().execute(_update_of(names), {"incident_id": incident.id,
                                                     **{f"v_{name}": values[name] for name in names}})
    for name in names:
        set_committed_value(incident, name, values[name])


#: The SQLite R*Tree of incident bounding boxes (revision 0002), kept in step by triggers.
INCIDENT_BOXES = table("incidents_bbox", column("id"), column("min_lon"), column("max_lon"),
                       column("min_lat"), column("max_lat"))


@functools.lru_cache(maxsize=8)
def _near_query(dialect: str, closed_statuses: tuple[str, ...]):
    """Built once: this runs on every report, and building the statement costs more than running it.

    The box is matched by an index on both stores: PostGIS's GiST index on
    ``geom``, SQLite's R*Tree. The statuses are excluded one by one rather
    than with an expanding ``IN``, which would be re-rendered on every execution.
    """
    incidents = Incident.__table__
    query = (select(incidents.c.id, incidents.c.kind, incidents.c.geom, incidents.c.occurred_at, incidents.c.status)
             .where(incidents.c.kind == bindparam("kind"),
                    *(incidents.c.status != bindparam(f"closed_{i}") for i in range(len(closed_statuses))),
                    incidents.c.occurred_at >= bindparam("since", type_=UTCDateTime()),
                    incidents.c.occurred_at <= bindparam("until", type_=UTCDateTime())))
    if dialect == "postgresql":
        envelope = func.ST_MakeEnvelope(bindparam("west", type_=Float), bindparam("south", type_=Float),
                                        bindparam("east", type_=Float), bindparam("north", type_=Float), 4326)
        return query.where(incidents.c.geom.op("&&")(envelope))
    boxes = INCIDENT_BOXES.c
    return query.where(incidents.c.id.in_(select(boxes.id).where(
        boxes.min_lon <= bindparam("east"), boxes.max_lon >= bindparam("west"),
        boxes.min_lat <= bindparam("north"), boxes.max_lat >= bindparam("south"))))


def open_incidents_near(session: Session, kind: str, geom, occurred_at: datetime, *, distance_m: float,
                        window_hours: float, closed_statuses: Iterable[str]) -> list[tuple]:
    """Candidates for the duplicate check as ``(id, kind, geometry, occurred_at, status)`` rows:
    same kind, not in ``closed_statuses``, in the time window, bbox within the distance.

    Only a generous pre-filter; the domain measures real distances. Usually
    empty, and then it costs one indexed lookup.
    """
    closed = tuple(sorted(closed_statuses))
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    dlat = distance_m / _METRES_PER_DEGREE_LAT
    dlon = distance_m / (_METRES_PER_DEGREE_LAT * max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.01))
    window = timedelta(hours=window_hours)
    values = {"kind": kind, "since": occurred_at - window, "until": occurred_at + window,
              "east": max_lon + dlon, "west": min_lon - dlon, "north": max_lat + dlat, "south": min_lat - dlat,
              **{f"closed_{i}": status for i, status in enumerate(closed)}}
    connection = session.connection()
    return [tuple(row) for row in connection.execute(_near_query(connection.dialect.name, closed), values)]


def field_reports(session: Session, incident_id: int) -> list[FieldReport]:
    return list(session.scalars(select(FieldReport).where(FieldReport.incident_id == incident_id)
                                .order_by(FieldReport.id)))


def photos(session: Session, *, incident_id: int | None = None, field_report_id: int | None = None) -> list[Photo]:
    query = select(Photo).order_by(Photo.id)
    if incident_id is not None:
        query = query.where(Photo.incident_id == incident_id)
    if field_report_id is not None:
        query = query.where(Photo.field_report_id == field_report_id)
    return list(session.scalars(query))


def photo(session: Session, photo_id: int) -> Photo | None:
    return session.get(Photo, photo_id)


def transitions(session: Session, incident_id: int) -> list[tuple[IncidentTransition, str | None]]:
    """The lifecycle history, oldest first, each with the acting user's name."""
    query = (select(IncidentTransition, User.name).outerjoin(User, User.id == IncidentTransition.actor_id)
             .where(IncidentTransition.incident_id == incident_id).order_by(IncidentTransition.id))
    return [(row, name) for row, name in session.execute(query)]


def statutory_reports(session: Session, incident_id: int) -> list[StatutoryReport]:
    query = select(StatutoryReport).where(StatutoryReport.incident_id == incident_id).order_by(StatutoryReport.id)
    return list(session.scalars(query))


def report_kinds(session: Session, incident_id: int, township_code: str) -> list[str]:
    """Kinds already filed for one incident and township (the series rule's input)."""
    query = select(StatutoryReport.kind).where(StatutoryReport.incident_id == incident_id,
                                               StatutoryReport.township_code == township_code)
    return list(session.scalars(query))


REPORT_FRAME_COLUMNS = ("id", "incident_id", "township_code", "county_code", "kind", "figures_to", "submitted_at",
                        *INDICATOR_COLUMNS, *AREA_INDICATOR_COLUMNS)


def reports_frame(session: Session, incident_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Statutory reports as the frame ``domain.reports.aggregate`` reads, with the ones this transaction added.

    A Core select does not autoflush, so the session's pending changes are flushed first.
    """
    session.flush()
    if incident_ids is None:
        rows = session.connection().execute(_REPORTS).all()
    else:
        rows = session.connection().execute(_REPORTS_OF, {"ids": list(incident_ids)}).all()
    if not rows:  # the usual answer for one incident: a copy of the empty frame costs ~2 % of building one
        return _NO_REPORTS.copy()
    return pd.DataFrame(rows, columns=list(REPORT_FRAME_COLUMNS))


#: Built once (every transition reads its incident's reports); ids bound as an expanding ``IN``.
_REPORTS = select(*(StatutoryReport.__table__.c[name] for name in REPORT_FRAME_COLUMNS))
_REPORTS_OF = _REPORTS.where(StatutoryReport.__table__.c.incident_id.in_(bindparam("ids", expanding=True)))
_NO_REPORTS = pd.DataFrame([], columns=list(REPORT_FRAME_COLUMNS))


#: What the overdue rule reads of each incident (``domain.reports.overdue``) and the list shows.
DEADLINE_COLUMNS = ("id", "county_code", "township_code", "status", "occurred_at", "stabilised_at", "title", "kind")


def deadline_frames(session: Session, *, exclude_statuses: Iterable[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(incidents, reports)`` frames for ``domain.reports.overdue``: incidents that can owe reports, with the
    township they lie in, and their statutory reports, with the township each names."""
    table = Incident.__table__
    query = (select(*(table.c[c] for c in DEADLINE_COLUMNS)).where(table.c.status.not_in(list(exclude_statuses)))
             .order_by(table.c.id))
    incidents = pd.DataFrame(session.execute(query).all(), columns=list(DEADLINE_COLUMNS))
    return incidents, reports_frame(session, [int(i) for i in incidents["id"]])


def open_incidents(session: Session, statuses: Iterable[str]) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.status.in_(list(statuses))).order_by(Incident.id)))


def all_incidents(session: Session, *, statuses: Iterable[str] | None = None) -> list[Incident]:
    query = select(Incident).order_by(Incident.id)
    if statuses:
        query = query.where(Incident.status.in_(list(statuses)))
    return list(session.scalars(query))
