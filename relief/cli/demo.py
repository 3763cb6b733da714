"""``relief demo``: the Enshi demo region, idempotent, with progress."""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context
from relief.services.demo import load_demo


@click.command(help="Build the Enshi prefecture demo (real boundaries, generated households, sites, stock, incidents).")
@click.option("--seed", default=42, show_default=True, type=int, help="Same seed, same demo.")
@click.option("--households", default=20_000, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option("--reset", is_flag=True, help="Replace the operational data already loaded.")
def demo(seed: int, households: int, reset: bool) -> None:
    app = cli_app()
    result = load_demo(cli_context(app), seed=seed, households=households, reset=reset, progress=click.echo)
    if result.loaded:
        click.echo("loaded: " + ", ".join(f"{k} {v:,}" for k, v in result.counts.items()))
    click.echo("demo accounts (user / password / API token):")
    for account in result.accounts:
        click.echo(f"  {account.name:<24} {account.password:<30} {account.token or '(exists; relief users token ' + account.name + ')'}")
    click.echo("serve it with: relief serve   then open http://127.0.0.1:5000/")
