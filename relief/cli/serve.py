"""``relief serve``: the web app with Socket.IO on gevent's production WSGI server.

Served with gevent's pywsgi and gevent-websocket directly (rather than
``socketio.run``) for one reason: pywsgi writes a response's headers and body
in two sends, and on a kept-alive connection Nagle's algorithm then holds the
body until the client's delayed ACK, ~40 ms per response. Accepted sockets
therefore get TCP_NODELAY, and a kept-alive connection waits for its next
request through the event loop (:func:`_behind_the_others`), so connections
take turns.
"""
from __future__ import annotations

import gc
import os
import socket
import time

import click

from relief import live
from relief.cli.app import cli_app
from relief.cli.worker import start_beside_server
from relief.web import errors

#: How long a kept-alive connection waits for its next request through the event loop before reading anyway
#: (a pipelining client's next request may already sit in the handler's buffer, not in the socket).
NEXT_REQUEST_WAIT_SECONDS = 0.002


def _behind_the_others(sock) -> None:
    """Let every connection that is ready have its turn before this one's next request.

    gevent's socket reads without yielding when data is there, so a connection whose client answers
    at once (a fast client on the same host, a proxy's kept-alive upstream) would be served request
    after request while the others wait: under 32 writers a few connections got ~10 ms answers and
    the rest waited seconds. Waiting for readability goes through the loop, which serves every ready
    connection once per turn.
    """
    from gevent.socket import wait_read

    try:
        wait_read(sock.fileno(), timeout=NEXT_REQUEST_WAIT_SECONDS)
    except (OSError, ValueError):  # timed out (data already buffered, or none yet), or closed: read as before
        pass


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
            """Each connection's next request waits its turn; a request line over gevent's limit is answered in
            JSON like every other /api error."""
            if getattr(self, "_answered", False):
                _behind_the_others(self.socket)
            self._answered = True
            result = super().handle_one_request()
            if isinstance(result, tuple) and result[0] == "414":
                return "414", errors.request_line_too_long()
            return result

    return NoDelayHandler


def _timed(app):
    """Each answer says how long the app took (``Server-Timing: app;dur=ms``), to tell server time from queueing.

    On when ``RELIEF_SERVER_TIMING`` is set (the writers' benchmark sets it).
    """
    def timed_app(environ, start_response):
        started = time.perf_counter()

        def start(status, headers, exc_info=None):
            headers.append(("Server-Timing", f"app;dur={1000 * (time.perf_counter() - started):.2f}"))
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return timed_app


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

    wsgi = _timed(app) if os.environ.get("RELIEF_SERVER_TIMING") else app
    server = pywsgi.WSGIServer((host, port), wsgi, handler_class=_handler_class(), log=None)
    gc.freeze()  # start-up objects live for the whole run: keep them out of every collection
    start_beside_server(app)  # verdicts that age on their own (RELIEF_SCHEDULER=off: not here)
    server.serve_forever()
