"""An HTTPS server for tests that stand in for a remote party (the fake Microsoft, a Teams
webhook): each request's TLS handshake runs in that request's thread."""

from __future__ import annotations

import ssl
from http.server import ThreadingHTTPServer
from typing import Any


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        # The handshake runs in each request's thread (finish_request), not in accept():
        # a browser's idle speculative connection must not stall the whole server.
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)
