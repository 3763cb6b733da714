"""``relief sms``: text subscriptions' notifications from the event outbox through the configured gateway."""
from __future__ import annotations

import click

from relief.cli.app import cli_app, cli_context, run_until_signalled


@click.command(help="Send SMS notifications to subscribed numbers from the event outbox through the gateway "
                    "(RELIEF_SMS_GATEWAY), within each number's daily quota.")
@click.option("--once", is_flag=True, help="Fan out and send one round, print what it did and exit.")
@click.option("--seconds", type=click.FloatRange(0.05, 3600), default=2.0, show_default=True,
              help="Pause between rounds that found nothing to do.")
@click.option("--batch", type=click.IntRange(1, 10000), default=100, show_default=True,
              help="Messages claimed per round.")
def sms_command(once: bool, seconds: float, batch: int) -> None:
    from relief.sms_gateways import NotConfigured, from_settings
    from relief.sms_worker import SmsWorker

    app = cli_app()
    try:
        gateway = from_settings(app.config)
    except NotConfigured as error:
        raise click.UsageError(str(error)) from None
    worker = SmsWorker(lambda: cli_context(app), gateway, seconds=seconds, batch=batch)
    if once:
        click.echo(worker.round())
        return
    run_until_signalled(worker.run, f"relief sms {worker.holder} via {gateway.describe()}: every {seconds:g} s "
                                    f"when idle (store: {app.extensions['relief.store'].describe()})")
