"""Engine and sessions for one database URL, and what kind of store it is.

SQLite (the embedded default) runs in WAL mode with foreign keys on. Under
``relief serve`` every request is a greenlet on one gevent loop, and a
SQLite call that waits for the file lock waits in C, holding up the whole
loop — including the greenlet that holds the lock. So SQLite writers queue
twice, and never inside SQLite's own busy handler:

- in the process, on a :class:`WriteGate` (a lock that is gevent's own when
  ``relief serve`` has monkey-patched ``threading``), so only one writer per
  process asks SQLite for the lock and the others yield to the loop;
- across processes sharing the file, ``BEGIN IMMEDIATE`` is tried without a
  busy wait and retried after a short (cooperative) sleep.

Both waits are bounded (``write_wait_seconds``); past the bound the write
is refused with :class:`~relief.errors.StoreBusy` (HTTP 503 with
``Retry-After``) before anything was written.

PostgreSQL writers pass the same gate, a few at a time
(``postgres_writers``). psycopg waits cooperatively, so any number could
run side by side, but on one loop that only interleaves their CPU work
while each holds its row locks: a hot row (one depot's rice) is then held
for the sum of everyone's slices, and tails grow past seconds. A few at a
time overlap their round trips without that; several processes still
write side by side, ordered by row locks. Its
``lock_timeout``, pool timeouts, deadlocks and serialisation failures end
in ``StoreBusy`` too. PostgreSQL is expected to have PostGIS;
:attr:`Store.has_postgis` says whether it does.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from relief.errors import StoreBusy

#: SQLite's own busy wait, for the rare read that meets a lock (WAL readers almost never do); it blocks the loop.
SQLITE_READ_BUSY_MS = 50
SQLITE_BUSY_CODES = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (extended codes carry them in the low byte)
#: PostgreSQL SQLSTATEs that mean "not now", not "wrong": lock/statement timeouts, deadlock, serialisation.
POSTGRES_BUSY_STATES = {"55P03", "57014", "40P01", "40001"}
DEFAULT_WRITE_WAIT_SECONDS = 5.0
#: PostgreSQL writers let into one process at a time: enough to overlap their round trips, few enough
#: that their CPU work does not interleave while they hold row locks.
DEFAULT_POSTGRES_WRITERS = 4


def is_busy(error: BaseException) -> bool:
    """Whether a driver error means the store was busy (retry later) rather than the request wrong."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection free in time
        return True
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_BUSY_CODES
    return getattr(orig, "sqlstate", None) in POSTGRES_BUSY_STATES


class WriteGate:
    """At most ``writers`` writers at a time in this process; the rest wait without blocking the event loop."""

    def __init__(self, wait_seconds: float, writers: int = 1):
        self.wait_seconds = wait_seconds
        # gevent's semaphore once `relief serve` has monkey-patched threading
        self._slots = threading.BoundedSemaphore(writers)

    @contextmanager
    def held(self) -> Iterator[float]:
        """Yields the monotonic deadline by which the file lock must be had too."""
        deadline = time.monotonic() + self.wait_seconds
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise StoreBusy(f"the store is busy with other writes; nothing was written, retry in a moment "
                            f"(waited {self.wait_seconds:g} s)")
        try:
            yield deadline
        finally:
            self._slots.release()


def _begin_immediate(conn, deadline: float) -> None:
    """Take SQLite's write lock, polling with cooperative sleeps rather than SQLite's blocking busy wait."""
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    pause = 0.002
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except exc.OperationalError as error:
                if not is_busy(error):
                    raise
                if time.monotonic() + pause > deadline:
                    raise StoreBusy("another process holds the store's write lock; nothing was written, "
                                    "retry in a moment") from None
            time.sleep(pause)  # gevent's sleep under `relief serve`: the loop runs on meanwhile
            pause = min(pause * 2, 0.05)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_READ_BUSY_MS}")


def _sqlite_engine(url: str, echo: bool, pool_timeout: float) -> Engine:
    engine = create_engine(url, echo=echo, pool_use_lifo=True, pool_size=10, max_overflow=30,
                           pool_timeout=pool_timeout,
                           connect_args={"check_same_thread": False, "timeout": SQLITE_READ_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_READ_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        deadline = conn.get_execution_options().get("relief_write_deadline")
        if deadline is None:
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            _begin_immediate(conn, deadline)

    return engine


class Store:
    """The one place that holds an engine; everything else asks it for sessions."""

    def __init__(self, url: str, *, echo: bool = False, write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS,
                 postgres_writers: int = DEFAULT_POSTGRES_WRITERS):
        self.url = url
        self.write_wait_seconds = write_wait_seconds
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url, echo, pool_timeout=write_wait_seconds)
        else:
            lock_ms = int(write_wait_seconds * 1000)
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=30,
                                        pool_timeout=write_wait_seconds,
                                        connect_args={"options": f"-c lock_timeout={lock_ms}"})
        self._gate = WriteGate(write_wait_seconds, writers=1 if self.is_sqlite else postgres_writers)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
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
        except (exc.OperationalError, exc.TimeoutError) as error:
            if is_busy(error):
                raise StoreBusy("the store is busy; retry in a moment") from error
            raise
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together on success, or not at all.

        A store too busy to take the write in time raises ``StoreBusy`` with nothing written.
        """
        with self._gate.held() as deadline, self._write_session(deadline) as session:
            yield session

    @contextmanager
    def _write_session(self, deadline: float) -> Iterator[Session]:
        bind = self.engine.execution_options(relief_write_deadline=deadline) if self.is_sqlite else self.engine
        session = Session(bind, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except (exc.OperationalError, exc.TimeoutError) as error:
            session.rollback()
            if is_busy(error):
                raise StoreBusy("the store is busy with other writes; nothing was written, retry in a moment") \
                    from error
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
