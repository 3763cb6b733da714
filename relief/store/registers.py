"""Store side of a register import: what already exists, areas to place points in, row upserts.

All of it runs in the importer's one transaction and never commits.
Existing rows are *updated in place* by primary key (only the columns the
register carries), never deleted and re-inserted, so distributions, stock
movements and verdicts that refer to them keep their foreign keys.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import LargeBinary, bindparam, column, insert, select, update
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from relief.domain.vocabulary import Shelter
from relief.store.bulk import TABLES, driver_value
from relief.store.tables import Area, Distribution, Household, Item, MedicalVisit, Site
from relief.store.types import SRID, Geometry

IN_CHUNK = 5000
WRITE_CHUNK = 5000


def _chunks(values: Sequence) -> Iterable[list]:
    for start in range(0, len(values), IN_CHUNK):
        yield list(values[start:start + IN_CHUNK])


def all_keys(session: Session, model) -> set[str]:
    """Every primary key of a table with a text key (sites, households, items …)."""
    column = next(iter(model.__table__.primary_key.columns))
    return set(session.connection().execute(select(column)).scalars())


def known_ids(session: Session) -> tuple[set[str], set[str], set[str]]:
    """(site ids, household ids, item codes) already stored."""
    return all_keys(session, Site), all_keys(session, Household), all_keys(session, Item)


def areas_frame(session: Session, levels: Iterable[str]) -> pd.DataFrame:
    """``code, level, geom`` of the areas of these levels (few hundred rows: decoded by the column type)."""
    query = select(Area.code, Area.level, Area.geom).where(Area.level.in_(list(levels)), Area.geom.is_not(None))
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=["code", "level", "geom"])


def upsert_frame(session: Session, name: str, frame: pd.DataFrame) -> tuple[int, int]:
    """Insert new rows and update existing ones of table ``name`` by primary key; returns (inserted, updated).

    Only the frame's columns are written, so columns a register does not
    carry (a household's phone, say) keep their stored values.
    """
    if frame.empty:
        return 0, 0
    model = TABLES[name]
    table = model.__table__
    key = next(iter(table.primary_key.columns)).key
    existing: set = set()
    for chunk in _chunks(frame[key].tolist()):
        existing.update(session.connection().execute(select(table.c[key]).where(table.c[key].in_(chunk))).scalars())
    old = frame[key].isin(existing).to_numpy()
    inserted = insert_rows(session, name, frame.loc[~old])
    changed = frame.loc[old]
    if len(changed):
        rows = _column_records(session, model, changed)
        for row in rows:
            row["_key"] = row[key]
        statement = update(_plain_table(session, model)).where(column(key) == bindparam("_key"))
        for start in range(0, len(rows), WRITE_CHUNK):
            session.connection().execute(statement, rows[start:start + WRITE_CHUNK])
    return inserted, len(changed)


def insert_rows(session: Session, name: str, frame: pd.DataFrame) -> int:
    """Core executemany inserts of a frame's columns into table ``name`` (many times faster than ORM bulk inserts)."""
    if frame.empty:
        return 0
    model = TABLES[name]
    rows = _column_records(session, model, frame)
    statement = insert(_plain_table(session, model))
    for start in range(0, len(rows), WRITE_CHUNK):
        session.connection().execute(statement, rows[start:start + WRITE_CHUNK])
    return len(rows)


def _plain_table(session: Session, model):
    """The table with its geometry column untyped: values arrive already encoded (see _column_records)."""
    raw = NullType() if session.get_bind().dialect.name == "postgresql" else LargeBinary()
    columns = [column(c.key, raw if isinstance(c.type, Geometry) else c.type) for c in model.__table__.columns]
    return sql_table(model.__table__.name, *columns)


def _column_records(session: Session, model, frame: pd.DataFrame) -> list[dict]:
    """Dicts of plain values for the table's columns in ``frame``; geometry encoded and bbox filled in bulk."""
    names = [c.key for c in model.__table__.columns if c.key in frame.columns]
    data = {name: frame[name].to_numpy(dtype=object) for name in names}
    if "geom" in data:
        geoms = data["geom"]
        bounds = shapely.bounds(geoms)  # NaN rows for missing geometries
        for i, name in enumerate(("min_lon", "min_lat", "max_lon", "max_lat")):
            data[name] = np.where(np.isnan(bounds[:, i]), None, bounds[:, i]).astype(object)
        if session.get_bind().dialect.name == "postgresql":
            data["geom"] = shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, include_srid=True)
        else:
            data["geom"] = shapely.to_wkb(geoms)
        names += ["min_lon", "min_lat", "max_lon", "max_lat"]
    columns = [[driver_value(v) for v in data[name]] for name in names]
    return [dict(zip(names, values)) for values in zip(*columns)]


def stored_distributions(session: Session, household_ids: Sequence[str]) -> pd.DataFrame:
    """``household_id, item_code, quantity, distributed_at`` already recorded for these households."""
    columns = ["household_id", "item_code", "quantity", "distributed_at"]
    query = select(Distribution.household_id, Distribution.item_code, Distribution.quantity,
                   Distribution.distributed_at)
    rows = [r for chunk in _chunks(sorted(set(household_ids)))
            for r in session.execute(query.where(Distribution.household_id.in_(chunk))).all()]
    return pd.DataFrame(rows, columns=columns)


def stored_visits(session: Session, household_ids: Sequence[str]) -> pd.DataFrame:
    query = select(MedicalVisit.household_id, MedicalVisit.visited_at)
    rows = [r for chunk in _chunks(sorted(set(household_ids)))
            for r in session.execute(query.where(MedicalVisit.household_id.in_(chunk))).all()]
    return pd.DataFrame(rows, columns=["household_id", "visited_at"])


def household_ids_at_sites(session: Session, site_ids: Sequence[str]) -> list[str]:
    """Households recorded at these sites (their space and water per person may change)."""
    out: list[str] = []
    for chunk in _chunks(sorted(set(site_ids))):
        out += session.connection().execute(
            select(Household.id).where(Household.shelter == Shelter.SITE, Household.site_id.in_(chunk))).scalars().all()
    return out
