"""The SMS gateway and the agency's webhook endpoint in one, for the benchmarks that run
task workers (bench/shape, bench/tasks): answers 200 at once and counts what it got, an
SMS by its recipient and text, a webhook by its delivery id, and the connections opened."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, keep_alive: bool = True) -> None:
        self.sms: Counter[tuple[str, str]] = Counter()
        self.hooks: Counter[str] = Counter()
        self.connections = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keeping connections open is what an SMS gateway or an agency's server behind
            # TLS does: the workers send each a receiver's deliveries down one connection.
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                with receiver.lock:
                    receiver.connections += 1

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    if self.path.startswith("/sms"):
                        sms = json.loads(body)
                        receiver.sms[(sms["to"], sms["text"])] += 1
                    else:
                        receiver.hooks[self.headers.get("PostGov-Webhook-Id", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                # A sender that hangs up once it has its answer is no failure of delivery:
                # what counts was counted when the request arrived.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
