"""``relief reconstruction --as-of TIME [--format csv|json]``: every house of the reconstruction ledger.

Read only: one row per house, judged as of the given moment (now by default):
house_id, household_id, county_code, township_code, damage, stage,
days_in_stage, stalled (0|1), correction_required (0|1), entitled, paid,
due (the amount whose milestone passed but is unpaid), next_milestone.
JSON: a list of objects with the same keys.
"""
from __future__ import annotations

import sys

import click

HELP = "Print every house's stage, stall, subsidy entitled / paid / due as of a moment (default: now)."
#: The money columns, printed rounded to the fen.
MONEY = ("entitled", "paid", "due")


@click.command("reconstruction", help=HELP)
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="ISO 8601 with offset.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def reconstruction_command(as_of: str | None, fmt: str) -> None:
    # imported here: ``relief --help`` and ``relief reconstruction --help`` need none of it
    from relief.cli.app import read_only_context
    from relief.domain.reconstruction import ROW_COLUMNS
    from relief.errors import ReliefError
    from relief.services import fields, reconstruction

    ctx = read_only_context()
    try:
        moment = fields.parse_time(as_of, "--as-of") if as_of else ctx.now()
        if fmt == "json":
            rows = reconstruction.house_rows(ctx, moment)[list(ROW_COLUMNS)]
        else:
            columns = reconstruction.house_columns(ctx, moment)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    if fmt == "json":
        _write_json(rows)
        return
    import numpy as np

    from relief.domain.spreadsheet import write_columns_csv

    for name in MONEY:
        columns[name] = np.round(np.asarray(columns[name], dtype=float), 2)
    write_columns_csv(columns, sys.stdout, ROW_COLUMNS)


def _write_json(rows) -> None:
    import json

    from relief.jsonable import jsonable

    rows = rows.astype({name: float for name in MONEY}).round({name: 2 for name in MONEY})
    json.dump(jsonable(rows.astype(object).where(rows.notna(), None).to_dict("records")), sys.stdout,
              ensure_ascii=False)
    sys.stdout.write("\n")
