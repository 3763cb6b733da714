"""``relief import DIR``: load a register folder (CSV or xlsx), all or nothing;
``relief import partner-aid FILE --agency NAME``: a partner agency's aid list (hashed IDs), all or nothing.

On a bad value nothing is written; the message names the file, the
spreadsheet row (header = 1) and the column, and the command exits with 1.
"""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context
from relief.errors import ReliefError

HELP = ("Import a folder of register files (households, sites, facilities, items, distributions, medical_visits as "
        ".csv or .xlsx); all or nothing. `relief import partner-aid FILE --agency NAME` imports a partner agency's "
        "aid list (salted ID hashes).")


class ImportGroup(click.Group):
    """``relief import DIR`` (the register folder) beside ``relief import partner-aid FILE``: a first argument
    that names no subcommand is the folder."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            return "folder", register_folder, args
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx, formatter):
        formatter.write_usage(ctx.command_path, "FOLDER [--profile P] | partner-aid FILE --agency NAME")


@click.command("folder", help="Import a folder of register files; all or nothing.")
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
@click.option("--profile", default="normal", show_default=True, help="Standards profile for the recheck.")
def register_folder(folder: str, profile: str) -> None:
    from relief.services import importer

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


@click.group("import", cls=ImportGroup, help=HELP, invoke_without_command=False,
             context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
def import_command() -> None:
    pass


@import_command.command("partner-aid", help="Import a partner agency's aid list (columns id_hash, name_pinyin, "
                                            "village_code, purpose, period_start, period_end, amount, item, "
                                            "quantity; IDs as HMAC-SHA256 hashes keyed with the prefecture's salt, "
                                            "RELIEF_ID_SALT), matched to the register; all or nothing.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--agency", required=True, help="The partner agency's name (as its aid appears in the chain).")
def partner_aid(file: str, agency: str) -> None:
    from relief.services import partner_aid_import

    ctx = cli_context(cli_app())
    _, demo = partner_aid_import.salt_of(ctx)
    if demo:
        click.echo("warning: RELIEF_ID_SALT is not set: hashes are keyed with the demo's salt, which anyone can "
                   "read; set the prefecture's own salt before importing real lists", err=True)
    try:
        result = partner_aid_import.import_partner_aid(ctx, file, agency=agency)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{result['file']}: {result['rows']:,} rows from {result['agency']} (import {result['import_id']}): "
               f"{result['matched']:,} matched, {result['review']:,} for review, {result['unmatched']:,} unmatched")
