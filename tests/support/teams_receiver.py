"""A stand-in for a Teams Workflows webhook: HTTPS on 127.0.0.1 with a certificate from a
throw-away CA (trustme), recording every JSON body it receives and answering with the
statuses a test queues (202 by default, as Workflows does), optionally after a delay."""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import trustme

from tests.support.tls import TLSServer


class TeamsReceiver:
    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.answers: deque[tuple[int, dict[str, str], float]] = deque()
        self._tmp = tempfile.TemporaryDirectory(prefix="teams-")
        ca = trustme.CA()
        self.ca_path = str(Path(self._tmp.name) / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost").configure_cert(context)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, headers, delay = (
                    receiver.answers.popleft() if receiver.answers else (202, {}, 0.0)
                )
                time.sleep(delay)
                receiver.bodies.append(json.loads(body))
                payload = b'{"error": "card rejected"}' if status >= 400 else b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self._server = TLSServer(("127.0.0.1", 0), Handler, context)
        self.url = f"https://localhost:{self._server.server_address[1]}/workflows/abc/triggers/manual/paths/invoke?sig=SEGREDO1234"

    def answer(self, status: int, *, delay: float = 0.0, **headers: str) -> None:
        self.answers.append((status, headers, delay))

    def __enter__(self) -> TeamsReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()
