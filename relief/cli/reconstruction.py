"""``relief reconstruction --as-of TIME [--format csv|json]``: every house of the reconstruction ledger.

Read only: one row per house, judged as of the given moment (now by default):
house_id, household_id, county_code, township_code, damage, stage,
days_in_stage, stalled (0|1), correction_required (0|1), entitled, paid,
due (the amount whose milestone passed but is unpaid), next_milestone.
JSON: a list of objects with the same keys.
"""
from __future__ import annotations

import json
import sys

import click

from relief import config as settings
from relief.domain import spreadsheet
from relief.domain.reconstruction import ROW_COLUMNS
from relief.domain.standards import Standards
from relief.errors import ReliefError
from relief.jsonable import jsonable
from relief.services import fields, reconstruction
from relief.services.context import Actor, Context
from relief.services.standards import standards_loader
from relief.store.db import Store
from relief.store.migrate import upgrade


def read_only_context() -> Context:
    """A system Context on the configured store, without building the web app (which would import every page,
    Socket.IO and the map exporter: seconds before the first row). It publishes nothing: the command only reads."""
    values = settings.load()
    store = Store(values["DATABASE_URL"], write_wait_seconds=values["WRITE_WAIT_SECONDS"],
                  postgres_writers=values["POSTGRES_WRITERS"])
    if values.get("AUTO_MIGRATE", True):
        upgrade(store)
    return Context(store=store, actor=Actor.system(), publish=lambda events: None,
                   standards_loader=standards_loader(store, Standards.bundled()), settings=values)


@click.command("reconstruction", help="Print every house's stage, stall, subsidy entitled / paid / due as of a "
                                      "moment (default: now).")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="ISO 8601 with offset.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def reconstruction_command(as_of: str | None, fmt: str) -> None:
    ctx = read_only_context()
    try:
        moment = fields.parse_time(as_of, "--as-of") if as_of else ctx.now()
        rows = reconstruction.house_rows(ctx, moment)[list(ROW_COLUMNS)]
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    rows = rows.astype({"entitled": float, "paid": float, "due": float}).round({"entitled": 2, "paid": 2, "due": 2})
    if fmt == "json":
        json.dump(jsonable(rows.astype(object).where(rows.notna(), None).to_dict("records")), sys.stdout,
                  ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        spreadsheet.stream_csv(rows, sys.stdout)
