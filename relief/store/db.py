"""Engine and sessions for one database URL, and what kind of store it is.

Reads get plain sessions. Writes go through :meth:`Store.write`: first the
process's :class:`~relief.store.write_gate.WriteGate` (so a waiting writer
never blocks the event loop), then, on SQLite, the file's write lock taken
without SQLite's blocking busy wait (``relief.store.sqlite_engine``). Every
wait is bounded by ``write_wait_seconds``; past it the write is refused with
:class:`~relief.errors.StoreBusy` (HTTP 503 with ``Retry-After``) before
anything was written. PostgreSQL's ``lock_timeout``, pool timeouts,
deadlocks and serialisation failures end the same way (``busy.is_busy``).
PostgreSQL is expected to have PostGIS; :attr:`Store.has_postgis` says
whether it does.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, exc, text
from sqlalchemy.orm import Session, sessionmaker

from relief.errors import StoreBusy
from relief.store.busy import is_busy
from relief.store.sqlite_engine import Turns, database_path, sqlite_engine
from relief.store.write_gate import WriteGate

DEFAULT_WRITE_WAIT_SECONDS = 5.0
#: PostgreSQL writers let into one process at a time (see ``write_gate``).
DEFAULT_POSTGRES_WRITERS = 4


class Store:
    """The one place that holds an engine; everything else asks it for sessions."""

    def __init__(self, url: str, *, echo: bool = False, write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS,
                 postgres_writers: int = DEFAULT_POSTGRES_WRITERS):
        self.url = url
        self.write_wait_seconds = write_wait_seconds
        self._turns = Turns(database_path(url)) if url.startswith("sqlite") else None
        if self._turns is not None:
            self.engine = sqlite_engine(url, echo, pool_timeout=write_wait_seconds, turns=self._turns)
        else:
            lock_ms = int(write_wait_seconds * 1000)
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=30,
                                        pool_timeout=write_wait_seconds,
                                        connect_args={"options": f"-c lock_timeout={lock_ms}"})
        self._gate = WriteGate(write_wait_seconds, writers=1 if self.is_sqlite else postgres_writers)
        #: This store's in-process copies of slowly changing rows (area outlines, the standards in force), one
        #: entry per owning module. Kept here, not in module globals, so two stores in one process never
        #: share one and nothing needs resetting by hand; sessions carry it as ``info["memo"]``.
        self.memo: dict[str, Any] = {}
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info={"memo": self.memo})
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
                    self._postgis = bool(conn.execute(
                        text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'")).scalar())
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
        with self._gate.held() as deadline:
            if self._turns is not None and self._turns.give_way(self._gate.busy_for()):
                self._gate.restart_streak()
            with self._write_session(deadline) as session:
                yield session

    @contextmanager
    def _write_session(self, deadline: float) -> Iterator[Session]:
        session = Session(self.engine, expire_on_commit=False, info={"memo": self.memo})
        try:
            if self.is_sqlite:  # begin now, on a connection that carries the deadline to ``begin_immediate``
                session.connection(execution_options={"relief_write_deadline": deadline})
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
