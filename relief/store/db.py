"""Engine and sessions for one database URL, and what kind of store it is.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and its
write transactions start with ``BEGIN IMMEDIATE`` so that two writers queue
on the lock instead of failing when a read turns into a write. PostgreSQL is
expected to have PostGIS; :attr:`Store.has_postgis` says whether it does.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_engine(url: str, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, pool_use_lifo=True,
                           connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("relief_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """The one place that holds an engine; everything else asks it for sessions."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url, echo)
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(relief_write=True), expire_on_commit=False)
        self._postgis: bool | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def has_postgis(self) -> bool:
        if self._postgis is None:
            self._postgis = False
            if self.dialect == "postgresql":
                with self.engine.connect() as conn:
                    self._postgis = bool(conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar())
        return self._postgis

    def describe(self) -> str:
        if self.is_sqlite:
            return "sqlite"
        return "postgresql+postgis" if self.has_postgis else "postgresql"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it changed is rolled back."""
        session = self._reader()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together on success, or not at all."""
        session = self._writer()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
