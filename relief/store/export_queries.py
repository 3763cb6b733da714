"""The rows of each export, read in chunks with flat memory.

One ``SELECT`` per export, ordered by the table's key and read straight from
the driver's cursor (SQLite steps its cursor, PostgreSQL uses a server-side
cursor), so the whole export is one consistent snapshot and at most one chunk
is in memory. :func:`batches` hands each chunk over as plain columns of raw
values (what the text formats are written from, without a DataFrame);
:func:`chunks` types them as a DataFrame (integers as ``Int64``, booleans as
``boolean``, moments as ``datetime64[ns, UTC]``, ``geom`` as shapely
geometries) for the GeoPackage and xlsx writers.

Rows tied to a household (guarantees, distributions, houses, cases) carry the
household's village and county; stock rows carry their holder's name and
position; rows of located tables carry the county's name. On SQLite the
distributions take their household's from an in-memory look-up rather than a
join (see :func:`_distribution_batches`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Boolean, Float, Integer, LargeBinary, String, func, select, type_coerce
from sqlalchemy.orm import Session, aliased

from relief.domain.vocabulary import ExportTable, HolderKind
from relief.store.tables import (
    Area,
    AssistanceCase,
    Depot,
    Distribution,
    FieldReport,
    GuaranteeStatus,
    House,
    Household,
    Incident,
    Item,
    Site,
    StockBalance,
    StockMovement,
)
from relief.store.types import Geometry, UTCDateTime

#: Rows per chunk unless the caller says otherwise.
CHUNK_ROWS = 50_000
#: Columns never exported: the bbox is the geometry again, JSON blobs are explanations for the app.
SKIPPED = frozenset({"min_lon", "min_lat", "max_lon", "max_lat", "reasons", "shortfalls", "response_reason",
                     "possible_duplicates", "stall_announced_at", "geom", "client_id"})


@dataclass(frozen=True)
class Column:
    name: str
    expression: Any
    kind: str  # int | float | bool | time | text | geom


def _kind(sql_type: Any) -> str:
    if isinstance(sql_type, Geometry):
        return "geom"
    if isinstance(sql_type, UTCDateTime):
        return "time"
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, Integer):
        return "int"
    if isinstance(sql_type, Float):
        return "float"
    return "text"


def _own(table: Any, skip: frozenset[str] = frozenset()) -> list[Column]:
    """The table's own columns (less :data:`SKIPPED` and ``skip``), in table order."""
    return [Column(c.key, c, _kind(c.type)) for c in table.__table__.columns if c.key not in SKIPPED | skip]


def _county_name(code_column: Any) -> Column:
    county = aliased(Area)
    return Column("county_name", select(county.name_zh).where(county.code == code_column).scalar_subquery(), "text")


