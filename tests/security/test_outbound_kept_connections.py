"""Requests to configured addresses keep their connection for the next request to the same
checked address (a worker sending many webhooks to one agency opens one connection, not
one per delivery), and the guard still checks every request: a name that now answers a
refused address is refused, one that moved to another address is sent there, not down the
kept connection.

A real HTTP/1.1 server on the loopback that keeps connections open and counts them; DNS
is replaced at its one seam (`postgov.lib.outbound.resolve`, the `dns` fixture).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

NAME = "hooks.agency.example"


class KeepAlive:
    """Answers 200 over HTTP/1.1 and keeps the connection; counts connections and requests.
    `drop_second_request_on_a_connection`: reads the second request a connection carries
    and closes without answering (a receiver that closed a kept connection meanwhile)."""

    def __init__(self, host: str = "127.0.0.1", *, port: int = 0, answer: bytes = b"ok"):
        self.connections = 0
        self.requests: list[str] = []
        self.drop_second_request_on_a_connection = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                server.connections += 1
                self.served = 0

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(self.path)
                self.served += 1
                if server.drop_second_request_on_a_connection and self.served == 2:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kept(settings):
    from postgov.lib import outbound

    settings.OUTBOUND_ALLOW_PRIVATE = True
    outbound.close_connections()
    server = KeepAlive()
    yield server
    outbound.close_connections()
    server.close()


def post(url: str, **kwargs):
    from postgov.lib.outbound import request

    return request("POST", url, body=b"{}", **kwargs)


def test_requests_to_one_receiver_share_one_connection(kept):
    url = f"http://127.0.0.1:{kept.port}"
    for n in range(5):
        assert post(f"{url}/hook/{n}", read_body=False).status == 200
    assert post(f"{url}/hook/read").body == b"ok"
    assert kept.requests == [*(f"/hook/{n}" for n in range(5)), "/hook/read"]
    assert kept.connections == 1


def test_a_kept_connection_closed_by_the_receiver_is_replaced(kept):
    """The second request finds the kept connection closed under it: it is sent once more
    on a new connection (at least once; the receiver tells a repeat by its id)."""
    url = f"http://127.0.0.1:{kept.port}"
    kept.drop_second_request_on_a_connection = True
    assert post(f"{url}/first").status == 200
    assert post(f"{url}/second").status == 200
    assert kept.requests == ["/first", "/second", "/second"]
    assert kept.connections == 2


def test_a_new_connection_that_fails_is_not_tried_again(kept):
    """Only a kept connection is tried again: a request on a fresh one that fails is the
    receiver's failure, reported (and retried later by the task's own backoff)."""
    from postgov.lib.outbound import close_connections

    url = f"http://127.0.0.1:{kept.port}"
    kept.drop_second_request_on_a_connection = True
    assert post(f"{url}/first").status == 200
    close_connections()
    assert post(f"{url}/second").status == 200  # a new connection: its first request
    assert kept.connections == 2


def test_every_request_is_checked_though_a_connection_is_kept(kept, dns):
    """The name answered the loopback, then the metadata address: the second request is
    refused before anything is sent, though a connection to the first address is open."""
    from postgov.lib.outbound import OutboundError

    dns.answers[NAME] = [["127.0.0.1"], ["169.254.169.254"]]
    url = f"http://{NAME}:{kept.port}/hook"
    assert post(url).status == 200
    with pytest.raises(OutboundError) as refused:
        post(url)
    assert refused.value.reason == "refused: address not allowed"
    assert dns.lookups == [NAME, NAME]
    assert kept.requests == ["/hook"]


def test_a_name_that_moved_is_sent_to_its_new_address(kept, dns):
    """A kept connection belongs to the address that was checked: when the name moves
    (to another loopback address, the same port), the request goes to the new address."""
    other = KeepAlive("127.0.0.2", port=kept.port)
    try:
        dns.answers[NAME] = [["127.0.0.1"], ["127.0.0.2"]]
        url = f"http://{NAME}:{kept.port}/hook"
        assert post(url).status == 200
        assert post(url).status == 200
        assert kept.requests == ["/hook"]
        assert other.requests == ["/hook"]
    finally:
        other.close()
