"""A local webhook receiver for tests: an http.server on a thread that records every POST."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Records POST bodies; answers the statuses queued in `answers` first, then 200."""

    def __init__(self, path: str = "/hooks/T000/B000/XyZsecretPart") -> None:
        self.path = path
        self.bodies: list[bytes] = []
        self.attempts = 0
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.received = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.attempts += 1
                status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                if status == 200 and self.path == receiver.path:
                    receiver.bodies.append(body)
                    receiver.received.set()
                self.send_response(status if self.path == receiver.path else 404)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.bodies]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
