"""Response headers and throttles that keep one client from hurting the rest.

- **Headers** (Flask-Talisman): a Content-Security-Policy that allows scripts,
  styles, fonts, frames and connections from this site only (images also from
  the tile server of ``RELIEF_TILE_URL``), ``frame-ancestors 'none'`` with
  ``X-Frame-Options: DENY``, ``nosniff`` and a ``strict-origin-when-cross-origin``
  referrer. ``connect-src 'self'`` covers the page's own Socket.IO websocket
  (CSP Level 3 matches ``ws:``/``wss:`` of the same host), so no script may
  open a websocket to another host. HTTPS is never forced here: a reverse
  proxy terminates TLS; ``RELIEF_SECURE_COOKIES`` marks the session cookie
  ``Secure`` and HSTS is sent on HTTPS requests only.
- **The exported situation map** (``/export/map.html``) is one self-contained
  file whose scripts and styles are inline by folium's design. It is served as
  an attachment and with a policy of its own that it satisfies: inline code
  allowed, nothing loaded from anywhere but the file itself (and the tile
  server), and ``sandbox allow-scripts`` so that, opened in place, its scripts
  run in an opaque origin without the user's session.
- **Throttles** (the ``limits`` storage and moving-window strategy that
  Flask-Limiter is built on; Redis when ``RELIEF_REDIS_URL`` is set, so every
  worker counts together, else memory): failed logins per account name and
  per address, bad bearer tokens per address. Only failures count, but once a
  key is over its limit every attempt is refused (429 with ``Retry-After``)
  until the window has moved on — the right password too, so guessing gains
  nothing. No route has a limit of its own, so Flask-Limiter's extension (a
  hook on every request, ~60 µs) is not installed; only its address helper is used.
- **Addresses** are the client's: ``RELIEF_PROXY_HOPS`` trusted proxies'
  ``X-Forwarded-*`` headers are honoured (werkzeug's ProxyFix), none by default.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from relief.errors import Throttled

log = logging.getLogger(__name__)

#: The one response that may run inline code: folium's offline page.
SELF_CONTAINED_ENDPOINTS = ("api_map.export_map",)

#: Throttle kinds and the setting that holds each limit (``RELIEF_<setting>``).
LIMIT_SETTINGS = {"login_name": "LOGIN_LIMIT", "login_address": "LOGIN_ADDRESS_LIMIT",
                  "bad_token": "BAD_TOKEN_LIMIT"}


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source for a tile URL template: ``https://{s}.tile.example.org/…`` → ``https://*.tile.example.org``."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return None  # relative: this site, already 'self'
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        log.warning("tile URL %r has a template in its host beyond the first label; allowing any %s: host",
                    tile_url, parts.scheme)
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}"


def page_policy(config) -> dict[str, str]:
    """The Content-Security-Policy of every page and answer of this site."""
    images = " ".join(filter(None, ["'self'", "data:", tile_source(config.get("TILE_URL"))]))
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": images,
        "font-src": "'self'",
        "connect-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def self_contained_policy(config) -> dict[str, str]:
    """The exported map's policy: its own inline code only, in a sandbox without this site's cookies."""
    images = " ".join(filter(None, ["data:", "blob:", tile_source(config.get("TILE_URL"))]))
    return {
        "sandbox": "allow-scripts allow-popups allow-downloads",
        "default-src": "'none'",
        "script-src": "'unsafe-inline'",
        "style-src": "'unsafe-inline'",
        "img-src": images,
        "font-src": "data:",
        "connect-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }


@dataclass
class Throttle:
    """Counts failures per (kind, key) and refuses once a kind's limit is reached."""

    strategy: Any
    limits: dict[str, RateLimitItem]
    fallback: MovingWindowRateLimiter
    #: Keeps deployments sharing one Redis apart (``RELIEF_SOCKETIO_CHANNEL``).
    prefix: str = "relief"

    def _use(self, call, *args):
        """The configured store; if it is unreachable (Redis down), this process's memory rather than failing open."""
        try:
            return call(self.strategy, *args)
        except Exception:  # noqa: BLE001 - any storage failure: Redis errors are not typed by limits
            log.warning("rate-limit storage unreachable; counting in memory", exc_info=True)
            return call(self.fallback, *args)

    def check(self, kind: str, key: str | None, *, field: str | None = None) -> None:
        if not key:
            return
        item = self.limits[kind]
        if self._use(lambda s, *a: s.test(*a), item, self.prefix, kind, key):
            return
        retry_after = self._retry_after(item, kind, key)
        raise Throttled(f"too many failed attempts; retry in {retry_after} s", retry_after=retry_after, field=field)

    def failed(self, kind: str, key: str | None) -> None:
        if key:
            self._use(lambda s, *a: s.hit(*a), self.limits[kind], self.prefix, kind, key)

    def spend(self, kind: str, item: RateLimitItem, key: str, *, field: str | None = None) -> None:
        """Count one use (not only failures) of ``kind`` by ``key`` against ``item``; 429 once over it."""
        if not self._use(lambda s, *a: s.hit(*a), item, self.prefix, kind, key):
            retry_after = self._retry_after(item, kind, key)
            raise Throttled(f"too many requests; retry in {retry_after} s", retry_after=retry_after, field=field)

    def _retry_after(self, item: RateLimitItem, kind: str, key: str) -> int:
        reset_at, _remaining = self._use(lambda s, *a: s.get_window_stats(*a), item, self.prefix, kind, key)
        return max(1, math.ceil(reset_at - time.time()))


