"""Bounded write waits: a writer that cannot get the store in time is refused with ``StoreBusy``, nothing written.

Also the store's parts that make those waits: the process's write gate, SQLite's file lock taken by polling, and
the turns that keep one process from starving another on the same file.
"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import exc, func, select, text

from relief.errors import StoreBusy
from relief.store.busy import is_busy
from relief.store.db import Store
from relief.store.sqlite_engine import GAP_SECONDS, READ_BUSY_MS, STREAK_SECONDS, Turns
from relief.store.tables import Item
from relief.store.write_gate import WriteGate


@pytest.fixture
def sqlite_url(tmp_path):
    """A migrated SQLite file whatever store the suite runs on (these are SQLite's own rules)."""
    from relief.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'gate.db'}"
    store = Store(url)
    upgrade(store)
    store.dispose()
    return url


def items(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Item))


def add_item(session, code: str) -> None:
    session.add(Item(code=code, name=code, unit="kg", guarantee="food"))
    session.flush()


def test_a_writer_queued_behind_another_in_the_process_gets_its_turn(sqlite_url):
    store = Store(sqlite_url, write_wait_seconds=5)
    order: list[str] = []
    holding = threading.Event()

    def first():
        with store.write() as session:
            add_item(session, "A")
            holding.set()
            time.sleep(0.3)
            order.append("A")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    with store.write() as session:
        add_item(session, "B")
        order.append("B")
    thread.join()
    assert order == ["A", "B"] and items(store) == 2
    store.dispose()


def test_the_process_gate_gives_up_after_its_wait_with_nothing_written(sqlite_url):
    store = Store(sqlite_url, write_wait_seconds=0.2)
    holding, release = threading.Event(), threading.Event()

    def hold():
        with store.write() as session:
            add_item(session, "A")
            holding.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    with pytest.raises(StoreBusy) as refused:
        with store.write() as session:
            add_item(session, "B")
    waited = time.monotonic() - started
    release.set()
    thread.join()
    assert 0.15 < waited < 1.5
    assert refused.value.status == 503 and refused.value.retry_after >= 1
    assert items(store) == 1
    store.dispose()


def test_another_process_holding_the_file_lock_ends_in_store_busy_not_a_blocked_wait(sqlite_url):
    """A plain sqlite3 connection stands for another process: its lock is outside this process's gate."""
    store = Store(sqlite_url, write_wait_seconds=0.3)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy):
            with store.write() as session:
                add_item(session, "B")
        assert 0.25 < time.monotonic() - started < 1.5
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.write() as session:  # and once the other lets go, writing works again
        add_item(session, "C")
    assert items(store) == 1
    store.dispose()


def test_a_write_polls_for_the_file_lock_and_gets_it_when_the_other_process_commits(sqlite_url):
    store = Store(sqlite_url, write_wait_seconds=5)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    timer.start()
    with store.write() as session:
        add_item(session, "B")
    timer.join()
    other.close()
    assert items(store) == 1
    with store.engine.connect() as conn:  # the connection went back with SQLite's short read wait restored
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == READ_BUSY_MS
    store.dispose()


def test_the_gate_is_one_lock_per_store():
    gate = WriteGate(0.05)
    with gate.held() as deadline:
        assert deadline > time.monotonic()
        with pytest.raises(StoreBusy):
            with gate.held():
                pass
    with gate.held():
        pass


def test_the_gate_lets_waiting_writers_in_in_the_order_they_came():
    """A slot given up goes to the writer that has waited longest, never to one that came later."""
    gate = WriteGate(5.0)
    order: list[int] = []

    def writer(n: int) -> None:
        with gate.held():
            order.append(n)

    threads = []
    with gate.held():
        for n in range(5):
            thread = threading.Thread(target=writer, args=(n,))
            thread.start()
            threads.append(thread)
            deadline = time.monotonic() + 5
            while len(gate._waiting) < n + 1 and time.monotonic() < deadline:  # this one queues before the next
                time.sleep(0.001)
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    with gate.held():  # and the slot is free again afterwards
        pass


def test_a_writer_that_stops_waiting_leaves_the_queue():
    gate = WriteGate(0.1)
    with gate.held():
        with pytest.raises(StoreBusy):
            with gate.held():
                pass
        assert not gate._waiting  # nobody to hand the slot to when it is given up ...
    with gate.held():  # ... so it is free for the next writer at once
        pass


def test_busy_errors_are_told_by_code_not_by_message():
    locked = sqlite3.OperationalError("anything at all")
    locked.sqlite_errorcode = 5
    assert is_busy(exc.OperationalError("BEGIN", {}, locked))
    broken = sqlite3.OperationalError("database is locked")  # the words alone decide nothing
    broken.sqlite_errorcode = 1
    assert not is_busy(exc.OperationalError("BEGIN", {}, broken))
    assert is_busy(exc.TimeoutError())

    class PgError(Exception):
        sqlstate = "55P03"

    assert is_busy(exc.OperationalError("UPDATE", {}, PgError()))
    PgError.sqlstate = "23505"
    assert not is_busy(exc.OperationalError("UPDATE", {}, PgError()))


@pytest.mark.postgres
def test_a_postgres_lock_wait_past_the_bound_is_store_busy(postgres_url):
    store = Store(postgres_url, write_wait_seconds=0.3)
    with store.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS gate_probe (id int PRIMARY KEY, n int)"))
        conn.execute(text("INSERT INTO gate_probe VALUES (1, 0) ON CONFLICT DO NOTHING"))
    holder = store.engine.connect()
    holder.begin()
    holder.execute(text("SELECT n FROM gate_probe WHERE id = 1 FOR UPDATE"))
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy):
            with store.write() as session:
                session.execute(text("UPDATE gate_probe SET n = n + 1 WHERE id = 1"))
        assert time.monotonic() - started < 2
    finally:
        holder.rollback()
        holder.close()
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE gate_probe"))
        store.dispose()


def test_a_process_marks_that_it_waits_and_another_that_wrote_a_while_gives_way(tmp_path):
    waiter, writer = Turns(str(tmp_path / "x.db")), Turns(str(tmp_path / "x.db"))
    assert not writer.others_waiting()
    assert not writer.give_way(busy_for=10.0)  # nobody waits: no pause
    waiter.mark_waiting()
    assert writer.others_waiting()
    assert not writer.give_way(busy_for=STREAK_SECONDS / 2)  # a short streak keeps going
    started = time.monotonic()
    assert writer.give_way(busy_for=STREAK_SECONDS * 2)
    assert time.monotonic() - started >= GAP_SECONDS * 0.9


def test_an_in_memory_database_has_no_one_to_wait_for():
    turns = Turns(None)
    turns.mark_waiting()
    assert not turns.others_waiting()


def test_a_writer_polling_for_another_process_marks_the_wait(sqlite_url):
    store = Store(sqlite_url, write_wait_seconds=0.1)
    path = sqlite_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy):
            with store.write() as session:
                add_item(session, "B")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert Turns(path).others_waiting()
    store.dispose()


def test_the_gate_times_how_long_its_writers_have_followed_one_another():
    gate = WriteGate(1.0)
    assert gate.busy_for() == 0.0
    with gate.held():
        time.sleep(0.02)
        assert gate.busy_for() >= 0.015
        gate.restart_streak()
        assert gate.busy_for() < 0.015
    assert gate.busy_for() == 0.0
