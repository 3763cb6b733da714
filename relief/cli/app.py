"""The app and the Contexts for command-line use.

Nothing heavy is imported here at module level: ``relief --help`` and a command's own ``--help`` load only
click and the command's module. A command that writes builds the app (:func:`cli_app`: Socket.IO, so its
events reach the live maps); one that only reads takes :func:`read_only_context` and starts in a fraction
of that time.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import threading
    from datetime import datetime

    from relief.services.context import Actor, Context


def cli_app(**overrides):
    from relief import create_app

    return create_app(overrides or None)


def cli_context(app, actor: Actor | None = None) -> Context:
    from relief import live
    from relief.services.context import Actor, Context

    return Context(store=app.extensions["relief.store"], actor=actor or Actor.system(), publish=live.publish,
                   standards_loader=app.extensions["relief.standards"], settings=app.config)


def read_only_context() -> Context:
    """A system Context on the configured store, without building the web app (which imports every page,
    Socket.IO and the map exporter: seconds before the first row). It publishes nothing: it is for reading."""
    from relief import config as settings
    from relief.domain.standards import Standards
    from relief.services.context import Actor, Context
    from relief.services.standards import standards_loader
    from relief.store.db import Store
    from relief.store.migrate import upgrade

    values = settings.load()
    store = Store(values["DATABASE_URL"], write_wait_seconds=values["WRITE_WAIT_SECONDS"],
                  postgres_writers=values["POSTGRES_WRITERS"])
    if values.get("AUTO_MIGRATE", True):
        upgrade(store)
    return Context(store=store, actor=Actor.system(), publish=lambda events: None,
                   standards_loader=standards_loader(store, Standards.bundled()), settings=values)


def parse_moment(value: str | None, ctx) -> datetime:
    """``--as-of``: ISO 8601 with a UTC offset; now (the Context's clock) when not given."""
    if not value:
        return ctx.now()
    from datetime import datetime

    from relief.errors import ValidationFailed

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"--as-of must be ISO 8601, e.g. 2026-11-20T10:00:00+08:00, not {value!r}",
                               field="as_of") from None
    if moment.tzinfo is None:
        raise ValidationFailed("--as-of needs a UTC offset, e.g. 2026-11-20T10:00:00+08:00", field="as_of")
    return moment


def run_until_signalled(run: Callable[[threading.Event], None], banner: str) -> None:
    """A long-running loop in the foreground: logs to stderr, says what runs, stops on SIGINT or SIGTERM."""
    import logging
    import signal
    import threading

    import click

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    click.echo(banner)
    run(stop)
