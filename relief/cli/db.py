"""``relief init-db``: create or upgrade the schema through the migrations."""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context
from relief.services import system


@click.command("init-db", help="Create or upgrade the database schema (Alembic migrations).")
def init_db() -> None:
    app = cli_app(AUTO_MIGRATE=False)
    revision = system.init_db(cli_context(app))
    click.echo(f"schema at revision {revision} on {app.extensions['relief.store'].describe()}")
