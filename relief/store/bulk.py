"""Bulk loading of frames into tables (demo, imports), in the caller's transaction."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Integer, delete, insert, text
from sqlalchemy.orm import Session

from relief.store.tables import (
    AidFlag,
    AidFlagStep,
    Area,
    Depot,
    Distribution,
    Donation,
    Facility,
    GuaranteeStatus,
    Household,
    Incident,
    IncidentTransition,
    Item,
    MedicalVisit,
    PartnerAid,
    PartnerAidImport,
    Site,
    StockBalance,
    StockMovement,
    bbox_of,
)
from relief.store.tables.incidents import FieldReport, Photo, StatutoryReport
from relief.store.tables.stock import DispatchPlan

CHUNK = 5000

# Tables holding the operational picture, children before parents (for deletion).
OPERATIONAL_TABLES = (
    GuaranteeStatus, Distribution, Donation, StockMovement, StockBalance, DispatchPlan, MedicalVisit, Household,
    Photo, FieldReport, StatutoryReport, IncidentTransition, Incident, Site, Depot, Facility, Item, Area,
)


def driver_value(value: Any) -> Any:
    """A driver-ready value: numpy scalars unwrapped, NaN/NaT/NA as None, timestamps as datetimes."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    """Rows as dicts for the table's columns; a ``geom`` column also fills the bbox."""
    wanted = [c for c in columns if c in frame.columns]
    out = []
    for values in frame[wanted].itertuples(index=False, name=None):
        row = {c: driver_value(v) for c, v in zip(wanted, values)}
        if "geom" in row:
            row.update(bbox_of(row.get("geom")))
        out.append(row)
    return out


def insert_frame(session: Session, model, frame: pd.DataFrame) -> int:
    if frame.empty:
        return 0
    rows = records(frame, [c.key for c in model.__table__.columns])
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start:start + CHUNK])
    _sync_sequence(session, model, rows)
    return len(rows)


def _sync_sequence(session: Session, model, rows: list[dict[str, Any]]) -> None:
    """After explicit integer ids, move PostgreSQL's sequence past them (SQLite needs nothing)."""
    pk = model.__table__.primary_key.columns
    if session.get_bind().dialect.name != "postgresql" or len(pk) != 1:
        return
    column = next(iter(pk))
    if not isinstance(column.type, Integer) or column.key not in rows[0]:
        return
    table = model.__table__.name
    session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column.name}'), "
                         f"(SELECT max({column.name}) FROM {table}))"))


def delete_operational(session: Session) -> None:
    """Remove the operational picture (not users, audit trail, events or standards).

    The aid chain's flags and partner lists, then reconstruction and assistance rows go first: they name
    households, and their history and payments name inspections and cases.
    """
    from relief.store import assistance, reconstruction  # they import this module for their bulk inserts

    for model in (AidFlagStep, AidFlag, PartnerAid, PartnerAidImport):
        session.execute(delete(model))
    reconstruction.delete_all(session)
    assistance.delete_all(session)  # cases name households
    session.execute(Area.__table__.update().values(parent_code=None))
    for model in OPERATIONAL_TABLES:
        session.execute(delete(model))


#: The tables a demo or a register loads, by table name: callers outside the store name them, never the models.
TABLES = {
    "areas": Area, "households": Household, "sites": Site, "depots": Depot, "facilities": Facility,
    "incidents": Incident, "incident_transitions": IncidentTransition, "statutory_reports": StatutoryReport,
    "items": Item, "stock_movements": StockMovement, "stock_balances": StockBalance,
    "distributions": Distribution, "medical_visits": MedicalVisit,
}


def any_rows(session: Session, table: str) -> bool:
    """Whether table ``table`` (a name in :data:`TABLES`) holds any row."""
    return session.query(TABLES[table]).first() is not None


def insert_named(session: Session, table: str, frame: pd.DataFrame) -> int:
    return insert_frame(session, TABLES[table], frame)
