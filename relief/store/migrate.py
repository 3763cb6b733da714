"""Schema upgrades through Alembic, driven from code (``relief init-db``)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from relief.store.db import Store


def alembic_config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("relief.store").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    config.attributes["store"] = store
    return config


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
