"""Strict JSON both ways: what the app reads and what it writes is JSON a browser accepts.

Out: every answer (``jsonify``, ``|tojson`` in pages, :func:`text`) goes
through :func:`relief.jsonable.jsonable` rules — a non-finite number is
``null``, numpy and pandas values are plain, moments ISO 8601 — and is then
written with ``allow_nan=False``, so a NaN that slipped past those rules is
a 500 that gets fixed rather than an answer ``JSON.parse`` refuses.

In: Python's parser also takes ``NaN``/``Infinity`` (not JSON), recurses
without limit on ``[[[[…`` and passes lone UTF-16 surrogates (``"\\ud800"``,
which no database can store) through. Here each is a ``ValueError``, which
Flask turns into a 400 naming ``body``; so is nesting deeper than
:data:`MAX_DEPTH` (GeoJSON needs 5), which would otherwise blow the
recursion limit later, far from the request.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask.json.provider import _default as flask_default

from relief.jsonable import jsonable, scalar

MAX_DEPTH = 32
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _default(value: Any) -> Any:
    try:
        return scalar(value)
    except TypeError:
        return flask_default(value)  # dataclasses, UUIDs, Markup: Flask's own conversions


def dumps(value: Any, **kwargs: Any) -> str:
    """``value`` as strict JSON (no NaN/Infinity ever); fast when it holds no non-finite float."""
    kwargs.setdefault("default", _default)
    kwargs["allow_nan"] = False
    try:
        return json.dumps(value, **kwargs)
    except ValueError:  # a non-finite float somewhere: convert the whole value, then write it
        return json.dumps(jsonable(value), **kwargs)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (numbers must be finite)")


def _check_tree(value: Any) -> None:
    """Depth and text checks over the parsed value (iterative: a deep value must not recurse here either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                raise ValueError("text holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not Unicode text")
            continue
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
            children = item.items() if isinstance(item, dict) else ((None, v) for v in item)
            for key, child in children:
                if key is not None:
                    stack.append((key, depth))
                stack.append((child, depth + 1))


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """Parse strict JSON; anything else is a ``ValueError`` saying why."""
    kwargs.setdefault("parse_constant", _refuse_constant)
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    _check_tree(value)
    return value


def text(value: Any, *, compact: bool = True) -> str:
    """A body as the app writes it (UTF-8 text, compact): for routes that build their own ``Response``."""
    return dumps(value, ensure_ascii=False, separators=(",", ":") if compact else None)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's provider with :func:`dumps` and :func:`loads` above."""

    default = staticmethod(_default)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


def init_app(app) -> None:
    app.json = StrictJSONProvider(app)
