"""``relief webhooks``: deliver subscriptions' webhooks from the event outbox (one process or many)."""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context, run_until_signalled


@click.command(help="Deliver signed webhooks to subscriptions from the event outbox, retrying with backoff "
                    "(several processes may run; a killed one loses nothing).")
@click.option("--once", is_flag=True, help="Fan out and deliver one round, print what it did and exit.")
@click.option("--seconds", type=click.FloatRange(0.05, 3600), default=1.0, show_default=True,
              help="Pause between rounds that found nothing to do.")
@click.option("--batch", type=click.IntRange(1, 10000), default=100, show_default=True,
              help="Deliveries claimed per round.")
@click.option("--parallel", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Subscriptions posted to at once (each one's deliveries stay in order).")
def webhooks_command(once: bool, seconds: float, batch: int, parallel: int) -> None:
    from relief.webhooks_worker import DeliveryWorker

    app = cli_app()
    worker = DeliveryWorker(lambda: cli_context(app), seconds=seconds, batch=batch, parallel=parallel)
    if once:
        click.echo(worker.round())
        return
    run_until_signalled(worker.run, f"relief webhooks {worker.holder}: every {seconds:g} s when idle "
                                    f"(store: {app.extensions['relief.store'].describe()})")
