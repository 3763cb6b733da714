"""``relief serve`` itself: what its server answers before the app sees a request."""
from __future__ import annotations

import requests

from tests.web.servers import relief_env, run, serving


def test_a_request_line_over_the_servers_limit_is_answered_in_json(database_url, tmp_path):
    env = relief_env(database_url, tmp_path / "instance", RELIEF_SCHEDULER="off")
    run(env, "init-db")
    with serving(env) as base:
        too_long = requests.get(f"{base}/api/health?x={'a' * 9000}", timeout=10)
        assert too_long.status_code == 414
        assert too_long.headers["Content-Type"] == "application/json"
        assert too_long.json()["error"]["code"] == "request_uri_too_long"
        assert requests.get(f"{base}/api/health", timeout=10).status_code == 200  # and the server serves on


def _answers(sock, count: int) -> int:
    """Read ``count`` HTTP answers off a kept-alive socket (the health answer has a Content-Length)."""
    buffered, seen = b"", 0
    while seen < count:
        head_end = buffered.find(b"\r\n\r\n")
        if head_end < 0:
            chunk = sock.recv(65536)
            assert chunk, "the server closed the connection"
            buffered += chunk
            continue
        head = buffered[:head_end].decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        while len(buffered) < head_end + 4 + length:
            buffered += sock.recv(65536)
        buffered, seen = buffered[head_end + 4 + length:], seen + 1
    return seen


def test_a_connection_with_requests_waiting_does_not_hold_up_the_others(database_url, tmp_path):
    """A connection whose next request is already there still lets another connection's request in first."""
    import socket
    import time
    from urllib.parse import urlsplit

    env = relief_env(database_url, tmp_path / "instance", RELIEF_SCHEDULER="off")
    run(env, "init-db")
    with serving(env) as base:
        address = (urlsplit(base).hostname, urlsplit(base).port)
        request = f"GET /api/health HTTP/1.1\r\nHost: {address[0]}\r\n\r\n".encode()
        with socket.create_connection(address) as busy, socket.create_connection(address) as other:
            assert _answers_after(busy, request) and _answers_after(other, request)  # both connections open
            busy.sendall(request * 200)  # pipelined: 200 requests wait on one connection
            time.sleep(0.05)
            started = time.monotonic()
            other.sendall(request)
            other.settimeout(10)
            _answers(other, 1)
            other_answered = time.monotonic() - started
            busy.settimeout(30)
            assert _answers(busy, 200) == 200  # every pipelined request is still answered, in order
            busy_answered = time.monotonic() - started
        assert other_answered < busy_answered / 2, (other_answered, busy_answered)


def _answers_after(sock, request: bytes) -> bool:
    sock.settimeout(10)
    sock.sendall(request)
    return _answers(sock, 1) == 1
