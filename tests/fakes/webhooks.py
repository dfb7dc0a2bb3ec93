"""A webhook receiver over real HTTP on 127.0.0.1 (a thread of the test process): records
every request and answers from a script of statuses (then 200), so tests can check what a
customer's endpoint sees, signature included, and how failures are retried."""

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # socketserver's 5 drops concurrent connects (1 s retry)


class WebhookReceiver:
    def __init__(self):
        self.requests: list[ReceivedRequest] = []
        self._answers: deque[tuple[int, dict]] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._answers.clear()

    def answer_next(self, *statuses: int, headers: dict | None = None) -> None:
        """The next requests get these statuses, in order; afterwards 200."""
        with self._lock:
            self._answers.extend((status, headers or {}) for status in statuses)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.requests)} webhook requests, expected {count}")

    def _receive(self, request: ReceivedRequest) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(request)
            return self._answers.popleft() if self._answers else (200, {})


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers = receiver._receive(
                ReceivedRequest(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture(scope="session")
def webhook_receiver_server():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook_receiver(webhook_receiver_server) -> WebhookReceiver:
    webhook_receiver_server.reset()
    return webhook_receiver_server
