"""Alembic environment: uses the Store handed in by relief.store.migrate."""
from alembic import context

from relief.store.tables import Base

config = context.config
store = config.attributes.get("store")

#: Tables made by hand in revisions and absent from the ORM metadata (the SQLite
#: R*Tree of 0002 and its shadow tables): autogenerate must not drop them.
UNMAPPED_TABLE_PREFIXES = ("incidents_bbox",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and reflected and name.startswith(UNMAPPED_TABLE_PREFIXES))


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
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
