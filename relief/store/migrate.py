"""Schema upgrades through Alembic, driven from code (``relief init-db``).

Alembic is imported only when a migration runs: a store already at the shipped head is told so by one read
of ``alembic_version`` and the revision lines of the shipped files (commands start that much sooner).
"""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import column, select, table

from relief.store.db import Store

if TYPE_CHECKING:
    from alembic.config import Config

#: ``revision = '0010'`` and ``down_revision = '0009'`` (or None, or a tuple for a merge) in a revision file.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(store: Store) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("relief.store").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    config.attributes["store"] = store
    return config


#: Alembic's own bookkeeping table, read directly.
_VERSIONS = table("alembic_version", column("version_num"))
_READ_VERSION = select(_VERSIONS.c.version_num)


def current_revision(store: Store) -> str | None:
    """The revision the database is at; None before the first migration.

    A plain read of Alembic's version table: ``MigrationContext`` builds a new
    Table and compiles a new statement per call, and health checks call this
    all day (the garbage made long GC pauses in a busy server).
    """
    with store.engine.connect() as conn:
        if not conn.dialect.has_table(conn, _VERSIONS.name):
            return None
        versions = conn.execute(_READ_VERSION).scalars().all()
    if len(versions) > 1:
        raise RuntimeError(f"the database has several schema heads: {versions}; relief keeps one line of revisions")
    return versions[0] if versions else None


@lru_cache(maxsize=1)
def shipped_head() -> str | None:
    """The newest revision shipped with this code (read once: it cannot change while running).

    Read from the ``revision`` / ``down_revision`` lines of the shipped files; Alembic's own reading (it
    imports Alembic and every revision module) only when those lines do not name one head.
    """
    return _head_from_lines() or _head_from_alembic()


def _head_from_lines() -> str | None:
    """The one revision no other file names as its ``down_revision``; None when that is not clear-cut."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for entry in resources.files("relief.store").joinpath("migrations", "versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("_"):
            continue
        found: dict[str, object] = {}
        for name, value in _REVISION_LINE.findall(entry.read_text(encoding="utf-8")):
            try:
                found.setdefault(name, ast.literal_eval(value))
            except (ValueError, SyntaxError):
                return None
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        downs.update([down] if isinstance(down, str) else list(down or ()))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _head_from_alembic() -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("relief.store").joinpath("migrations")))
    return ScriptDirectory.from_config(config).get_current_head()


def head_revision(store: Store) -> str | None:
    return shipped_head()


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    if current_revision(store) != head_revision(store) or revision != "head":
        from alembic import command

        command.upgrade(alembic_config(store), revision)
        store._postgis = None  # the first migration may have enabled PostGIS
    return current_revision(store)
