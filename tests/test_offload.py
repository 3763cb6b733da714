"""Photo work leaves the event loop when serving under gevent, and stays put otherwise."""
from __future__ import annotations

import threading

import pytest

from relief import offload
from relief.errors import UnsupportedMedia


def where() -> int:
    return threading.get_ident()


def refuse(field: str) -> None:
    raise UnsupportedMedia("not an image", field=field)


def test_gevent_threadpool_runs_the_work_on_another_thread_and_returns_its_result():
    assert offload.in_gevent_threadpool(where) != threading.get_ident()
    assert offload.in_gevent_threadpool(pow, 2, 10) == 1024


def test_errors_come_back_typed_with_their_field():
    with pytest.raises(UnsupportedMedia) as raised:
        offload.in_gevent_threadpool(refuse, "photos[1]")
    assert raised.value.field == "photos[1]"


def test_the_app_picks_the_runner_from_its_async_mode(app):
    assert offload.runner(app) is offload.call_here  # the test app runs threaded
    app.extensions.pop("relief.offload")
    offload.init_app(app, "gevent")
    assert offload.runner(app) is offload.in_gevent_threadpool
    assert offload.call_here(where) == threading.get_ident()
