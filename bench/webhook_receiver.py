"""A webhook receiver on 127.0.0.1 for tests and `bench/webhooks.py`: records every request
(headers, body, arrival time) and answers as its `answer` function says."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (webhook-id, how many times this id arrived before) -> (status, body)
Answer = Callable[[str, int], tuple[int, bytes]]


class Received:
    __slots__ = ("path", "headers", "body", "at")

    def __init__(self, path: str, headers: dict[str, str], body: bytes, at: float) -> None:
        self.path, self.headers, self.body, self.at = path, headers, body, at

    @property
    def id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """`with Receiver() as r:` serves on `r.url` until the block ends."""

    def __init__(self, answer: Answer | None = None, delay_s: float = 0.0) -> None:
        self.answer: Answer = answer or (lambda _id, _seen: (200, b'{"ok":true}'))
        self.delay_s = delay_s
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers
            # the answer goes out in two writes (head, body): with Nagle on, the second
            # waits for the sender's delayed ACK, 40 ms a message
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = receiver._record(Received(self.path, headers, body, 0.0))
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                if 300 <= status < 400:
                    self.send_header("location", "http://127.0.0.1:9/elsewhere")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a sender killed mid-request (the point of the durability runs)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, request: Received) -> tuple[int, bytes]:
        with self._lock:
            request.at = time.time()
            seen = self._seen.get(request.id, 0)
            self._seen[request.id] = seen + 1
            self.received.append(request)
        return self.answer(request.id, seen)

    def wait_for(self, done: Callable[[list[Received]], bool], timeout_s: float = 60) -> bool:
        """True once `done(received)` holds; False after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if done(list(self.received)):
                    return True
            time.sleep(0.02)
        return False

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
