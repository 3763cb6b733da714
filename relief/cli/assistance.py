"""``relief assistance``: the eligibility sweep, payout batches to the bank and the bank's confirmation.

- ``relief assistance propose --programme P [--as-of T] [--township CODE] [--apply] [--format csv|json]``:
  every eligible household not yet covered for the period starting at T (default now), one row each:
  household_id, county_code, township_code, village_code, members, amount, period_start, period_end,
  reason (the rule's conditions met). ``--apply`` files them as ``applied`` cases (adds ``case_id``).
- ``relief assistance batch --out FILE``: approved cases not yet sent, with the household's account, into
  one payout batch written as CSV or xlsx (by the file's extension): batch_id, line_id, case_id,
  household_id, holder_name, bank, account_no, amount, result, reason (the last two for the bank).
- ``relief assistance confirm FILE``: the bank's file back with ``result`` paid|failed (and ``reason`` for a
  failed line): paid lines make their cases paid, once; failed ones return them to approved with the reason.
  Importing the same confirmation again changes nothing.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from relief.cli.app import cli_app, cli_context, parse_moment, read_only_context

if TYPE_CHECKING:
    import pandas as pd

# Each command imports the services it runs: ``relief assistance --help`` needs none of them, and a proposal
# that files nothing reads the store without building the web app.


@click.group("assistance", help="Living assistance: propose cases, write payout batches, confirm payments.")
def assistance_group() -> None:
    pass


@assistance_group.command("propose", help="List (or with --apply, file) the cases a programme's rule admits.")
@click.option("--programme", required=True, metavar="CODE")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP", help="Period start, ISO 8601 with offset.")
@click.option("--township", default=None, metavar="CODE")
@click.option("--apply", "apply_", is_flag=True, help="File the proposals as applied cases.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def propose_command(programme: str, as_of: str | None, township: str | None, apply_: bool, fmt: str) -> None:
    from relief.errors import ReliefError
    from relief.services import assistance

    # filing cases publishes events to the live maps (the app's Socket.IO); listing them only reads
    ctx = cli_context(cli_app()) if apply_ else read_only_context()
    try:
        rows = assistance.propose(ctx, programme, parse_moment(as_of, ctx), township_code=township, apply=apply_)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    if fmt == "json":
        import json

        from relief.jsonable import jsonable

        json.dump(jsonable(rows.astype(object).where(rows.notna(), None).to_dict("records")), sys.stdout,
                  ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from relief.domain.spreadsheet import frame_columns, write_columns_csv

        write_columns_csv(frame_columns(rows), sys.stdout)


@assistance_group.command("batch", help="Write approved, unpaid cases to a bank file (.csv or .xlsx).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def batch_command(out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter("the bank file must end in .csv or .xlsx", param_hint="--out")
    from relief.domain import spreadsheet
    from relief.errors import ReliefError
    from relief.services import assistance

    ctx = cli_context(cli_app())
    try:
        batch_id, lines, skipped = assistance.make_batch(ctx)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    lines_out = lines.astype({"account_no": str})
    if out.suffix.lower() == ".xlsx":
        spreadsheet.to_xlsx(lines_out, out)
    else:
        spreadsheet.to_csv(lines_out, out)
    click.echo(f"batch {batch_id}: {len(lines)} lines, {lines['amount'].sum():,.2f} yuan → {out}"
               if batch_id else "no approved case waits for payment")
    if skipped:
        click.echo(f"{skipped} approved cases have no account and wait for one", err=True)


def read_confirmation(path: Path) -> pd.DataFrame:
    """The bank's file as text cells (CSV in UTF-8 or GB18030, or the first sheet of an xlsx workbook)."""
    import pandas as pd

    try:
        if path.suffix.lower() == ".xlsx":
            return pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gb18030")
    except Exception as error:  # noqa: BLE001 - any unreadable file is named, never a traceback
        raise click.ClickException(f"{path.name} cannot be read as CSV or xlsx: {error}") from None


@assistance_group.command("confirm", help="Import the bank's confirmation (paid / failed per line).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def confirm_command(file: Path) -> None:
    from relief.errors import ReliefError
    from relief.services import assistance

    ctx = cli_context(cli_app())
    try:
        counts = assistance.confirm(ctx, read_confirmation(file), file=file.name)
    except ReliefError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"paid {counts['paid']}, failed {counts['failed']}, unchanged {counts['unchanged']}")
