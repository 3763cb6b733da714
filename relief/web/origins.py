"""Which web origins may use a browser's session cookie on the live socket.

A cookie is an ambient credential: the browser sends it with a WebSocket
handshake that any site's page opens, and the handshake is not covered by
CORS. So a handshake carrying an ``Origin`` counts its session cookie only
when that origin is this app's own (the ``Host`` the request came in on, or
the ``X-Forwarded-Host`` a reverse proxy set) or one listed in
``RELIEF_ALLOWED_ORIGINS``. The scheme of the own host is not compared: a
proxy that terminates TLS forwards ``http`` while the page is ``https``.
A handshake without ``Origin`` comes from a program or the page's own
same-origin request, not from another site's page.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Mapping
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_allowed(value: str | Iterable[str] | None) -> frozenset[str]:
    """``RELIEF_ALLOWED_ORIGINS`` (comma- or space-separated ``scheme://host[:port]``) as normalised origins."""
    return _parse(value if value is None or isinstance(value, str) else tuple(value))


@lru_cache(maxsize=8)
def _parse(value: str | tuple[str, ...] | None) -> frozenset[str]:
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value or ())
    allowed = set()
    for item in items:
        origin = _normalise(item)
        if origin is None:
            raise ValueError(f"RELIEF_ALLOWED_ORIGINS: {item!r} is not an origin such as https://relief.example.org")
        allowed.add(origin)
    return frozenset(allowed)


def _normalise(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port, or None when it is no http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else "")


def _host_of(origin: str) -> str:
    return origin.split("://", 1)[1]


def _own_hosts(environ: Mapping[str, str]) -> set[str]:
    """``host[:port]`` the request was addressed to, directly and as the proxy forwarded it."""
    hosts = set()
    scheme = environ.get("wsgi.url_scheme", "http")
    for header in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST"):
        value = (environ.get(header) or "").split(",")[0].strip()
        for candidate_scheme in {scheme, "http", "https"}:
            origin = _normalise(f"{candidate_scheme}://{value}") if value else None
            if origin is not None:
                hosts.add(_host_of(origin))
    return hosts


def cookie_counts(origin: str | None, environ: Mapping[str, str], allowed: frozenset[str]) -> bool:
    """May a session cookie sent with a request from ``origin`` act for its user?"""
    if origin is None:
        return True
    normalised = _normalise(origin)  # "null" (sandboxed frames, files) and junk are nobody's origin
    if normalised is None:
        return False
    return normalised in allowed or _host_of(normalised) in _own_hosts(environ)
