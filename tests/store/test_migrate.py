"""The schema head check: read from the shipped revision files, Alembic imported only to migrate."""
from __future__ import annotations

import subprocess
import sys

from relief.store import migrate


def test_the_head_read_from_the_files_is_alembics():
    assert migrate._head_from_lines() == migrate._head_from_alembic() is not None
    assert migrate.shipped_head() == migrate._head_from_alembic()


def test_a_store_at_the_head_is_checked_without_alembic(database_url):
    url = database_url if "://" in database_url else f"sqlite:///{database_url}"
    script = ("import sys\n"
              "from relief.store.db import Store\n"
              "from relief.store.migrate import shipped_head, upgrade\n"
              f"store = Store({url!r})\n"
              "assert upgrade(store) == shipped_head()\n"
              "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_a_store_behind_is_migrated(tmp_path):
    from relief.store.db import Store

    store = Store(f"sqlite:///{tmp_path / 'behind.db'}")
    try:
        assert migrate.upgrade(store, "0009") == "0009"
        assert migrate.upgrade(store) == migrate.shipped_head() != "0009"
    finally:
        store.dispose()
