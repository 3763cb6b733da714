"""``relief import DIR``: load a register folder (CSV or xlsx), all or nothing.

On a bad value nothing is written; the message names the file, the
spreadsheet row (header = 1) and the column, and the command exits with 1.
"""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context
from relief.errors import ReliefError
from relief.services import importer


@click.command("import", help="Import a folder of register files (households, sites, facilities, items, "
                              "distributions, medical_visits as .csv or .xlsx); all or nothing.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option("--profile", default="normal", show_default=True, help="Standards profile for the recheck.")
def import_command(folder: str, profile: str) -> None:
    try:
        result = importer.import_register(cli_context(cli_app()), folder, profile=profile)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    for stem, name in result.files.items():
        parts = [f"{result.inserted.get(stem, 0):,} new"]
        if stem in result.updated:
            parts.append(f"{result.updated[stem]:,} replaced")
        if stem in result.skipped:
            parts.append(f"{result.skipped[stem]:,} already recorded")
        click.echo(f"{name:<22} {', '.join(parts)}")
    click.echo(f"guarantees rechecked for {result.rechecked:,} households; {result.changed:,} changed")
