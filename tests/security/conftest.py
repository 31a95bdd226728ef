"""Fixtures shared by the security suite."""

import pytest


@pytest.fixture
def dns(monkeypatch):
    """DNS as the test says: `dns.answers[name]` is a list of answers, one per lookup
    (the last one repeats); every lookup is counted."""

    class FakeDNS:
        def __init__(self):
            self.answers: dict[str, list[list[str]]] = {}
            self.lookups: list[str] = []

        def resolve(self, host, port):
            from postgov.lib.outbound import NOT_FOUND, OutboundError

            self.lookups.append(host)
            if host not in self.answers:
                raise OutboundError(NOT_FOUND)
            queue = self.answers[host]
            return queue.pop(0) if len(queue) > 1 else queue[0]

    fake = FakeDNS()
    monkeypatch.setattr("postgov.lib.outbound.resolve", fake.resolve)
    return fake


@pytest.fixture
def production(settings):
    """As in production: public addresses only, https only."""
    settings.OUTBOUND_ALLOW_PRIVATE = False
    return settings
