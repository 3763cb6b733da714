"""The scheduler's lease settles races in the database: one holder, renewals, take-over after expiry."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from relief.store import schedule
from relief.store.db import Store

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def take(store, holder, now, seconds=30.0) -> bool:
    with store.write() as session:
        return schedule.take_lease(session, "job", holder, now=now, seconds=seconds)


def test_one_holder_renewals_and_take_over(store):
    assert take(store, "a", NOW) and not take(store, "b", NOW)
    assert take(store, "a", NOW + timedelta(seconds=20))  # renewed until +50 s
    assert not take(store, "b", NOW + timedelta(seconds=49))
    assert take(store, "b", NOW + timedelta(seconds=50))
    with store.read() as session:
        assert schedule.lease_holder(session, "job") == ("b", NOW + timedelta(seconds=80))
    with store.write() as session:
        schedule.release_lease(session, "job", "a", now=NOW + timedelta(seconds=51))  # not a's to give up
    assert not take(store, "a", NOW + timedelta(seconds=52))


def test_processes_racing_for_a_free_lease_get_one_holder(database_url):
    stores = [Store(database_url) for _ in range(4)]
    barrier, won = threading.Barrier(len(stores)), []

    def race(i, store):
        barrier.wait()
        if take(store, f"p{i}", NOW):
            won.append(i)

    threads = [threading.Thread(target=race, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.dispose()
    assert len(won) == 1
