"""Requests to addresses that people configured — agencies' webhooks, the national portal,
upstream identity providers, the SMS gateway — made so that they cannot be turned against
this machine or the network behind it (server-side request forgery).

Every such request goes through `request()`, which:

- parses the URL once: https only (http too when `OUTBOUND_ALLOW_PRIVATE` lets local
  stand-ins run on the loopback), no user name or password in it, legacy numeric host
  forms (`2130706433`, `0x7f.1`, `0177.0.0.1`) read as the addresses they are;
- resolves the host once (`resolve`, the one seam tests replace) and refuses when ANY
  answer is not a public address: loopback, private (RFC 1918), shared (100.64/10),
  link-local (with the cloud metadata addresses), unique-local (fc00::/7), multicast,
  reserved, unspecified, documentation and benchmarking ranges, and the IPv6 forms that
  carry such an IPv4 address (mapped, compatible, 6to4, NAT64);
- connects to the checked address itself and gives the name only to the Host header, TLS
  SNI and the certificate check, so a DNS answer that changes between the check and the
  connection (DNS rebinding) cannot send it elsewhere;
- follows no redirect (a 3xx is a failure), ignores proxy variables of the environment,
  bounds the time it takes and the size of the answer it reads;
- fails with one of a few coarse reasons (`OutboundError.reason`), never the answer's
  body nor the system's own error text: what is shown back cannot map the inside network.

`OUTBOUND_ALLOW_PRIVATE` (development and tests) allows the private ranges and plain
http; link-local, multicast, unspecified and the metadata addresses stay refused even
then. Registration forms use `PublicURLField` (the same checks, with a message for the
person typing); configured URLs are checked at start-up with `configuration_problem`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("postgov.outbound")

TIMEOUT = 10.0  # seconds to connect and for each read
CONNECT_TIMEOUT = 5.0
MAX_ANSWER_BYTES = 1_000_000
# A name with several addresses: the next is tried only when nothing could be sent.
MAX_ADDRESSES = 3
USER_AGENT = "PostGov/1"

# The coarse reasons: stored in delivery logs, returned by the API as they are, and
# translated (`label`) on pages.
INVALID = "invalid address"
NOT_HTTPS = "https required"
NOT_FOUND = "host not found"
REFUSED = "refused: address not allowed"
CONNECT = "could not connect"
REDIRECT = "redirect not followed"
HTTP_4XX = "HTTP 4xx"
HTTP_5XX = "HTTP 5xx"
TOO_LARGE = "answer too large"
BAD_ANSWER = "unexpected answer"
FAILED = "failed"

LABELS = {
    INVALID: _("invalid address"),
    NOT_HTTPS: _("https required"),
    NOT_FOUND: _("host not found"),
    REFUSED: _("refused: address not allowed"),
    CONNECT: _("could not connect"),
    REDIRECT: _("redirect not followed"),
    HTTP_4XX: _("HTTP 4xx"),
    HTTP_5XX: _("HTTP 5xx"),
    TOO_LARGE: _("answer too large"),
    BAD_ANSWER: _("unexpected answer"),
    FAILED: _("failed"),
}

# Never reached, whatever OUTBOUND_ALLOW_PRIVATE says: nothing legitimate lives there,
# and the cloud metadata services hand out the machine's credentials.
NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the machine itself
        "169.254.0.0/16",  # link-local, with 169.254.169.254 (metadata)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, with the broadcast address
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "192.0.0.192/32",  # Oracle Cloud metadata
        "::/128",
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
        "fd00:ec2::254/128",  # AWS metadata over IPv6
    )
)
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up at.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")


class OutboundError(Exception):
    """The request was refused or failed. `reason` is one of the coarse reasons above;
    `status` the HTTP status when an answer came back."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


def label(reason: str, extra: Mapping[str, Any] | None = None) -> str:
    """The reason in the page's language; anything else (an older, detailed text) is
    shown as "failed", never as it was stored."""
    labels = {**LABELS, **(extra or {})}
    return str(labels.get(reason, LABELS[FAILED]))


def coarse(reason: str, known: tuple[str, ...] = ()) -> str:
    """The stored reason if it is one of ours, else "failed" (for the API)."""
    return reason if reason in LABELS or reason in known or not reason else FAILED


def private_allowed(allow_private: bool | None = None) -> bool:
    if allow_private is not None:
        return allow_private
    return bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False))


