"""Tracking enumeration: S10 item numbers are sequential with a public check digit, so
anyone can walk through them. By an item number alone the public tracking shows only
where the item is (as any parcel tracker does); the procedure, the agency, the dossier
code and the (masked) name need the dossier code with the phone's last four digits, or
the tracking token of the label's QR code and the citizen's messages. IPv6 clients count
by /64, and a flood of failed lookups is slowed without holding up a citizen's own."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.delivery.models import PostalItem
from postgov.dossiers.intake import printing
from postgov.dossiers.tests.intake_helpers import draft, ready, seal, tick_all
from postgov.dossiers.tracking.lookup import PostalState, postal_status
from postgov.identity.access import Access
from postgov.lib import tracking_links
from postgov.lib.pdf import Form
from postgov.lib.s10 import make_item_id
from postgov.notify.models import Message
from tests.agency_helpers import move
from tests.factories import make_intake_catalog

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

TRACK = reverse("dossiers:track")
API = "/api/v1/track/"
NAME = "Nguyễn Văn An"
MASKED = "N***** V** A*"


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def version(world):
    return make_intake_catalog(world)


@pytest.fixture
def sealed(world, version):
    dossier, _ = seal(ready(world, version, name=NAME))
    return dossier


def outbound(dossier) -> str:
    return dossier.items.get(leg=PostalItem.Leg.OUTBOUND).item_id


def details_of(dossier) -> list[str]:
    """What only the citizen may see."""
    return [
        dossier.code,
        MASKED,
        dossier.procedure_version.procedure.name,
        dossier.agency.name,
    ]


# -- what the item number alone shows ----------------------------------------------------------
def test_an_item_number_alone_shows_the_postal_status_only(client, world, sealed):
    item = outbound(sealed)
    response = client.get(TRACK, {"code": item})
    html = response.content.decode()
    assert response.status_code == 200
    assert item in html and 'id="postal-only-note"' in html
    assert world.point_a.name in html  # the post office that accepted it, as any tracker
    for secret in details_of(sealed):
        assert secret not in html, secret
    assert NAME not in html and sealed.applicant_phone not in html
    # typed on the page, the same
    typed = client.post(TRACK, {"code": item.lower()}).content.decode()
    assert 'id="postal-only-note"' in typed
    assert all(secret not in typed for secret in details_of(sealed))


def test_the_api_answers_an_item_number_alone_with_the_postal_status_only(client, sealed):
    response = client.get(API + outbound(sealed))
    body = response.json()
    assert response.status_code == 200
    assert body.keys() == {"scope", "item", "status", "status_label", "final", "steps"}
    assert body["scope"] == "postal" and body["status"] == PostalState.ACCEPTED
    assert all(secret not in response.content.decode() for secret in details_of(sealed))


def test_the_postal_status_follows_the_item_and_never_names_the_agency(world, sealed):
    item = sealed.items.get(leg=PostalItem.Leg.OUTBOUND)
    returning = sealed.items.get(leg=PostalItem.Leg.RETURN)
    assert postal_status(returning).status == PostalState.NOT_POSTED
    dossier = move(sealed, "dispatch", world.postman_a)
    assert postal_status(item).status == PostalState.IN_TRANSIT
    dossier = move(dossier, "hand_over", world.agency_receiver)
    dossier = move(dossier, "accept", world.agency_officer)
    status = postal_status(item)
    assert status.status == PostalState.DELIVERED and status.final
    assert [step.status for step in status.steps] == ["accepted", "in_transit", "delivered"]
    assert all(world.agency_a.name not in step.place for step in status.steps)
    assert postal_status(returning).status == PostalState.NOT_POSTED


def test_each_supplement_item_shows_its_own_steps(world, sealed):
    from postgov.dossiers.intake.supplements import seal_supplement

    dossier = move(sealed, "dispatch", world.postman_a)
    dossier = move(dossier, "hand_over", world.agency_receiver)
    dossier = move(dossier, "request_supplement", world.agency_officer, note="Thiếu giấy")
    clerk = Access.for_user(world.clerk_a)
    dossier, first = seal_supplement(
        dossier.pk, brought=["Giấy tờ"], pages=1, user=world.clerk_a, access=clerk
    )
    dossier = move(dossier, "dispatch_supplement", world.postman_a)
    dossier = move(dossier, "supplement_received", world.agency_receiver)
    dossier = move(dossier, "request_supplement", world.agency_officer, note="Còn thiếu")
    dossier, second = seal_supplement(
        dossier.pk, brought=["Giấy tờ khác"], pages=1, user=world.clerk_a, access=clerk
    )
    assert [s.status for s in postal_status(first).steps] == ["accepted", "in_transit", "delivered"]
    assert [s.status for s in postal_status(second).steps] == ["accepted"]


# -- the dossier needs the token or the digits ---------------------------------------------------
def test_the_labels_qr_carries_a_token_that_opens_the_whole_dossier(client, sealed, monkeypatch):
    drawn = []
    original = Form.qr

    def spy(self, text, *args, **kwargs):
        drawn.append(text)
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(Form, "qr", spy)
    printer = printing.Printer("label")
    printer.label(printing.load(sealed.pk), sealed.items.get(leg=PostalItem.Leg.OUTBOUND))
    (url,) = drawn
    query = parse_qs(urlsplit(url).query)
    assert query["code"] == [outbound(sealed)]
    token = query["t"][0]
    assert token not in (sealed.code, outbound(sealed)) and str(sealed.pk) not in token
    html = client.get(TRACK, {"code": query["code"][0], "t": token}).content.decode()
    assert all(secret in html for secret in details_of(sealed))
    # Form 01 (the full name and address) is offered only after code and digits.
    assert "track_form_01" not in html and 'name="token"' not in html


def test_the_sms_at_sealing_links_to_the_whole_dossier(client, sealed):
    sms = Message.objects.get(template="dossier_sealed", channel="sms")
    url = re.search(r"https?://\S+", sms.body).group(0)
    assert "t=" + tracking_links.token_for(sealed.pk) in url
    parts = urlsplit(url)
    html = client.get(parts.path, parse_qs(parts.query)).content.decode()
    assert all(secret in html for secret in details_of(sealed))


def test_the_sms_of_later_steps_link_to_the_whole_dossier(client, world, sealed):
    dossier = move(sealed, "dispatch", world.postman_a)
    move(dossier, "hand_over", world.agency_receiver)
    sms = Message.objects.get(template="dossier_hand_over", channel="sms")
    url = re.search(r"https?://\S+", sms.body).group(0)
    parts = urlsplit(url)
    response = client.get(parts.path, parse_qs(parts.query))
    assert all(secret in response.content.decode() for secret in details_of(sealed))


def test_a_token_opens_only_its_own_dossier(client, world, version, sealed):
    other, _ = seal(ready(world, version, name="Trần Thị Bình"))
    wrong = tracking_links.token_for(other.pk)
    response = client.get(TRACK, {"code": outbound(sealed), "t": wrong})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="postal-only-note"' in html
    assert all(secret not in html for secret in details_of(sealed))
    api = client.get(API + sealed.code, {"token": wrong})
    assert api.status_code == 404


def test_tokens_are_keyed_not_derived_from_the_serial(settings, sealed):
    token = tracking_links.token_for(sealed.pk)
    assert len(token) == 16 and token != tracking_links.token_for(sealed.pk + 1)
    assert tracking_links.token_matches(sealed.pk, token.lower())
    # After a key rotation the old key, kept as a fallback, still opens old labels ...
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new key " * 5, [old_key]
    assert tracking_links.token_matches(sealed.pk, token)
    assert tracking_links.token_for(sealed.pk) != token
    # ... and once it is dropped, nothing does.
    settings.SECRET_KEY_FALLBACKS = []
    assert not tracking_links.token_matches(sealed.pk, token)


def test_a_dossier_code_still_needs_the_phone_digits(client, sealed):
    asked = client.get(TRACK, {"code": sealed.code}).content.decode()
    assert MASKED not in asked and 'name="phone_last4"' in asked
    assert client.get(API + sealed.code).status_code == 404
    right = client.post(TRACK, {"code": sealed.code, "phone_last4": "5678"})
    assert all(secret in right.content.decode() for secret in details_of(sealed))


def test_drafts_are_not_tracked_even_with_a_token(client, world, version):
    dossier = draft(world, version)
    tick_all(dossier)
    response = client.get(API + f"x{dossier.pk}", {"token": tracking_links.token_for(dossier.pk)})
    assert response.status_code == 404


# -- limits ----------------------------------------------------------------------------------
def test_addresses_of_one_ipv6_64_are_one_client(client, sealed, settings):
    settings.TRACK_LIMIT_PER_MINUTE = 3
    item = outbound(sealed)
    codes = [
        client.get(TRACK, {"code": item}, REMOTE_ADDR=f"2001:db8:aa:bb::{n}").status_code
        for n in range(1, 5)
    ]
    assert codes == [200, 200, 200, 429]
    assert client.get(TRACK, {"code": item}, REMOTE_ADDR="2001:db8:aa:bc::1").status_code == 200


def unknown_items(count: int) -> list[str]:
    return [make_item_id("HC", 90_000_000 + n) for n in range(count)]


@pytest.fixture(params=["database", "redis"])
def flood(request, settings, time_machine):
    """Failed lookups over the global limit, each from its own address (a botnet). With
    the test settings' cache, and with Redis as deployed, where a lookup's limits are one
    script (`lookup._check_limits`)."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/11",
                "KEY_PREFIX": f"flood-test-{uuid.uuid4().hex}",
            }
        }
    time_machine.move_to(timezone.now().replace(second=5, microsecond=0), tick=False)
    settings.TRACK_ANOMALY_MISSES_PER_MINUTE = 5
    settings.TRACK_ANOMALY_MISSES_PER_CLIENT = 2

    def run(client) -> None:
        for n, code in enumerate(unknown_items(6)):
            response = client.get(API + code, REMOTE_ADDR=f"198.51.100.{n + 1}")
            assert response.status_code == 404

    return run


