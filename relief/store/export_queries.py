"""The rows of each export, read in chunks with flat memory.

One ``SELECT`` per export, ordered by the table's key and read through a
streaming result (``yield_per``: SQLite steps its cursor, PostgreSQL uses a
server-side cursor), so the whole export is one consistent snapshot and at
most one chunk is in memory. Each chunk comes back as a DataFrame with typed
columns: integers as ``Int64``, booleans as ``boolean``, moments as
``datetime64[ns, UTC]`` and, for located rows, ``geom`` as shapely geometries
(decoded from WKB in one vectorised call). Values are read raw from the
driver and converted per column, not per row, which is what keeps a million
rows within seconds.

Rows tied to a household (guarantees, distributions, houses, cases) carry the
household's village and county; stock rows carry their holder's name and
position; rows of located tables carry the county's name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

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


def _frame(rows: list[Any], columns: list[Column], located: bool) -> pd.DataFrame:
    names = [c.name for c in columns] + (["geom"] if located else [])
    # columns by transposing the rows in C: much faster than building the frame row by row
    values = list(zip(*rows)) if rows else [() for _ in names]
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
    dialect = session.get_bind().dialect.name
    columns, source, order, geom = _columns(what)
    located = geom is not None
    selected = [_raw(c, dialect).label(c.name) for c in columns]
    if located:
        selected.append(_geometry(geom, dialect).label("geom"))
    statement = select(*selected).select_from(source).order_by(*order)
    result = session.connection().execution_options(stream_results=True, yield_per=chunk_rows).execute(statement)
    any_rows = False
    for rows in result.partitions(chunk_rows):
        any_rows = True
        yield _frame(list(rows), columns, located)
    if not any_rows:
        yield _frame([], columns, located)


def row_count(session: Session, what: ExportTable) -> int:
    """How many rows ``what`` exports (the number a reader of the file should find)."""
    columns, source, order, geom = _columns(what)
    return int(session.execute(select(func.count()).select_from(source)).scalar_one())


__all__ = ["CHUNK_ROWS", "chunks", "column_names", "is_present", "row_count"]
