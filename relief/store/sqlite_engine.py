"""SQLite as a store several greenlets and processes write to, without anyone waiting inside SQLite.

WAL mode, foreign keys on. Readers begin ``DEFERRED``; writers begin
``IMMEDIATE`` — but not with SQLite's busy handler, which would wait in C
and hold the event loop. A writer (already alone in its process, see
``write_gate``) tries ``BEGIN IMMEDIATE`` with ``busy_timeout=0`` and, while
another process holds the file's lock, asks again after short cooperative
sleeps until its deadline, then gives up with ``StoreBusy``.

Polling is unfair to the poller: a process whose writers queue back to back
hands the lock from one to the next within a millisecond, and a poll rarely
lands in the gap. So a waiting process marks that it waits (:class:`Turns`,
the mtime of a small file beside the database), and a process whose writers
have followed one another for a while leaves a gap longer than the poll
interval before its next writer, when someone waits.
"""
from __future__ import annotations

import os
import sqlite3
import time

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine

from relief.errors import StoreBusy
from relief.store.busy import SQLITE_BUSY_CODES

#: SQLite's own busy wait, for the rare read that meets a lock (WAL readers almost never do); it blocks the loop.
READ_BUSY_MS = 50
#: How often a writer asks again for a file lock another process holds.
POLL_FIRST_SECONDS = 0.001
POLL_MAX_SECONDS = 0.004
#: A process whose writers have held the lock back to back this long lets a waiting process in ...
STREAK_SECONDS = 0.03
#: ... by pausing this long (more than one poll interval) before its next writer.
GAP_SECONDS = 0.006
#: A wait marked longer ago than this is over.
WAIT_MARK_SECONDS = 0.1


class Turns:
    """Whether writers of another process wait for this database file (shared through a marker file's mtime)."""

    def __init__(self, database_path: str | None):
        self.path = f"{database_path}-writers" if database_path else None

    def mark_waiting(self) -> None:
        if self.path is None:
            return
        try:
            os.utime(self.path)
        except FileNotFoundError:
            try:
                open(self.path, "a").close()
            except OSError:
                pass
        except OSError:
            pass

    def others_waiting(self) -> bool:
        if self.path is None:
            return False
        try:
            return time.time() - os.stat(self.path).st_mtime < WAIT_MARK_SECONDS
        except OSError:
            return False

    def give_way(self, busy_for: float) -> bool:
        """Pause before the next writer when this process has written a while and another waits."""
        if busy_for > STREAK_SECONDS and self.others_waiting():
            time.sleep(GAP_SECONDS)  # gevent's sleep under `relief serve`
            return True
        return False


def begin_immediate(conn, deadline: float, turns: Turns) -> None:
    """Take SQLite's write lock, polling with cooperative sleeps rather than SQLite's blocking busy wait.

    The statements go straight to the driver's connection: every write begins here, and SQLAlchemy's
    execution path for three statements cost more than the statements. ``busy_timeout`` stays 0 for the
    write (it holds the lock from here on, so it never waits); the next read puts its own back
    (:func:`_begin_deferred`).
    """
    raw = conn.connection.driver_connection
    _busy_timeout(conn, raw, 0)
    pause = POLL_FIRST_SECONDS
    while True:
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in SQLITE_BUSY_CODES:
                raise exc.DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error
            if time.monotonic() + pause > deadline:
                raise StoreBusy("another process holds the store's write lock; nothing was written, "
                                "retry in a moment") from None
        turns.mark_waiting()
        time.sleep(pause)  # gevent's sleep under `relief serve`: the loop runs on meanwhile
        pause = min(pause * 2, POLL_MAX_SECONDS)


def _begin_deferred(conn) -> None:
    """A read: SQLite's short busy wait back on (for the rare read that meets a lock), then ``BEGIN``."""
    raw = conn.connection.driver_connection
    _busy_timeout(conn, raw, READ_BUSY_MS)
    raw.execute("BEGIN DEFERRED")


_BUSY_TIMEOUT = "relief.busy_timeout_ms"  # the connection's current busy_timeout, kept in its pool record


def _busy_timeout(conn, raw, ms: int) -> None:
    info = conn.connection.info
    if info.get(_BUSY_TIMEOUT) != ms:
        raw.execute(f"PRAGMA busy_timeout={ms}")
        info[_BUSY_TIMEOUT] = ms


def database_path(url: str) -> str | None:
    """The file behind a SQLite URL; None for an in-memory database."""
    path = url.split("///", 1)[1] if "///" in url else ""
    return None if path in ("", ":memory:") else path


def sqlite_engine(url: str, echo: bool, pool_timeout: float, turns: Turns) -> Engine:
    engine = create_engine(url, echo=echo, pool_use_lifo=True, pool_size=10, max_overflow=30,
                           pool_timeout=pool_timeout,
                           connect_args={"check_same_thread": False, "timeout": READ_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cur = dbapi_conn.cursor()
        if database_path(url):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={READ_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()
        _record.info[_BUSY_TIMEOUT] = READ_BUSY_MS

    @event.listens_for(engine, "begin")
    def _begin(conn):
        deadline = conn.get_execution_options().get("relief_write_deadline")
        if deadline is None:
            _begin_deferred(conn)
        else:
            begin_immediate(conn, deadline, turns)

    return engine
