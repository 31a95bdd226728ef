"""The tracking page offers Form 01 once the dossier was handed over, only after the code
and the last 4 phone digits matched, through a signed token that expires."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.dossiers.tracking import lookup as tracking
from postgov.lib.phones import last_digits
from postgov.lib.tracking_links import token_for
from tests.agency_helpers import handed_over, move, sealed

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


def look_up(client, dossier, digits=None):
    digits = digits or last_digits(dossier.applicant_phone)
    return client.post(reverse("dossiers:track"), {"code": dossier.code, "phone_last4": digits})


def test_form_01_after_the_code_and_digits(client, world):
    dossier = handed_over(world)
    page = look_up(client, dossier)
    assert page.status_code == 200
    html = page.content.decode()
    token = TOKEN.search(html).group(1)
    assert dossier.code not in reverse("dossiers:track_form_01")  # nothing personal in the URL
    pdf = client.post(reverse("dossiers:track_form_01"), {"token": token})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "mau-01-" in pdf["Content-Disposition"]
    assert AuditEvent.objects.filter(action="dossier.form_01_downloaded").exists()


def test_no_form_before_the_hand_over_nor_by_item_number_alone(client, world):
    waiting = sealed(world)
    assert not TOKEN.search(look_up(client, waiting).content.decode())
    dossier = handed_over(world)
    item = dossier.items.get(leg="outbound").item_id
    by_item = client.get(reverse("dossiers:track"), {"code": item})
    assert by_item.status_code == 200 and not TOKEN.search(by_item.content.decode())


def test_a_kept_card_offers_form_01_only_to_the_code_and_digits(client, world):
    dossier = handed_over(world)
    by_link = {"code": dossier.code, "t": token_for(dossier.pk)}
    for _ in range(2):  # rendered, then kept: each way keeps its own card
        assert TOKEN.search(look_up(client, dossier).content.decode())
        linked = client.get(reverse("dossiers:track"), by_link)
        assert linked.status_code == 200 and dossier.code in linked.content.decode()
        assert not TOKEN.search(linked.content.decode())
    # The button of a kept card carries a token signed for this lookup, and it works.
    token = TOKEN.search(look_up(client, dossier).content.decode()).group(1)
    assert client.post(reverse("dossiers:track_form_01"), {"token": token}).status_code == 200


def test_a_wrong_or_expired_token_is_refused(client, world):
    dossier = handed_over(world)
    url = reverse("dossiers:track_form_01")
    token = tracking.form_token(dossier)
    for bad in ("", "nonsense", token[:-2] + "xx", signing.dumps({"d": dossier.pk}, salt="x")):
        response = client.post(url, {"token": bad})
        assert response.status_code == 403, bad
        assert response["Content-Type"].startswith("text/html")
    with mock.patch("django.core.signing.time.time", return_value=_later()):
        assert client.post(url, {"token": token}).status_code == 403
    assert client.get(url).status_code == 405
    assert not AuditEvent.objects.filter(action="dossier.form_01_downloaded").exists()


def test_a_token_for_another_event_is_refused(client, world):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    accept = dossier.events.get(action="accept")
    forged = signing.dumps({"d": dossier.pk, "e": accept.pk}, salt=tracking.FORM_SALT)
    assert client.post(reverse("dossiers:track_form_01"), {"token": forged}).status_code == 403


def _later() -> float:
    import time

    return time.time() + tracking.FORM_TOKEN_SECONDS + 5
