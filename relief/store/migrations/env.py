"""Alembic environment: uses the Store handed in by relief.store.migrate."""
from alembic import context

from relief.store.tables import Base

config = context.config
store = config.attributes.get("store")


def run_migrations_online() -> None:
    if store is None:
        from relief.store.db import Store

        engine = Store(config.get_main_option("sqlalchemy.url")).engine
    else:
        engine = store.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            user_module_prefix="relief.store.types.",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
