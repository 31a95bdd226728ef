"""A signed-in citizen's own records: "my dossiers" by the ID number a counter verified
(never a merely declared one, and not while a recovered account waits at level 1), "my
pickups" booked from the account or with its verified phone. Nobody else's record is
reachable, no address carries anything personal, ID numbers are masked, and every view of
them is in the audit trail."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.delivery import actions
from postgov.delivery.models import PickupBooking
from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.identity.models import Level
from tests.factories import make_intake_catalog
from tests.personas import make_user

MY_DOSSIERS = reverse("mine:dossiers")
MY_PICKUPS = reverse("mine:pickups")
NUMBER = "045185654321"
OTHER_NUMBER = "045090001234"
WEDNESDAY = date(2026, 3, 11)


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def version(world, working_morning):
    return make_intake_catalog(world)


def verified(username: str, number: str, **extra):
    return make_user(
        username,
        "Lê Thị Hoa",
        level=Level.VERIFIED,
        declared_id_number=number,
        verified_id_number=number,
        verified_at=timezone.now(),
        **extra,
    )


@pytest.fixture
def hoa(world):
    return verified(
        "hoa", NUMBER, phone="0912000002", phone_verified_at=timezone.now(), email="h@example.com"
    )


@pytest.fixture
def dossiers(world, version):
    mine, _ = seal(ready(world, version, name="Lê Thị Hoa", id_number=NUMBER))
    theirs, _ = seal(ready(world, version, name="Nguyễn Văn An", id_number=OTHER_NUMBER))
    return mine, theirs


def book(world, version, phone: str, account=None) -> PickupBooking:
    return actions.book_pickup(
        procedure=version.procedure,
        name="Lê Thị Hoa",
        phone=phone,
        address="12 Lê Lợi",
        commune=world.commune_a,
        day=WEDNESDAY,
        window="morning",
        account=account,
    )


def hrefs(page: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', page)


# -- my dossiers ----------------------------------------------------------------------------


def test_a_verified_citizen_sees_their_dossiers_and_no_one_elses(client, hoa, dossiers):
    mine, theirs = dossiers
    client.force_login(hoa)
    page = client.get(MY_DOSSIERS).content.decode()
    assert mine.code in page and theirs.code not in page
    assert NUMBER not in page and "*********321" in page  # masked
    for href in hrefs(page):
        assert NUMBER not in href and "0912" not in href and mine.code not in href
    detail = client.get(reverse("mine:dossier", args=[mine.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200 and detail["Cache-Control"] == "no-store"
    # The whole tracking presentation, with the owner's name in full.
    assert "Lê Thị Hoa" in text and mine.code in text and 'class="pg-timeline' in text
    assert NUMBER not in text and "*********321" in text
    assert client.get(reverse("mine:dossier", args=[theirs.pk])).status_code == 404


def test_every_view_of_the_dossiers_is_audited(client, hoa, dossiers):
    mine, _ = dossiers
    client.force_login(hoa)
    client.get(MY_DOSSIERS)
    client.get(reverse("mine:dossier", args=[mine.pk]))
    listed = AuditEvent.objects.get(action="citizen.dossiers_viewed")
    assert listed.actor_id == hoa.pk and listed.details["dossiers"] == [mine.pk]
    viewed = AuditEvent.objects.get(action="citizen.dossier_viewed")
    assert viewed.actor_id == hoa.pk and viewed.object_id == str(mine.pk)


def test_a_declared_number_shows_nothing_and_says_how_to_get_verified(client, world, dossiers):
    mine, _ = dossiers
    declared = make_user("nam", "Lê Thị Hoa", declared_id_number=NUMBER)
    client.force_login(declared)
    page = client.get(MY_DOSSIERS).content.decode()
    assert mine.code not in page
    assert 'id="not-verified"' in page and reverse("identity:enrolment") in page
    assert client.get(reverse("mine:dossier", args=[mine.pk])).status_code == 404


def test_a_recovered_account_at_level_1_sees_nothing_until_checked_again(client, hoa, dossiers):
    mine, _ = dossiers
    hoa.level = Level.BASIC  # recovery by SMS: the verified number stays bound
    hoa.save(update_fields=["level"])
    client.force_login(hoa)
    assert mine.code not in client.get(MY_DOSSIERS).content.decode()
    assert client.get(reverse("mine:dossier", args=[mine.pk])).status_code == 404


def test_other_people_are_refused(client, world, hoa, dossiers, outsider, clerk_a):
    mine, _ = dossiers
    detail = reverse("mine:dossier", args=[mine.pk])
    assert client.get(MY_DOSSIERS).status_code == 302  # to the login page
    assert client.get(detail).status_code == 302
    another = verified("an", OTHER_NUMBER)
    for person in (another, outsider, clerk_a):
        client.force_login(person)
        assert client.get(detail).status_code == 404
        assert mine.code not in client.get(MY_DOSSIERS).content.decode()


# -- my pickups -----------------------------------------------------------------------------


def test_pickups_booked_signed_in_are_tied_to_the_account(client, world, version, citizen):
    client.force_login(citizen)
    form = client.get(reverse("delivery:book_pickup")).content.decode()
    assert 'value="Ngô Văn Nam"' in form and 'value="0912345678"' in form  # filled in
    response = client.post(
        reverse("delivery:book_pickup"),
        {
            "procedure": str(version.procedure_id),
            "name": "Ngô Văn Nam",
            "phone": "0987111222",  # another phone: the account still ties it
            "address": "12 Lê Lợi",
            "commune": str(world.commune_a.pk),
            "date": WEDNESDAY.isoformat(),
            "window": "morning",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    booking = PickupBooking.objects.get()
    assert booking.account == citizen
    page = client.get(MY_PICKUPS).content.decode()
    assert booking.code in page and "12 Lê Lợi" in page


def test_pickups_with_the_verified_phone_are_shown_and_others_not(
    client, world, version, hoa, citizen
):
    with_phone = book(world, version, hoa.phone)
    unverified = make_user("tu", "Trần Văn Tư", phone="0987333444")  # never verified
    not_verified_phone = book(world, version, unverified.phone)
    someone_elses = book(world, version, "0987555666", account=citizen)
    client.force_login(hoa)
    page = client.get(MY_PICKUPS).content.decode()
    assert with_phone.code in page
    assert not_verified_phone.code not in page and someone_elses.code not in page
    for href in hrefs(page):
        assert hoa.phone not in href
    client.force_login(unverified)
    assert not_verified_phone.code not in client.get(MY_PICKUPS).content.decode()
    assert AuditEvent.objects.filter(action="citizen.pickups_viewed", actor_id=hoa.pk).exists()


def test_the_holder_cancels_or_moves_from_the_account_and_no_one_else_can(
    client, world, version, hoa, citizen, outsider
):
    booking = book(world, version, "0987555666", account=hoa)
    change = reverse("mine:pickup_change", args=[booking.pk])
    for person in (citizen, outsider):
        client.force_login(person)
        assert client.post(change, {"action": "cancel"}).status_code == 404
    client.force_login(hoa)
    refused = client.post(
        change, {"action": "move", "date": "2026-03-15", "window": "evening"}
    )  # a Sunday: the form again, with what was typed
    assert refused.status_code == 400 and 'value="2026-03-15"' in refused.content.decode()
    moved = client.post(
        change,
        {
            "action": "move",
            "date": (WEDNESDAY + timedelta(days=1)).isoformat(),
            "window": "evening",
        },
    )
    assert moved.status_code == 302
    assert client.post(change, {"action": "cancel"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.CANCELLED
    events = AuditEvent.objects.filter(object_id=str(booking.pk), actor_id=hoa.pk)
    assert {e.details.get("channel") for e in events if "citizen" in e.action} == {"account"}


def test_the_account_menu_leads_to_both(client, hoa):
    client.force_login(hoa)
    page = client.get(reverse("identity:account")).content.decode()
    assert page.count(f'href="{MY_DOSSIERS}"') >= 2 and page.count(f'href="{MY_PICKUPS}"') >= 2