# -- the URL -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IDNA (ASCII), without brackets; an address for numeric forms
    port: int
    path: str  # path and query, never empty
    literal: bool  # the host is an address: nothing to resolve

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _literal(host: str) -> str | None:
    """The address a host stands for when it is one, in its canonical form; legacy
    numeric forms (one to four parts, decimal, octal or hex) as the C resolver reads
    them, so `http://2130706433/` is 127.0.0.1 here too."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            raise OutboundError(INVALID) from None
    return None


def parse(url: str, *, allow_private: bool | None = None) -> Target:
    allow = private_allowed(allow_private)
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise OutboundError(INVALID)
    if any(ch <= " " or ch in "\\\x7f" for ch in url):
        raise OutboundError(INVALID)
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise OutboundError(INVALID) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundError(INVALID)
    if scheme == "http" and not allow:
        raise OutboundError(NOT_HTTPS)
    if not host or parts.username is not None or parts.password is not None or port == 0:
        raise OutboundError(INVALID)
    if "%" in host:  # an IPv6 zone: only meaningful for link-local addresses
        raise OutboundError(REFUSED)
    literal = _literal(host)
    if literal is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise OutboundError(INVALID) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(
        scheme=scheme,
        host=literal or host,
        port=port or (443 if scheme == "https" else 80),
        path=path,
        literal=literal is not None,
    )


# -- the addresses -------------------------------------------------------------------------


def resolve(host: str, port: int) -> list[str]:
    """Every address the name has (the one place DNS is asked; tests replace it)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundError(NOT_FOUND) from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        if sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    if not addresses:
        raise OutboundError(NOT_FOUND)
    return addresses


