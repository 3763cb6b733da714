"""A real local webhook receiver for tests: verifies every request with ``standardwebhooks`` and counts each
``webhook-id`` once, as a careful receiver does. It can answer errors, go down and come back on its port,
or hang on one request (for a worker to be killed mid-delivery)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Receiver:
    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.lock = threading.Lock()
        self.requests: list[str] = []           # every webhook-id, as it came, duplicates included
        self.accepted: dict[str, dict] = {}     # webhook-id -> body, the first time it was accepted
        self.order: list[str] = []              # webhook-ids in the order first accepted
        self.bad_signatures = 0
        self.fail_next = 0                      # answer 500 to this many requests
        self.hang_on: int | None = None         # the n-th request (1-based) is recorded, then never answered
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until :meth:`start` again."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k: v for k, v in request.headers.items()}
        webhook_id = headers.get("webhook-id") or headers.get("Webhook-Id")
        with self.lock:
            self.requests.append(webhook_id)
            number = len(self.requests)
            failing = self.fail_next > 0
            if failing:
                self.fail_next -= 1
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.bad_signatures += 1
            request.send_response(400)
            request.end_headers()
            return
        if failing:
            request.send_response(500)
            request.end_headers()
            return
        with self.lock:
            if webhook_id not in self.accepted:
                self.accepted[webhook_id] = payload
                self.order.append(webhook_id)
        if self.hang_on == number:
            self.hanging.set()
            self.release.wait(30)
            return
        request.send_response(204)
        request.end_headers()

    def seqs(self) -> list[int]:
        """Event seqs in the order first accepted, each webhook-id counted once."""
        out = []
        for webhook_id in self.order:
            data = self.accepted[webhook_id]["data"]
            folded = data.get("folded") or []
            out.extend([f["seq"] for f in folded] if folded else [data["seq"]])
        return out
