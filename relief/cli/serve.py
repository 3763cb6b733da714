"""``relief serve``: the web app with Socket.IO on a production-capable server."""
from __future__ import annotations

import click

from relief import live
from relief.cli.app import cli_app


@click.command(help="Serve the app and its live map (gevent; Redis message queue if RELIEF_REDIS_URL is set).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    app = cli_app()
    click.echo(f"relief on http://{host}:{port}/  (store: {app.extensions['relief.store'].describe()}, "
               f"async: {live.socketio.async_mode}, message queue: {'redis' if app.config.get('REDIS_URL') else 'none'})")
    live.socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=True)
