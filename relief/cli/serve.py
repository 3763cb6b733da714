"""``relief serve``: the web app with Socket.IO on gevent's production WSGI server.

Served with gevent's pywsgi and gevent-websocket directly (rather than
``socketio.run``) for one reason: pywsgi writes a response's headers and body
in two sends, and on a kept-alive connection Nagle's algorithm then holds the
body until the client's delayed ACK, ~40 ms per response. Accepted sockets
therefore get TCP_NODELAY.
"""
from __future__ import annotations

import gc
import socket

import click

from relief import live
from relief.cli.app import cli_app
from relief.cli.worker import start_beside_server
from relief.web import errors


def _handler_class():
    from geventwebsocket.handler import WebSocketHandler

    class NoDelayHandler(WebSocketHandler):
        def __init__(self, sock, *args, **kwargs):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # not TCP (a unix socket): nothing to tune
                pass
            super().__init__(sock, *args, **kwargs)

        def handle_one_request(self):
            """A request line over gevent's limit is answered in JSON like every other /api error."""
            result = super().handle_one_request()
            if isinstance(result, tuple) and result[0] == "414":
                return "414", errors.request_line_too_long()
            return result

    return NoDelayHandler


@click.command(help="Serve the app and its live map (gevent; Redis message queue if RELIEF_REDIS_URL is set).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    app = cli_app()
    click.echo(f"relief on http://{host}:{port}/  (store: {app.extensions['relief.store'].describe()}, "
               f"async: {live.socketio.async_mode}, "
               f"message queue: {'redis' if app.config.get('REDIS_URL') else 'none'})")
    if live.socketio.async_mode != "gevent":  # imported without `relief serve`'s monkey patching
        live.socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=True)
        return
    from gevent import pywsgi

    server = pywsgi.WSGIServer((host, port), app, handler_class=_handler_class(), log=None)
    gc.freeze()  # start-up objects live for the whole run: keep them out of every collection
    start_beside_server(app)  # verdicts that age on their own (RELIEF_SCHEDULER=off: not here)
    server.serve_forever()
