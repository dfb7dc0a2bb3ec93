"""An SMTP server on 127.0.0.1 (a thread of the test process) that accepts every message and
counts connections: what Django's SMTP backend talks to in tests."""

import socketserver
import threading
from dataclasses import dataclass, field

import pytest


@dataclass
class SmtpInbox:
    connections: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)  # from, to, data
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Session(socketserver.StreamRequestHandler):
    inbox: SmtpInbox

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        with self.inbox.lock:
            self.inbox.connections += 1
        self.reply("220 fake ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                with self.inbox.lock:
                    self.inbox.messages.append((sender, recipients, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server(settings):
    """A fresh inbox; Django's SMTP backend pointed at it."""
    inbox = SmtpInbox()
    handler = type("Session", (_Session,), {"inbox": inbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS = False
    yield inbox
    server.shutdown()
    server.server_close()
