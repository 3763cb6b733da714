"""``relief aid-check --as-of TIME [--format csv|json] [--no-save]``: the full sweep of every aid chain.

One row per flag found (duplicate aid first, then missed aid), with the columns
``flag`` (duplicate|missed), ``household_id``, ``purpose``, ``sources`` (CSV: ``;``-separated),
``periods`` (CSV: ``start/end`` in UTC ISO 8601; JSON: a list of ``[start, end]``), ``amount``,
``entitlement``, ``evidence`` (a JSON object: the reason, the aids, the flag's key, id and status) and
``since``. JSON: a list of objects with the same keys.

The sweep keeps what it finds as flags (new ones opened, known ones updated, resolved ones left alone,
missed aid answered closed as aid given) and publishes their events, so it builds the app as the writing
commands do; ``--no-save`` only judges and prints, with a read-only start.
"""
from __future__ import annotations

import sys

import click

HELP = ("Sweep every household's aid chain for duplicate and missed aid as of a moment (default: now), keep the "
        "flags, and print one row per flag (CSV or JSON).")
COLUMNS = ("flag", "household_id", "purpose", "sources", "periods", "amount", "entitlement", "evidence", "since")


@click.command("aid-check", help=HELP)
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="ISO 8601 with offset (default: now).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--no-save", is_flag=True, help="Judge and print only: keep no flags, publish nothing.")
def aid_check(as_of: str | None, fmt: str, no_save: bool) -> None:
    from relief.cli.app import cli_app, cli_context, parse_moment, read_only_context
    from relief.errors import ReliefError
    from relief.services import aid_chain

    ctx = read_only_context() if no_save else cli_context(cli_app())
    try:
        moment = parse_moment(as_of, ctx)
        result = aid_chain.sweep(ctx, moment, persist=not no_save)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    rows = result["rows"]
    if fmt == "json":
        import json

        json.dump(rows, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        write_csv(rows, sys.stdout)
    if not no_save:
        click.echo(f"{len(rows):,} flags as of {result['as_of']}: {result['opened']:,} opened, "
                   f"{result['updated']:,} updated, {result['closed']:,} closed (aid given)", err=True)


def write_csv(rows, out) -> None:
    """The flags as CSV, each cell as a spreadsheet should receive it (``domain.spreadsheet``)."""
    import json

    from relief.domain.spreadsheet import csv_lines

    out.write(csv_lines([COLUMNS, *([
        row["flag"], row["household_id"], row["purpose"], ";".join(row["sources"]),
        ";".join(f"{start or ''}/{end or ''}" for start, end in row["periods"]),
        "" if row["amount"] is None else f"{row['amount']:.2f}",
        "" if row["entitlement"] is None else f"{row['entitlement']:.2f}",
        json.dumps(row["evidence"], ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        row["since"] or ""] for row in rows)]))
