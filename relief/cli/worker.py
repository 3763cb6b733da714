"""``relief worker``: the scheduler in the foreground; and the scheduler beside ``relief serve``.

``relief serve`` starts the scheduler in its own process (a greenlet beside
the server) unless ``RELIEF_SCHEDULER=off``; ``relief worker`` runs the same
loop on its own, and ``relief worker --once`` one tick (for cron). However
many run, the lease in the database lets one act per tick. A worker's
events reach the open maps through Redis (``RELIEF_REDIS_URL``), as
``relief import``'s do; without Redis, use the scheduler inside ``relief serve``.
"""
from __future__ import annotations

import threading

import click

from relief import live
from relief.cli.app import cli_app, cli_context, run_until_signalled
from relief.scheduler import Scheduler


def scheduler_for(app) -> Scheduler:
    """A scheduler acting as the system, every ``RELIEF_SCHEDULER_SECONDS``."""
    return Scheduler(lambda: cli_context(app), seconds=app.config["SCHEDULER_SECONDS"])


def start_beside_server(app) -> threading.Event | None:
    """Run the scheduler in this serving process (a greenlet under gevent); returns what stops it.

    None when ``RELIEF_SCHEDULER=off``.
    """
    if not app.config.get("SCHEDULER", True):
        return None
    scheduler, stop = scheduler_for(app), threading.Event()  # gevent's Event once `relief serve` patched threading
    if live.socketio.async_mode == "gevent":
        import gevent

        gevent.spawn(scheduler.run, stop)
    else:
        threading.Thread(target=scheduler.run, args=(stop,), name="relief-scheduler", daemon=True).start()
    return stop


@click.command(help="Re-judge guarantee verdicts when food, water or a medical visit runs out, and announce "
                    "overdue statutory reports, every RELIEF_SCHEDULER_SECONDS (one process acts at a time).")
@click.option("--once", is_flag=True, help="Run one tick, print what it did and exit (non-zero if a job failed).")
def worker(once: bool) -> None:
    app = cli_app()
    scheduler = scheduler_for(app)
    if once:
        tick = scheduler.tick()
        if tick.leader:
            scheduler.step_down()  # a scheduler inside `relief serve` may act again at its next tick
        click.echo(tick.describe())
        if tick.failed:
            raise SystemExit(1)
        return
    run_until_signalled(scheduler.run, f"relief worker {scheduler.holder}: every {scheduler.seconds:g} s "
                                       f"(store: {app.extensions['relief.store'].describe()})")
