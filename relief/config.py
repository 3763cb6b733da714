"""Settings from ``RELIEF_*`` environment variables, with safe defaults.

``create_app(config)`` overlays a mapping on top of these, which is how tests
point the app at their own database.
"""
from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def default_instance_path() -> Path:
    return Path(os.environ.get("RELIEF_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _secret_key(instance: Path) -> str:
    """The env var, or a key generated once and kept in the instance folder."""
    if os.environ.get("RELIEF_SECRET_KEY"):
        return os.environ["RELIEF_SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


_ON, _OFF = ("on", "1", "true", "yes"), ("off", "0", "false", "no")


def _switch(value: str | None, name: str, default: str = "on") -> bool:
    """``on`` or ``off`` (``default`` when unset); anything else is a mistake worth stopping for."""
    text = (value or default).strip().lower()
    if text not in _ON + _OFF:
        raise ValueError(f"{name} must be on or off, not {value!r}")
    return text in _ON


def _positive(value: str | None, default: float, name: str, unit: str = "seconds") -> float:
    number = float(value) if value else default
    if not number > 0:
        raise ValueError(f"{name} must be a positive number of {unit}, not {value!r}")
    return number


#: The salt partner agencies' ID hashes are keyed with when ``RELIEF_ID_SALT`` is unset: for the demo and
#: tests only. A real prefecture sets its own secret salt and gives it to its partners; with this one anybody
#: can hash a guessed ID number and recognise it (``relief import partner-aid`` warns while it is in use).
DEMO_ID_SALT = "relief-demo-salt-not-for-real-data"


def id_salt(value: str | None) -> tuple[str, bool]:
    """``RELIEF_ID_SALT`` and whether it is the demo's (unset)."""
    text = (value or "").strip()
    return (text, False) if text else (DEMO_ID_SALT, True)


#: Where relief shows times unless ``RELIEF_TIMEZONE`` says otherwise (Beijing time).
DEFAULT_TIMEZONE = "Asia/Shanghai"
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def time_zone(value: str | None) -> tzinfo:
    """``RELIEF_TIMEZONE`` as a tzinfo: an IANA name (``Asia/Shanghai``) or a fixed offset (``+08:00``, ``+8``)."""
    text = (value or DEFAULT_TIMEZONE).strip()
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if offset >= timedelta(hours=24) or int(minutes or 0) >= 60:
            raise ValueError(f"RELIEF_TIMEZONE offset out of range: {value!r}")
        return timezone(-offset if sign == "-" else offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"RELIEF_TIMEZONE must be an IANA zone name (Asia/Shanghai) or an offset (+08:00), "
                         f"not {value!r}") from error


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH") or default_instance_path())
    env = os.environ.get
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": env("RELIEF_DATABASE_URL") or f"sqlite:///{instance / 'relief.db'}",
        "REDIS_URL": env("RELIEF_REDIS_URL") or None,
        "SOCKETIO_CHANNEL": env("RELIEF_SOCKETIO_CHANNEL") or "relief",
        "TILE_URL": env("RELIEF_TILE_URL") or None,
        "TILE_ATTRIBUTION": env("RELIEF_TILE_ATTRIBUTION") or "",
        "PHOTO_DIR": env("RELIEF_PHOTO_DIR") or str(instance / "photos"),
        "BABEL_DEFAULT_LOCALE": env("RELIEF_DEFAULT_LOCALE") or "zh",
        "LANGUAGES": ("zh", "en"),
        "MAX_CONTENT_LENGTH": int(env("RELIEF_MAX_UPLOAD_BYTES") or 32 * 1024 * 1024),
        "PAGE_SIZE": int(env("RELIEF_PAGE_SIZE") or 1000),
        "MAX_PAGE_SIZE": 20000,
        #: Most households in one page of ``GET /api/guarantees`` (about 1 KB of JSON each; CSV has every row).
        "MAX_GUARANTEE_ROWS": int(env("RELIEF_MAX_GUARANTEE_ROWS") or 2000),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "EVENT_CATCHUP_LIMIT": int(env("RELIEF_EVENT_CATCHUP_LIMIT") or 500),
        "TIMEZONE": env("RELIEF_TIMEZONE") or DEFAULT_TIMEZONE,
        "SCHEDULER": _switch(env("RELIEF_SCHEDULER"), "RELIEF_SCHEDULER"),
        "SCHEDULER_SECONDS": _positive(env("RELIEF_SCHEDULER_SECONDS"), 15.0, "RELIEF_SCHEDULER_SECONDS"),
        "ALLOWED_ORIGINS": env("RELIEF_ALLOWED_ORIGINS") or "",
        "WRITE_WAIT_SECONDS": float(env("RELIEF_WRITE_WAIT_SECONDS") or 5),
        "POSTGRES_WRITERS": int(env("RELIEF_POSTGRES_WRITERS") or 4),
        # Security (relief/web/security.py): limits read "N per <period>" and count failures only.
        "SECURE_COOKIES": _switch(env("RELIEF_SECURE_COOKIES"), "RELIEF_SECURE_COOKIES", default="off"),
        "PROXY_HOPS": int(env("RELIEF_PROXY_HOPS") or 0),
        "LOGIN_LIMIT": env("RELIEF_LOGIN_LIMIT") or "10 per 15 minutes",
        "LOGIN_ADDRESS_LIMIT": env("RELIEF_LOGIN_ADDRESS_LIMIT") or "50 per 15 minutes",
        "BAD_TOKEN_LIMIT": env("RELIEF_BAD_TOKEN_LIMIT") or "30 per 5 minutes",
        "OBJECTION_LIMIT": env("RELIEF_OBJECTION_LIMIT") or "5 per hour",
        "SESSION_DAYS": _positive(env("RELIEF_SESSION_DAYS"), 14.0, "RELIEF_SESSION_DAYS", unit="days"),
        #: The prefecture's salt for partner agencies' ID hashes (HMAC-SHA256 key); unset: the demo's.
        "ID_SALT": id_salt(env("RELIEF_ID_SALT"))[0],
        "ID_SALT_IS_DEMO": id_salt(env("RELIEF_ID_SALT"))[1],
    }
    config.update(overrides)
    time_zone(config["TIMEZONE"])  # a zone nobody can read is a mistake worth stopping for
    instance.mkdir(parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _secret_key(instance)
    return config
