"""Schema upgrades through Alembic, driven from code (``relief init-db``)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import column, select, table

from relief.store.db import Store


def alembic_config(store: Store) -> Config:
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
    """The newest revision shipped with this code (read once: it cannot change while running)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("relief.store").joinpath("migrations")))
    return ScriptDirectory.from_config(config).get_current_head()


def head_revision(store: Store) -> str | None:
    return shipped_head()


def upgrade(store: Store, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    if current_revision(store) != head_revision(store) or revision != "head":
        command.upgrade(alembic_config(store), revision)
        store._postgis = None  # the first migration may have enabled PostGIS
    return current_revision(store)
