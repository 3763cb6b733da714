"""Where CPU-heavy request work runs (decoding and re-encoding photos).

Under ``relief serve`` every request is a greenlet on one gevent loop, so
20 ms of Pillow work in one request holds up all the others. gevent's pool
of native threads runs it beside the loop instead, and Pillow releases the
GIL while it decodes and encodes, so the second core gets used too. Without
gevent (tests, the threading server, the CLI) the work runs where it is called.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")
Runner = Callable[..., Any]


def call_here(work: Callable[..., T], *args: Any) -> T:
    return work(*args)


def in_gevent_threadpool(work: Callable[..., T], *args: Any) -> T:
    """Block only the calling greenlet; exceptions come back to it as raised."""
    from gevent import get_hub

    return get_hub().threadpool.apply(work, args)


def init_app(app, async_mode: str) -> None:
    app.extensions["relief.offload"] = in_gevent_threadpool if async_mode == "gevent" else call_here


def runner(app) -> Runner:
    return app.extensions.get("relief.offload", call_here)
