"""SMS gateways: where texts are handed over, chosen by configuration.

- ``RELIEF_SMS_GATEWAY=file:/path/to/sms.jsonl`` appends each message as one JSON line (drills, tests, a
  gateway that picks files up);
- ``RELIEF_SMS_GATEWAY=http`` (or just ``RELIEF_SMS_GATEWAY_URL`` set) posts each message to
  ``RELIEF_SMS_GATEWAY_URL`` with a body made from ``RELIEF_SMS_GATEWAY_BODY``, a template whose
  ``{phone}``, ``{text}``, ``{message_id}`` and ``{signature}`` are filled in (JSON-escaped for a JSON body,
  URL-encoded for a form body), and reads the gateway's id for the message from the answer's
  ``RELIEF_SMS_GATEWAY_ID_FIELD`` (default ``message_id``; a dotted path reaches into nested objects).

Every gateway takes ``(phone, text, message_id)`` and answers the gateway's message id, or raises
:class:`GatewayError` when the message was not taken. ``message_id`` is the same on every attempt of one
message, so a gateway that deduplicates on it sends a resend once.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol
from urllib.parse import quote_plus

DEFAULT_BODY = '{"phone": "{phone}", "text": "{text}", "message_id": "{message_id}"}'
TEMPLATE_VARIABLES = ("phone", "text", "message_id", "signature")
FORM = "application/x-www-form-urlencoded"


class GatewayError(ConnectionError):
    """The gateway did not take the message (refused, unreachable, or an answer without an id)."""


class Gateway(Protocol):
    def send(self, phone: str, text: str, message_id: str) -> str: ...

    def describe(self) -> str: ...


def setting(settings: Mapping[str, Any], name: str) -> str | None:
    """``name`` from the app's settings, else ``RELIEF_<name>`` from the environment."""
    value = settings.get(name)
    if value in (None, ""):
        value = os.environ.get(f"RELIEF_{name}")
    return None if value in (None, "") else str(value)


@dataclass
class FileGateway:
    """Appends ``{"gateway_id", "message_id", "phone", "text", "at"}`` as one JSON line per message."""

    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, phone: str, text: str, message_id: str) -> str:
        gateway_id = f"file-{message_id}"
        line = json.dumps({"gateway_id": gateway_id, "message_id": message_id, "phone": phone, "text": text,
                           "at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
        except OSError as error:
            raise GatewayError(f"cannot append to {self.path}: {error}") from None
        return gateway_id

    def describe(self) -> str:
        return f"file:{self.path}"

    def lines(self) -> list[dict[str, Any]]:
        """The messages written so far (for drills and tests)."""
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text("utf-8").splitlines() if line.strip()]


#: Posts one request: (url, body, headers, timeout) → (status, answer text); raises OSError-like errors.
Poster = Callable[[str, bytes, Mapping[str, str], float], tuple[int, str]]


def requests_poster() -> Poster:
    import requests

    http = requests.Session()

    def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, str]:
        try:
            answer = http.post(url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            raise GatewayError(f"{type(error).__name__}: {error}") from None
        return answer.status_code, answer.text

    return post


def render(template: str, values: Mapping[str, str], *, form: bool) -> str:
    """The template with each ``{name}`` filled in, escaped for the body's kind; other braces are left alone."""
    out = template
    for name in TEMPLATE_VARIABLES:
        value = values.get(name, "")
        escaped = quote_plus(value) if form else json.dumps(value, ensure_ascii=False)[1:-1]
        out = out.replace("{" + name + "}", escaped)
    return out


def _dig(answer: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(answer, Mapping):
            return None
        answer = answer.get(part)
    return answer


@dataclass
class HttpGateway:
    url: str
    body: str = DEFAULT_BODY
    content_type: str = "application/json"
    authorization: str | None = None
    id_field: str = "message_id"
    signature: str = ""
    timeout: float = 10.0
    post: Poster | None = None

    def send(self, phone: str, text: str, message_id: str) -> str:
        form = self.content_type.split(";")[0].strip().lower() == FORM
        body = render(self.body, {"phone": phone, "text": text, "message_id": message_id,
                                  "signature": self.signature}, form=form)
        headers = {"content-type": self.content_type, "idempotency-key": message_id}
        if self.authorization:
            headers["authorization"] = self.authorization
        post = self.post or requests_poster()
        self.post = post
        try:
            status, answer = post(self.url, body.encode("utf-8"), headers, self.timeout)
        except (OSError, TimeoutError) as error:
            raise GatewayError(str(error) or type(error).__name__) from None
        if not 200 <= status < 300:
            raise GatewayError(f"HTTP {status}: {answer[:200]}")
        try:
            gateway_id = _dig(json.loads(answer), self.id_field) if answer.strip() else None
        except ValueError:
            gateway_id = None
        if gateway_id is None:
            return message_id  # a gateway that answers no id of its own: its receipts name ours
        if isinstance(gateway_id, bool) or not isinstance(gateway_id, (str, int)) or not str(gateway_id):
            raise GatewayError(f"the gateway's answer has no usable {self.id_field!r}")
        return str(gateway_id)[:120]

    def describe(self) -> str:
        return f"http:{self.url}"


class NotConfigured(ValueError):
    """No gateway is configured, or its configuration is unreadable (the message names the variable)."""


def from_settings(settings: Mapping[str, Any]) -> FileGateway | HttpGateway:
    """The gateway ``RELIEF_SMS_GATEWAY`` / ``RELIEF_SMS_GATEWAY_URL`` name."""
    kind = setting(settings, "SMS_GATEWAY")
    url = setting(settings, "SMS_GATEWAY_URL")
    if kind is not None and kind.startswith("file:"):
        path = kind[len("file:"):]
        if not path:
            raise NotConfigured("RELIEF_SMS_GATEWAY=file: needs a path, e.g. file:/var/lib/relief/sms.jsonl")
        return FileGateway(Path(path))
    if kind not in (None, "http"):
        raise NotConfigured(f"RELIEF_SMS_GATEWAY must be file:<path> or http, not {kind!r}")
    if url is None:
        raise NotConfigured("no SMS gateway: set RELIEF_SMS_GATEWAY=file:<path> or RELIEF_SMS_GATEWAY_URL")
    if not url.startswith(("http://", "https://")):
        raise NotConfigured("RELIEF_SMS_GATEWAY_URL must be an http(s) URL")
    body = setting(settings, "SMS_GATEWAY_BODY") or DEFAULT_BODY
    if "{phone}" not in body or "{text}" not in body:
        raise NotConfigured("RELIEF_SMS_GATEWAY_BODY must contain {phone} and {text}")
    timeout = setting(settings, "SMS_GATEWAY_TIMEOUT") or "10"
    try:
        seconds = float(timeout)
    except ValueError:
        raise NotConfigured("RELIEF_SMS_GATEWAY_TIMEOUT must be a number of seconds") from None
    return HttpGateway(url=url, body=body,
                       content_type=setting(settings, "SMS_GATEWAY_CONTENT_TYPE") or "application/json",
                       authorization=setting(settings, "SMS_GATEWAY_AUTHORIZATION"),
                       id_field=setting(settings, "SMS_GATEWAY_ID_FIELD") or "message_id",
                       signature=setting(settings, "SMS_GATEWAY_SIGNATURE") or "", timeout=seconds)