def test_under_a_flood_a_client_that_keeps_failing_waits(client, sealed, flood):
    flood(client)
    guesser = "203.0.113.9"
    codes = [client.get(API + c, REMOTE_ADDR=guesser).status_code for c in unknown_items(3)]
    assert codes == [404, 404, 429]
    # held back before its lookup is even made: a right guess would wait as well
    response = client.get(API + outbound(sealed), REMOTE_ADDR=guesser)
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 600
    page = client.get(TRACK, {"code": outbound(sealed)}, REMOTE_ADDR=guesser)
    assert page.status_code == 429 and "QR" in page.content.decode()
    # the anomaly is in the audit trail, once for the minute
    assert AuditEvent.objects.filter(action="tracking.anomaly").count() == 1


def test_under_a_flood_a_citizens_own_lookups_go_through(client, sealed, flood):
    flood(client)
    citizen = "203.0.113.50"
    for _ in range(5):  # never failed: never held back
        assert client.get(API + outbound(sealed), REMOTE_ADDR=citizen).status_code == 200
    right = client.post(TRACK, {"code": sealed.code, "phone_last4": "5678"}, REMOTE_ADDR=citizen)
    assert right.status_code == 200
    # one who failed a few times still comes in with the QR or SMS token
    unlucky = "203.0.113.51"
    for code in unknown_items(3):
        client.get(API + code, REMOTE_ADDR=unlucky)
    assert client.get(API + outbound(sealed), REMOTE_ADDR=unlucky).status_code == 429
    token = tracking_links.token_for(sealed.pk)
    with_token = client.get(TRACK, {"code": outbound(sealed), "t": token}, REMOTE_ADDR=unlucky)
    assert with_token.status_code == 200 and MASKED in with_token.content.decode()


def test_without_a_flood_failures_are_not_held_back(client, sealed, settings):
    settings.TRACK_ANOMALY_MISSES_PER_MINUTE = 50
    settings.TRACK_ANOMALY_MISSES_PER_CLIENT = 2
    codes = [client.get(API + c).status_code for c in unknown_items(5)]
    assert codes == [404] * 5
    assert client.get(API + outbound(sealed)).status_code == 200
    assert not AuditEvent.objects.filter(action="tracking.anomaly").exists()
