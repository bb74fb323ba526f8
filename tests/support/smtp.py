"""A small SMTP server on 127.0.0.1 for the e-mail channel's tests: it speaks enough of RFC
5321 for Django's SMTP backend (EHLO, MAIL, RCPT, DATA, QUIT), records what it accepted, and
can refuse recipients (550) so the refused path runs against a real conversation."""

from __future__ import annotations

import email
import socketserver
import threading
from email.message import Message


class SMTPServer:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse_recipients = False
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                while raw := self.rfile.readline():
                    command = raw.decode("ascii", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.reply("250 localhost")
                    elif verb == "MAIL" or verb == "RSET" or verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        self.reply("550 no such user" if server.refuse_recipients else "250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        lines = []
                        while (line := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(line[1:] if line.startswith(b"..") else line)
                        server.messages.append(email.message_from_bytes(b"".join(lines)))
                        self.reply("250 queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def __enter__(self) -> SMTPServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