def _columns(what: ExportTable) -> tuple[list[Column], Any, list[Any], Any]:
    """(columns, select-from with joins, order-by, geometry expression or None) of one export."""
    if what == ExportTable.INCIDENTS:
        return (_own(Incident) + [_county_name(Incident.county_code)], Incident.__table__, [Incident.id],
                Incident.geom)
    if what == ExportTable.FIELD_REPORTS:
        return _own(FieldReport), FieldReport.__table__, [FieldReport.id], FieldReport.geom
    if what == ExportTable.SITES:
        occupants = (select(func.coalesce(func.sum(Household.members), 0)).where(Household.site_id == Site.id)
                     .scalar_subquery())
        return (_own(Site) + [_county_name(Site.county_code), Column("occupants", occupants, "int")],
                Site.__table__, [Site.id], Site.geom)
    if what == ExportTable.HOUSEHOLDS:
        return (_own(Household) + [_county_name(Household.county_code)], Household.__table__, [Household.id],
                Household.geom)
    if what == ExportTable.GUARANTEES:
        source = GuaranteeStatus.__table__.join(Household.__table__, Household.id == GuaranteeStatus.household_id)
        return (_own(GuaranteeStatus) + [Column("county_code", Household.county_code, "text")], source,
                [GuaranteeStatus.household_id], Household.geom)
    if what == ExportTable.DISTRIBUTIONS:
        source = (Distribution.__table__.join(Household.__table__, Household.id == Distribution.household_id)
                  .join(Item.__table__, Item.code == Distribution.item_code))
        extra = [Column("item_name", Item.name, "text"), Column("unit", Item.unit, "text"),
                 Column("village_code", Household.village_code, "text"),
                 Column("county_code", Household.county_code, "text")]
        return _own(Distribution) + extra, source, [Distribution.id], Household.geom
    if what in (ExportTable.STOCK_BALANCES, ExportTable.STOCK_MOVEMENTS):
        table = StockBalance if what == ExportTable.STOCK_BALANCES else StockMovement
        depot, site = aliased(Depot), aliased(Site)
        source = (table.__table__.join(Item.__table__, Item.code == table.item_code)
                  .outerjoin(depot, (table.holder_kind == HolderKind.DEPOT.value) & (depot.id == table.holder_id))
                  .outerjoin(site, (table.holder_kind == HolderKind.SITE.value) & (site.id == table.holder_id)))
        extra = [Column("holder_name", func.coalesce(depot.name, site.name), "text"),
                 Column("county_code", func.coalesce(depot.county_code, site.county_code), "text"),
                 Column("item_name", Item.name, "text"), Column("unit", Item.unit, "text")]
        order = ([StockBalance.holder_kind, StockBalance.holder_id, StockBalance.item_code]
                 if table is StockBalance else [StockMovement.id])
        geom = func.coalesce(type_coerce(depot.geom, LargeBinary), type_coerce(site.geom, LargeBinary))
        return _own(table) + extra, source, order, (depot.geom, site.geom, geom)
    if what == ExportTable.HOUSES:
        return (_own(House) + [_county_name(House.county_code)], House.__table__, [House.id], House.geom)
    if what == ExportTable.CASES:
        source = AssistanceCase.__table__.join(Household.__table__, Household.id == AssistanceCase.household_id)
        return (_own(AssistanceCase) + [_county_name(AssistanceCase.county_code)], source, [AssistanceCase.id],
                Household.geom)
    raise ValueError(f"no export named {what!r}")


def _raw(column: Column, dialect: str) -> Any:
    """The expression read without per-row type processing (converted per column afterwards)."""
    if column.kind == "time":
        return type_coerce(column.expression, String) if dialect == "sqlite" else column.expression
    if column.kind == "bool":
        return type_coerce(column.expression, Integer)
    return column.expression


def _geometry(geom: Any, dialect: str) -> Any:
    if isinstance(geom, tuple):  # coalesce of alternatives (stock holders)
        first, second, coalesced = geom
        if dialect == "postgresql":
            return func.coalesce(func.ST_AsBinary(first), func.ST_AsBinary(second))
        return coalesced
    return func.ST_AsBinary(geom) if dialect == "postgresql" else type_coerce(geom, LargeBinary)


def column_names(what: ExportTable) -> list[str]:
    """The names of an export's columns (without its geometry), in order."""
    return [c.name for c in _columns(what)[0]]


def is_present(session: Session, what: ExportTable) -> bool:
    """Whether the tables of ``what`` exist in this database (reconstruction and assistance may be absent)."""
    table = {ExportTable.HOUSES: House, ExportTable.CASES: AssistanceCase}.get(what)
    if table is None:
        return True
    from sqlalchemy import inspect

    return inspect(session.connection()).has_table(table.__tablename__)


def layout(what: ExportTable) -> list[tuple[str, str]]:
    """(name, kind) of each value in a row of :func:`batches`, ``("geom", "geom")`` last for located exports."""
    columns, source, order, geom = _columns(what)
    return [(c.name, c.kind) for c in columns] + ([("geom", "geom")] if geom is not None else [])


#: Largest table read whole into a lookup (SQLite) instead of joined row by row.
LOOKUP_ROWS = 200_000


def _statement(what: ExportTable, dialect: str) -> Any:
    columns, source, order, geom = _columns(what)
    selected = [_raw(c, dialect).label(c.name) for c in columns]
    if geom is not None:
        selected.append(_geometry(geom, dialect).label("geom"))
    return select(*selected).select_from(source).order_by(*order)


def _execute(session: Session, statement: Any, chunk_rows: int) -> Iterator[list[tuple]]:
    """Plain tuples straight from the driver, ``chunk_rows`` at a time, inside the session's transaction.

    The driver's cursor is used directly: building SQLAlchemy rows costs more than reading them. On
    PostgreSQL the cursor is a server-side one, so only a chunk is ever on the client.
    """
    connection = session.connection()
    dialect = connection.dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    dbapi = connection.connection.dbapi_connection
    if dialect.name == "postgresql":
        cursor = dbapi.cursor(name="relief_export")
        cursor.itersize = chunk_rows
    else:
        cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk_rows):
            yield rows
    finally:
        cursor.close()