def _carried(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address delivers to, when it is one of those forms."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    last32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if any(ip in net for net in NAT64):
        return last32
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # not :: nor ::1
        return last32
    return None


def allowed(address: str, *, allow_private: bool | None = None) -> bool:
    """Whether a request may go to this address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    carried = _carried(ip)
    if carried is not None:
        ip = carried
    if any(ip.version == net.version and ip in net for net in NEVER):
        return False
    if ip.is_global and not ip.is_multicast and not ip.is_reserved:
        return True
    return private_allowed(allow_private)


def addresses(target: Target, *, allow_private: bool | None = None) -> list[str]:
    """The addresses to connect to: resolved once, every one of them checked."""
    found = [target.host] if target.literal else resolve(target.host, target.port)
    if not all(allowed(a, allow_private=allow_private) for a in found):
        raise OutboundError(REFUSED)
    return found


def check(url: str, *, allow_private: bool | None = None) -> Target:
    """What a request to `url` would check before connecting (for registration)."""
    target = parse(url, allow_private=allow_private)
    addresses(target, allow_private=allow_private)
    return target


def configuration_problem(url: str, *, allow_private: bool) -> str | None:
    """For URLs read from the environment at start-up: the reason the URL will always be
    refused, without asking DNS (it may not be reachable yet); None when it may do."""
    try:
        target = parse(url, allow_private=allow_private)
        if target.literal:
            addresses(target, allow_private=allow_private)
    except OutboundError as exc:
        return exc.reason
    return None


# -- the request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise OutboundError(BAD_ANSWER, self.status) from None


# Connections are kept between requests, one pool per scheme, checked address, port and
# name (the name is the TLS server name and the certificate's): a request reuses only a
# connection to the very address its own check allowed, so the guard holds on every
# request. Webhooks and SMS to one receiver then cost one connection (one TLS handshake)
# per worker instead of one per request. The oldest receiver's pool is closed when more
# than MAX_POOLS are kept.
MAX_POOLS = 32
_pools: OrderedDict[tuple[str, str, int, str, float], urllib3.HTTPConnectionPool] = OrderedDict()
_pools_lock = threading.Lock()


def _new_pool(target: Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    limits = urllib3.Timeout(connect=min(timeout, CONNECT_TIMEOUT), read=timeout)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=limits,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=limits, retries=False, maxsize=1
    )


def _pool(target: Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, address, target.port, target.host, timeout)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        pool = _pools[key] = _new_pool(target, address, timeout)
        while len(_pools) > MAX_POOLS:
            _pools.popitem(last=False)[1].close()
        return pool


def close_connections() -> None:
    """Close every kept connection (tests; a process that forks)."""
    with _pools_lock:
        while _pools:
            _pools.popitem()[1].close()


def _status_failure(status: int) -> OutboundError | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return OutboundError(REDIRECT, status)
    if 400 <= status < 500:
        return OutboundError(HTTP_4XX, status)
    if 500 <= status < 600:
        return OutboundError(HTTP_5XX, status)
    return OutboundError(BAD_ANSWER, status)


def _read(response: urllib3.BaseHTTPResponse, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundError(TOO_LARGE, response.status)
    body = bytearray()
    while chunk := response.read(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise OutboundError(TOO_LARGE, response.status)
        if time.monotonic() > deadline:  # an answer trickled in byte by byte
            raise OutboundError(CONNECT, response.status)
    return bytes(body)


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_ANSWER_BYTES,
    read_body: bool = True,
    allow_private: bool | None = None,
) -> Answer:
    """One request, checked as the module says. A 2xx answer is returned (its body read
    up to `max_bytes`, unless `read_body` is false); anything else raises OutboundError
    with a coarse reason."""
    allow = private_allowed(allow_private)
    target = parse(url, allow_private=allow)
    candidates = addresses(target, allow_private=allow)
    sent = {"Host": target.host_header, "User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    sent.update(headers or {})
    deadline = time.monotonic() + 2 * timeout
    for address in candidates[:MAX_ADDRESSES]:
        pool = _pool(target, address, timeout)
        for attempt in (1, 2):
            opened = pool.num_connections
            try:
                response = pool.urlopen(
                    method,
                    target.path,
                    body=body,
                    headers=sent,
                    redirect=False,
                    retries=False,
                    assert_same_host=False,
                    preload_content=False,
                    decode_content=False,
                )
            except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
                logger.info("outbound: no connection to %s at one of its addresses", target.host)
                break  # nothing was sent: the next address may answer
            except urllib3.exceptions.ProtocolError as exc:
                if attempt == 1 and pool.num_connections == opened:
                    # A kept connection the receiver had closed meanwhile: once more on a
                    # new one. Should the receiver have taken the request before closing,
                    # it gets it twice, which at-least-once delivery allows (it tells a
                    # repeat by its id).
                    continue
                logger.info("outbound: %s failed: %s", target.host, exc.__class__.__name__)
                raise OutboundError(CONNECT) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                logger.info("outbound: %s failed: %s", target.host, exc.__class__.__name__)
                raise OutboundError(CONNECT) from None
            return _answer(response, max_bytes, read_body, deadline, target)
    raise OutboundError(CONNECT)


# What is read of an answer whose body nobody wants, so that its connection can be kept.
DRAINED_AT_MOST = 64 * 1024


def _answer(
    response: urllib3.BaseHTTPResponse,
    max_bytes: int,
    read_body: bool,
    deadline: float,
    target: Target,
) -> Answer:
    """The answer, its connection handed back to the pool once the whole body was read,
    closed otherwise (an answer cut short, too long, or a failure)."""
    kept = False
    try:
        failure = _status_failure(response.status)
        if failure is not None:
            raise failure
        answer_headers = {k.lower(): v for k, v in response.headers.items()}
        try:
            content = _read(response, max_bytes if read_body else DRAINED_AT_MOST, deadline)
        except OutboundError:
            if read_body:
                raise
            content = b""  # not wanted: only the connection is lost
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if read_body:
                logger.info("outbound: %s failed: %s", target.host, exc.__class__.__name__)
                raise OutboundError(CONNECT, response.status) from None
            content = b""
        else:
            response.release_conn()
            kept = True
        return Answer(response.status, answer_headers, content if read_body else b"")
    finally:
        if not kept:
            response.close()


# -- registration --------------------------------------------------------------------------

MESSAGES = {
    INVALID: _("Enter a valid web address, without a user name or password in it."),
    NOT_HTTPS: _("Use an https:// address."),
    NOT_FOUND: _("No server with this name can be found. Check the address."),
    REFUSED: _(
        "This address is not allowed: it must lead to a server on the public internet, "
        "not to this machine or a local or private network."
    ),
}


def validate_url(url: str, *, allow_private: bool | None = None) -> None:
    """Refuses, with a message for the person who typed it, a URL requests would refuse."""
    try:
        check(url, allow_private=allow_private)
    except OutboundError as exc:
        message = MESSAGES.get(exc.reason, MESSAGES[INVALID])
        raise ValidationError(message, code="outbound") from None


class PublicURLField(forms.URLField):
    """A URL the server will send requests to: checked as `request` would check it
    (after Django's own URL checks), so a refusal shows at once, on the form."""

    def run_validators(self, value: Any) -> None:
        super().run_validators(value)
        if value not in self.empty_values:
            validate_url(value)
