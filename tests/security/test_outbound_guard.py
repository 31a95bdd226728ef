"""Server-side request forgery: requests to addresses people configure (webhooks, the
national portal, upstream identity providers, the SMS gateway) never reach this machine or
a private network, are not redirected, are pinned to the address that was checked, and say
nothing back about what they met.

Local stand-ins are real HTTP(S) servers on the loopback; DNS is replaced at its one seam,
`postgov.lib.outbound.resolve`. The guard itself is imported inside the tests, so that
without it each test fails on what it checks rather than at collection.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from postgov.exchange.integration import approve, create_webhook
from postgov.exchange.models import WebhookDelivery, WebhookEndpoint
from postgov.identity.access import Access
from postgov.identity.models import ChangeRequest, UpstreamProvider
from postgov.identity.tests.oidc_helpers import log_in_session
from tests.agency_helpers import handed_over

PUBLIC = "93.184.215.14"  # a public address (nothing is ever sent to it here)
NAME = "hooks.agency.example"


class StandIn:
    """A server on the loopback that records each request and answers as it is told."""

    def __init__(self, *, family=socket.AF_INET, tls: ssl.SSLContext | None = None):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict, bytes]] = []
        self.server_names: list[str | None] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                stand_in.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                status, headers, body = (
                    stand_in.answers.pop(0) if stand_in.answers else (200, {}, b"{}")
                )
                self.send_response(status)
                for key, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                # The client may stop reading (an answer too large): as it should.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            address_family = family

        host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        self.server = Server((host, 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.host = f"[{host}]" if family == socket.AF_INET6 else host
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{self.host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()


def refusal(url: str, **kwargs) -> str:
    from postgov.lib.outbound import OutboundError, request

    with pytest.raises(OutboundError) as refused:
        request("GET", url, **kwargs)
    return refused.value.reason


# -- every blocked range, and the forms that hide them ------------------------------------

BLOCKED = [
    # IPv4
    "127.0.0.1",
    "127.3.2.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "169.254.169.254",  # cloud metadata
    "169.254.1.1",
    "0.0.0.0",  # noqa: S104  (an address to refuse, not one to bind)
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.10",  # documentation
    "198.18.0.1",  # benchmarking
    "100.100.100.200",  # Alibaba Cloud metadata
    # IPv6
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456:789a::1]",
    "[fd00:ec2::254]",  # AWS metadata over IPv6
    "[ff02::1]",
    "[2001:db8::1]",
    # IPv6 forms carrying an IPv4 address
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::ffff:169.254.169.254]",
    "[::ffff:10.0.0.1]",
    "[::127.0.0.1]",  # IPv4-compatible
    "[64:ff9b::7f00:1]",  # NAT64
    "[64:ff9b::a9fe:a9fe]",  # NAT64 to 169.254.169.254
    "[2002:7f00:1::]",  # 6to4
    "[2002:a9fe:a9fe::]",
    # numeric host forms the C resolver reads as addresses
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "0177.0.0.1",
    "017700000001",
    "127.1",
    "0x7f.0.0.1",
    "2852039166",  # 169.254.169.254
]


@pytest.mark.parametrize("host", BLOCKED)
def test_each_blocked_range_is_refused(production, dns, host):
    assert refusal(f"https://{host}/latest/meta-data/") == "refused: address not allowed"
    assert refusal(f"https://{host}:8443/x") == "refused: address not allowed"
    assert dns.lookups == []  # an address is checked as it is, never looked up


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass_the_check(production, address):
    from postgov.lib.outbound import allowed

    assert allowed(address)


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "[fd00:ec2::254]", "0.0.0.0", "[::]", "224.0.0.1", "[fe80::1]"],  # noqa: S104
)
def test_link_local_metadata_multicast_stay_refused_even_for_development(settings, host):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert refusal(f"http://{host}/") == "refused: address not allowed"


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["10.1.2.3"], [PUBLIC, "192.168.0.10"], ["::1"], [PUBLIC, "fd00::5"]],
)
def test_a_name_resolving_to_a_private_address_is_refused(production, dns, answers):
    dns.answers[NAME] = [answers]
    assert refusal(f"https://{NAME}/hook") == "refused: address not allowed"


def test_http_only_when_private_addresses_are_allowed(production, dns):
    dns.answers[NAME] = [[PUBLIC]]
    assert refusal(f"http://{NAME}/hook") == "https required"
    for url in (
        f"https://user:pw@{NAME}/",
        f"ftp://{NAME}/",
        "file:///etc/passwd",
        f"gopher://{NAME}/",
        f"https://{NAME}:0/",
        f"https://{NAME}:99999/",
        f"https://{NAME}\\@127.0.0.1/",
        "https:///nohost",
    ):
        assert refusal(url) == "invalid address", url
    assert refusal("https://nowhere.example/") == "host not found"


# -- the connection ------------------------------------------------------------------------


def test_the_setting_allows_a_local_test_server(settings, stand_in):
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True
    answer = request("POST", stand_in.url + "/in?x=1", body=b'{"a":1}')
    assert answer.status == 200 and answer.json() == {}
    assert stand_in.requests[0]["path"] == "/in?x=1" and stand_in.requests[0]["body"] == b'{"a":1}'
    settings.OUTBOUND_ALLOW_PRIVATE = False
    assert refusal(stand_in.url + "/in") == "https required"
    assert refusal(stand_in.url.replace("http:", "https:") + "/in") == (
        "refused: address not allowed"
    )
    assert len(stand_in.requests) == 1


def test_ipv6_loopback_for_development(settings):
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True
    server = StandIn(family=socket.AF_INET6)
    try:
        assert request("GET", server.url + "/six").status == 200
        assert server.requests[0]["headers"]["host"] == f"[::1]:{server.port}"
    finally:
        server.close()


def test_the_connection_goes_to_the_checked_address(settings, dns, stand_in):
    """DNS rebinding: the name is looked up once; a second answer, were it asked, would
    lead elsewhere (nothing listens on 127.0.0.2). The request reaches the address that
    was checked, with the name in the Host header."""
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True
    dns.answers[NAME] = [["127.0.0.1"], ["127.0.0.2"]]
    answer = request("GET", f"http://{NAME}:{stand_in.port}/pinned")
    assert answer.status == 200
    assert dns.lookups == [NAME]
    assert stand_in.requests[0]["headers"]["host"] == f"{NAME}:{stand_in.port}"


def test_rebinding_after_registration_cannot_reach_the_private_server(
    client, world, production, dns, stand_in
):
    """The name was public when the agency registered it, then answers 127.0.0.1: the
    delivery is refused at connect time and the local server hears nothing."""
    dns.answers[NAME] = [[PUBLIC], ["127.0.0.1"]]
    client.force_login(world.agency_officer)
    page = reverse("exchange:integration", args=[world.agency_a.pk])
    url = f"https://{NAME}:{stand_in.port}/hook"
    assert client.post(page, {"form": "webhook", "url": url}).status_code == 200
    endpoint = WebhookEndpoint.objects.get(url=url)
    approve(
        endpoint,
        user=world.provincial_admin,
        access=Access.for_user(world.provincial_admin),
    )
    handed_over(world)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).last()
    from postgov.exchange import webhooks

    webhooks.deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_error == "refused: address not allowed"
    assert delivery.last_status_code is None
    assert stand_in.requests == []


def test_redirects_are_not_followed(settings, stand_in):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    for status in (301, 302, 303, 307, 308):
        stand_in.answers.append((status, {"Location": stand_in.url + "/secret"}, b""))
        assert refusal(stand_in.url + "/start") == "redirect not followed"
    assert [r["path"] for r in stand_in.requests] == ["/start"] * 5


def test_the_answer_size_is_bounded(settings, stand_in):
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True
    stand_in.answers.append((200, {}, b"x" * 2_000_001))
    assert refusal(stand_in.url, max_bytes=1_000_000) == "answer too large"
    stand_in.answers.append((200, {}, b"y" * 1000))
    assert request("GET", stand_in.url, max_bytes=1000).body == b"y" * 1000


def test_proxy_variables_are_not_used(settings, stand_in, monkeypatch):
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    assert request("GET", stand_in.url + "/direct").status == 200


# -- TLS: the name for SNI and the certificate, the checked address for the socket --------


def _certificates(tmp_path, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PostGov test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (tmp_path / f"{n}.pem" for n in ("ca", name, f"{name}.key"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@pytest.mark.parametrize("certificate_for", [NAME, "someone-else.example"])
def test_tls_checks_the_name_while_connecting_to_the_checked_address(
    settings, dns, tmp_path, monkeypatch, certificate_for
):
    """The name is resolved once; the socket goes to the checked address, while SNI and
    the certificate check use the name (a certificate for another name is refused)."""
    from postgov.lib.outbound import request

    settings.OUTBOUND_ALLOW_PRIVATE = True  # the stand-in plays the agency's server
    ca_path, cert_path, key_path = _certificates(tmp_path, certificate_for)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_path))  # the trust store: our test CA only
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = StandIn(tls=context)
    dns.answers[NAME] = [["127.0.0.1"], ["127.0.0.2"]]
    try:
        if certificate_for == NAME:
            answer = request("GET", f"https://{NAME}:{server.port}/tls")
            assert answer.status == 200
            assert server.server_names == [NAME]
            assert server.requests[0]["headers"]["host"] == f"{NAME}:{server.port}"
        else:
            assert refusal(f"https://{NAME}:{server.port}/tls") == "could not connect"
            assert server.requests == []
        assert dns.lookups == [NAME]
    finally:
        server.close()


# -- coarse errors -------------------------------------------------------------------------


def test_errors_shown_back_are_coarse(client, world, settings, stand_in):
    from postgov.exchange import webhooks

    settings.OUTBOUND_ALLOW_PRIVATE = True
    endpoint, _ = create_webhook(world.agency_a, stand_in.url + "/hook")
    stand_in.answers.append((500, {}, b"Traceback: db password=hunter2 at 10.0.0.7"))
    handed_over(world)
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).last()
    webhooks.deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_error == "HTTP 5xx" and delivery.last_status_code == 500
    # Nothing listens there: the system's own reason (refused, reset, timed out) stays in.
    closed, _ = create_webhook(world.agency_a, "http://127.0.0.1:9/hook")
    handed_over(world)
    dead = WebhookDelivery.objects.filter(endpoint=closed).last()
    webhooks.deliver_webhook.call(dead.pk)
    dead.refresh_from_db()
    assert dead.last_error == "could not connect" and dead.last_status_code is None
    # A row written before the guard, with the details it kept then, shows as "failed".
    WebhookDelivery.objects.filter(pk=dead.pk).update(
        last_error="unreachable: ConnectionRefusedError [Errno 111] 10.0.0.7:5432"
    )

    client.force_login(world.agency_officer)
    page = client.get(
        reverse("exchange:integration", args=[world.agency_a.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "HTTP 5xx" in page and "failed" in page
    for leak in ("hunter2", "Traceback", "10.0.0.7", "Errno", "ConnectionRefused"):
        assert leak not in page

    from postgov.exchange.integration import create_api_key

    _key, raw = create_api_key(world.agency_a, "log reader")
    answer = client.get("/api/v1/agency/webhooks/deliveries", HTTP_X_API_KEY=raw).json()
    errors = {row["id"]: row["last_error"] for row in answer}
    assert errors[delivery.pk] == "HTTP 5xx" and errors[dead.pk] == "failed"
    assert "hunter2" not in str(answer) and "Errno" not in str(answer)


def test_portal_sync_goes_through_the_guard(world, production):
    from postgov.exchange import portal
    from postgov.exchange.models import PortalSyncItem
    from postgov.exchange.portal_simulator import PortalSimulator

    simulator = PortalSimulator(username="postgov", password="pw")
    url, stop = simulator.serve()
    production.PORTAL_URL = url.replace("http:", "https:")
    production.PORTAL_PASSWORD = "pw"
    try:
        dossier = handed_over(world)
        assert portal.sync_dossier.call(dossier.pk).startswith("stopped after 0")
        item = PortalSyncItem.objects.filter(dossier=dossier).first()
        assert item.last_error == "refused: address not allowed"
        assert simulator.record(dossier.code) is None
    finally:
        stop()


def test_the_sms_gateway_goes_through_the_guard(production, stand_in):
    from postgov.notify.gateways import GatewayError, HttpSms

    gateway = HttpSms(stand_in.url.replace("http:", "https:") + "/sms", "token")
    with pytest.raises(GatewayError, match="refused: address not allowed"):
        gateway.send("+84901234567", "", "Mã 123456")
    assert stand_in.requests == []


def test_upstream_keys_and_tokens_go_through_the_guard(world, production, stand_in):
    from postgov.identity.federation import FederationError, exchange_code

    base = stand_in.url.replace("http:", "https:")
    provider = UpstreamProvider.objects.create(
        slug="idp",
        name="IdP",
        issuer=base,
        authorization_endpoint=base + "/auth",
        token_endpoint=base + "/token",
        jwks_uri=base + "/jwks",
        client_id="postgov",
    )
    with pytest.raises(FederationError, match="refused: address not allowed"):
        exchange_code(provider, "code", "verifier", "nonce")
    assert stand_in.requests == []


# -- registration --------------------------------------------------------------------------

PRIVATE_URLS = [
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::ffff:127.0.0.1]/hook",
    f"https://{NAME}/hook",  # resolves to 192.168.1.20 (below)
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_the_webhook_form_refuses_private_addresses(client, world, production, dns, url):
    dns.answers[NAME] = [["192.168.1.20"]]
    client.force_login(world.agency_officer)
    page = reverse("exchange:integration", args=[world.agency_a.pk])
    response = client.post(page, {"form": "webhook", "url": url})
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()
    html = response.content.decode()
    assert "địa chỉ này không được phép" in html.lower()  # the page speaks Vietnamese
    assert f'value="{url}"' in html  # what was typed is kept
    response = client.post(page, {"form": "webhook", "url": url}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This address is not allowed" in response.content.decode()
    assert "không được phép" not in response.content.decode()


def test_the_webhook_form_explains_http_and_unknown_names(client, world, production, dns):
    client.force_login(world.agency_officer)
    page = reverse("exchange:integration", args=[world.agency_a.pk])
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.post(page, {"form": "webhook", "url": "http://mc.example.vn/h"}, **english)
    assert response.status_code == 400 and "Use an https:// address." in response.content.decode()
    response = client.post(page, {"form": "webhook", "url": "https://typo.example/h"}, **english)
    assert response.status_code == 400
    assert "No server with this name can be found" in response.content.decode()
    dns.answers["mc.example.vn"] = [[PUBLIC]]
    response = client.post(page, {"form": "webhook", "url": "https://mc.example.vn/h"})
    assert response.status_code == 200 and WebhookEndpoint.objects.count() == 1


UPSTREAM_URLS = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"]


@pytest.mark.parametrize("field", UPSTREAM_URLS)
def test_the_upstream_provider_admin_refuses_private_addresses(
    client, national_admin, production, dns, field
):
    dns.answers["idp.example.vn"] = [[PUBLIC]]
    log_in_session(client, national_admin, mfa=True)
    data = {
        "slug": "idp",
        "name": "IdP",
        "active": "on",
        "issuer": "https://idp.example.vn",
        "authorization_endpoint": "https://idp.example.vn/auth",
        "token_endpoint": "https://idp.example.vn/token",
        "jwks_uri": "https://idp.example.vn/jwks",
        "client_id": "postgov",
        "client_secret": "s3cret",
        "scopes": "openid",
        "id_number_claim": "id_number",
        "max_level": "1",
    }
    add = reverse("admin:identity_upstreamprovider_add")
    bad = {**data, field: "https://169.254.169.254/latest"}
    response = client.post(add, bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not UpstreamProvider.objects.exists()
    assert "This address is not allowed" in response.content.decode()
    assert "https://169.254.169.254/latest" in response.content.decode()  # kept
    response = client.post(add, data)
    # Accepted: it waits for a second national administrator's approval.
    assert response.status_code == 302 and ChangeRequest.objects.count() == 1


def test_configured_urls_are_checked_at_start_up(monkeypatch):
    from postgov.lib.env import env_outbound_url

    monkeypatch.setenv("PORTAL_URL", "https://10.1.2.3/portal")
    with pytest.raises(ImproperlyConfigured, match="PORTAL_URL"):
        env_outbound_url("PORTAL_URL", "", allow_private=False)
    monkeypatch.setenv("PORTAL_URL", "http://portal.example.vn/api")
    with pytest.raises(ImproperlyConfigured, match="https required"):
        env_outbound_url("PORTAL_URL", "", allow_private=False)
    monkeypatch.setenv("PORTAL_URL", "https://portal.example.vn/api")
    assert env_outbound_url("PORTAL_URL", "", allow_private=False).endswith("/api")
    monkeypatch.setenv("PORTAL_URL", "http://127.0.0.1:8000/_simulator/portal")
    assert env_outbound_url("PORTAL_URL", "", allow_private=True)