def _distribution_batches(session: Session, chunk_rows: int) -> Iterator[list[Sequence[Any]]] | None:
    """Distributions on SQLite with their household looked up in memory, or None if there are too many.

    SQLite joins a million distributions to their households by one index search each, which takes
    longer than reading the distributions themselves; the households are few enough to hold, so each
    row is joined by a dictionary look-up instead (a row without its household is left out, as the
    join leaves it out).
    """
    households = int(session.execute(select(func.count()).select_from(Household)).scalar_one())
    if households > LOOKUP_ROWS:
        return None
    own = _own(Distribution)
    homes = {row[0]: row[1:] for batch in _execute(session, select(
        Household.id, Household.village_code, Household.county_code, type_coerce(Household.geom, LargeBinary)),
        chunk_rows) for row in batch}
    extra = [Column("item_name", Item.name, "text"), Column("unit", Item.unit, "text")]
    source = Distribution.__table__.join(Item.__table__, Item.code == Distribution.item_code)
    at_home = [c.name for c in own].index("household_id")
    statement = (select(*[_raw(c, "sqlite").label(c.name) for c in own + extra]).select_from(source)
                 .order_by(Distribution.id))

    def joined() -> Iterator[list[Sequence[Any]]]:
        for rows in _execute(session, statement, chunk_rows):
            columns = list(zip(*rows))
            try:
                found = [homes[h] for h in columns[at_home]]
            except KeyError:  # a distribution without its household: left out, as by the join
                columns = list(zip(*[row for row in rows if row[at_home] in homes]))
                if not columns:
                    continue
                found = [homes[h] for h in columns[at_home]]
            yield columns + list(zip(*found))

    return joined()


def batches(session: Session, what: ExportTable, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[list[Sequence[Any]]]:
    """The rows of ``what`` in key order, a chunk at a time, as columns laid out as :func:`layout` says.

    Each chunk is a list of equally long columns (sequences of plain values). Values are raw: times as
    the driver gives them (text on SQLite), booleans as 0/1 on SQLite, positions as WKB. Yields nothing
    for an empty table.
    """
    dialect = session.get_bind().dialect.name
    if what == ExportTable.DISTRIBUTIONS and dialect == "sqlite":
        looked_up = _distribution_batches(session, chunk_rows)
        if looked_up is not None:
            yield from looked_up
            return
    for rows in _execute(session, _statement(what, dialect), chunk_rows):
        yield list(zip(*rows))


def _frame(values: list[Sequence[Any]], columns: list[Column], located: bool) -> pd.DataFrame:
    names = [c.name for c in columns] + (["geom"] if located else [])
    values = values or [() for _ in names]
    frame = pd.DataFrame({name: np.array(column, dtype=object) for name, column in zip(names, values)})
    for column in columns:
        values = frame[column.name]
        if column.kind == "int":
            frame[column.name] = pd.array(values.to_numpy(dtype=object), dtype="Int64")
        elif column.kind == "bool":
            frame[column.name] = pd.array(values.to_numpy(dtype=object), dtype="Int64").astype("boolean")
        elif column.kind == "float":
            frame[column.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif column.kind == "time":
            frame[column.name] = pd.to_datetime(values, utc=True, format="ISO8601")
    if located:
        blobs = frame["geom"].to_numpy(dtype=object)
        frame["geom"] = shapely.from_wkb([None if b is None else bytes(b) for b in blobs])
    return frame


def chunks(session: Session, what: ExportTable, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """The rows of ``what`` in key order, ``chunk_rows`` at a time, as typed DataFrames (``geom`` last).

    Yields at least one frame (empty when the table is), so writers always see the columns.
    """
    columns, source, order, geom = _columns(what)
    located = geom is not None
    any_rows = False
    for values in batches(session, what, chunk_rows=chunk_rows):
        any_rows = True
        yield _frame(values, columns, located)
    if not any_rows:
        yield _frame([], columns, located)


def row_count(session: Session, what: ExportTable) -> int:
    """How many rows ``what`` exports (the number a reader of the file should find)."""
    columns, source, order, geom = _columns(what)
    return int(session.execute(select(func.count()).select_from(source)).scalar_one())


__all__ = ["CHUNK_ROWS", "batches", "chunks", "column_names", "is_present", "layout", "row_count"]
