"""``relief guarantees --as-of TIME [--profile cold] [--format csv|json]``: every household's verdicts.

Read only: prints the five guarantees judged as of the given moment (now by
default), so any past state can be reproduced from the stored register.
CSV columns: household_id, food, clothing, water, housing, medical,
reason_<g> …, shortfall_<g> …; JSON: a list of objects with the status
words plus ``reasons`` and ``shortfalls`` keyed by guarantee.
"""
from __future__ import annotations

import json
import sys

import click

from relief.cli.app import cli_app, cli_context, parse_moment
from relief.domain import spreadsheet
from relief.errors import ReliefError
from relief.services import guarantee_json, guarantees

__all__ = ["guarantees_command", "parse_moment"]  # parse_moment: the other commands' --as-of, kept importable here


@click.command("guarantees", help="Print every household's five guarantees as of a moment (default: now).")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="ISO 8601 with offset.")
@click.option("--profile", default="normal", show_default=True, help="Standards profile: normal or cold.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def guarantees_command(as_of: str | None, profile: str, fmt: str) -> None:
    ctx = cli_context(cli_app())
    try:
        result = guarantees.evaluate_all(ctx, as_of=parse_moment(as_of, ctx), profile=profile)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    if fmt == "json":
        json.dump(guarantee_json.json_rows(result), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        spreadsheet.to_csv(guarantee_json.flat_table(result), sys.stdout)