def throttle() -> Throttle:
    return current_app.extensions["relief.throttle"]


def client_address() -> str:
    return get_remote_address() or "unknown"


def check_login(name: str) -> None:
    """Refuse a login attempt for an account or from an address that failed too often (429)."""
    guard = throttle()
    guard.check("login_address", client_address())
    guard.check("login_name", name[:80], field="name")


def login_failed(name: str) -> None:
    guard = throttle()
    guard.failed("login_address", client_address())
    guard.failed("login_name", name[:80])


def check_bearer() -> None:
    throttle().check("bad_token", client_address(), field="Authorization")


def bearer_failed() -> None:
    throttle().failed("bad_token", client_address())


def _limits(config) -> dict[str, RateLimitItem]:
    found = {}
    for kind, setting in LIMIT_SETTINGS.items():
        try:
            found[kind] = parse(str(config[setting]))
        except ValueError as error:
            raise ValueError(f"RELIEF_{setting} must read like '10 per 15 minutes', not {config[setting]!r}") from error
    return found


def init_app(app) -> None:
    config = app.config
    hops = int(config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    secure = bool(config.get("SECURE_COOKIES"))
    config["SESSION_COOKIE_SECURE"] = secure
    Talisman(app, force_https=False, session_cookie_secure=secure, session_cookie_http_only=True,
             session_cookie_samesite=config.get("SESSION_COOKIE_SAMESITE", "Lax"),
             frame_options="DENY", content_security_policy=page_policy(config),
             strict_transport_security_include_subdomains=False,
             referrer_policy="strict-origin-when-cross-origin", x_content_type_options=True)
    for endpoint in SELF_CONTAINED_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = _with_policy(app.view_functions[endpoint], self_contained_policy(config))

    prefix = f"{config.get('SOCKETIO_CHANNEL') or 'relief'}-limits"
    storage = storage_from_string(config.get("REDIS_URL") or "memory://")
    app.extensions["relief.throttle"] = Throttle(MovingWindowRateLimiter(storage), _limits(config),
                                                 MovingWindowRateLimiter(MemoryStorage()), prefix)


def _with_policy(view, policy: dict[str, str]):
    """This app's copy of a view with its own CSP (Talisman's per-view options, as ``@talisman(...)`` sets them)."""

    @wraps(view)
    def answer(*args, **kwargs):
        return view(*args, **kwargs)

    answer.talisman_view_options = {"content_security_policy": policy}
    return answer


def spend(kind: str, limit: str, *, field: str | None = None) -> None:
    """Count one use of ``kind`` from the client's address against ``limit`` ('10 per hour'); 429 once over it.

    Unlike the login throttles every use counts (a public form that writes, such as an objection).
    """
    throttle().spend(kind, parse(limit), client_address(), field=field)
