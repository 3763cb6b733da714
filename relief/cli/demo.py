"""``relief demo``: the Enshi demo region, idempotent, with progress."""
from __future__ import annotations

from datetime import datetime

import click

from relief.cli.app import cli_app, cli_context
from relief.services.demo import load_demo


class Moment(click.ParamType):
    """An ISO 8601 moment with its UTC offset; anything else is a usage error naming the option."""

    name = "timestamp"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"must be ISO 8601, e.g. 2026-11-20T10:00:00+08:00, not {value!r}", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"needs a UTC offset, e.g. {value}+08:00", param, ctx)
        return moment


@click.command(help="Build the Enshi prefecture demo (real boundaries, generated households, sites, stock, incidents).")
@click.option("--seed", default=42, show_default=True, type=int, help="Same seed, same demo.")
@click.option("--households", default=20_000, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option("--reset", is_flag=True, help="Replace the operational data already loaded.")
@click.option("--as-of", "as_of", type=Moment(), default=None,
              help="Place the demo's incidents, reports and supplies relative to this moment "
                   "(ISO 8601 with offset; default: now).")
def demo(seed: int, households: int, reset: bool, as_of: datetime | None) -> None:
    app = cli_app()
    result = load_demo(cli_context(app), seed=seed, households=households, reset=reset, as_of=as_of,
                       progress=click.echo)
    if result.loaded:
        click.echo("loaded: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    click.echo("demo accounts (user / password / API token):")
    for account in result.accounts:
        click.echo(f"  {account.name:<24} {account.password:<30} "
                   f"{account.token or '(exists; relief users token ' + account.name + ')'}")
    click.echo("serve it with: relief serve   then open http://127.0.0.1:5000/")
