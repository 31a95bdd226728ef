"""Home pickups: booking (public), assignment, the postman's visit, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.delivery import actions, scheduling
from postgov.delivery.models import PickupAttempt, PickupBooking
from postgov.dossiers.models import Dossier
from postgov.dossiers.tests.intake_helpers import pay, seal, tick_all
from postgov.dossiers.tracking import links as tracking_links
from postgov.identity.access import Access
from postgov.identity.models import Role
from postgov.notify.models import Message
from tests.factories import make_intake_catalog
from tests.personas import give_role, make_user

BOOK = reverse("delivery:book_pickup")


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def version(world):
    return make_intake_catalog(world)


def next_weekday():
    return scheduling.first_collection_day(None)


def booking_post(world, version, **overrides):
    data = {
        "procedure": str(version.procedure_id),
        "name": "Hoàng Thị Mai",
        "phone": "0987654321",
        "address": "Số 12 Lê Duẩn",
        "commune": str(world.commune_a.pk),
        "date": next_weekday().isoformat(),
        "window": "morning",
        "note": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


def book(world, version) -> PickupBooking:
    return actions.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=next_weekday(),
        window="morning",
    )


def test_a_citizen_books_and_gets_a_code_and_an_sms(client, world, version):
    response = client.post(BOOK, booking_post(world, version))
    booking = PickupBooking.objects.get()
    # The booking opens on the tracking page with its token, as the SMS link does.
    token = tracking_links.pickup_token_for(booking.pk)
    assert response["Location"] == f"{reverse('dossiers:track')}?code={booking.code}&t={token}"
    assert booking.service_point == world.point_a  # the point in the commune
    assert booking.status == PickupBooking.Status.REQUESTED
    page = client.get(response["Location"]).content.decode()
    assert booking.code in page and "H**** T** M**" in page and "0987654321" not in page
    sms = Message.objects.get(template="pickup_booked")
    assert sms.recipient == "+84987654321" and booking.code in sms.body and sms.body.isascii()
    assert f"t={token}" in sms.body
    assert AuditEvent.objects.filter(action="pickup.booked").exists()


@pytest.mark.parametrize(
    "field,value",
    [
        ("phone", "0233 3852 123"),
        ("date", "2020-01-01"),
        ("window", "midnight"),
        ("consent", ""),
        ("commune", "999999"),
    ],
)
def test_bad_bookings_are_refused_and_kept(client, world, version, field, value):
    response = client.post(BOOK, booking_post(world, version, **{field: value}))
    assert response.status_code == 200
    assert 'value="Số 12 Lê Duẩn"' in response.content.decode()
    assert not PickupBooking.objects.exists()


def test_sundays_are_refused(client, world, version):
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() != 6:
        day += timedelta(days=1)
    response = client.post(BOOK, booking_post(world, version, date=day.isoformat()))
    assert response.status_code == 200 and not PickupBooking.objects.exists()


def test_public_booking_is_rate_limited(client, world, version, settings):
    settings.PICKUP_BOOKINGS_PER_HOUR = 2
    phones = ["0987654321", "0987654322", "0987654323"]
    codes = [client.post(BOOK, booking_post(world, version, phone=p)).status_code for p in phones]
    assert codes == [302, 302, 429]
    assert PickupBooking.objects.count() == 2


def test_bookings_from_one_ipv6_64_count_as_one_client(client, world, version, settings):
    settings.PICKUP_BOOKINGS_PER_HOUR = 2
    addresses = ["2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:ffff::3"]
    codes = [
        client.post(
            BOOK, booking_post(world, version, phone=f"098765432{n}"), REMOTE_ADDR=address
        ).status_code
        for n, address in enumerate(addresses)
    ]
    assert codes == [302, 302, 429]
    other = client.post(
        BOOK, booking_post(world, version, phone="0987654329"), REMOTE_ADDR="2001:db8:7:2::1"
    )
    assert other.status_code == 302


def test_it_checks_access(client, world, version, outsider, clerk_b, citizen):
    booking = book(world, version)
    urls = [reverse("delivery:pickups"), reverse("delivery:pickup", args=[booking.pk])]
    assert client.get(urls[0]).status_code == 302
    for person in (outsider, clerk_b, citizen):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403
        response = client.post(reverse("delivery:pickup_assign", args=[booking.pk]), {})
        assert response.status_code == 403


def test_a_supervisor_of_another_point_does_not_see_the_booking(client, world, version):
    other = make_user("supervisor_b", "Giám Sát B")
    give_role(other, Role.SUPERVISOR, service_point=world.point_b)
    booking = book(world, version)
    client.force_login(other)
    assert booking.code not in client.get(reverse("delivery:pickups")).content.decode()
    assert client.get(reverse("delivery:pickup", args=[booking.pk])).status_code == 404
    response = client.post(
        reverse("delivery:pickup_assign", args=[booking.pk]), {"postman": world.postman_a.pk}
    )
    assert response.status_code == 404


def test_assign_then_fail_a_visit_notifies_the_citizen(
    client, world, version, supervisor_a, postman_a
):
    booking = book(world, version)
    client.force_login(supervisor_a)
    assert booking.code in client.get(reverse("delivery:pickups")).content.decode()
    client.post(reverse("delivery:pickup_assign", args=[booking.pk]), {"postman": postman_a.pk})
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.ASSIGNED and booking.postman == postman_a
    assert Message.objects.filter(template="pickup_assigned").exists()

    client.force_login(postman_a)
    page = client.get(reverse("delivery:pickups")).content.decode()
    assert booking.code in page and "tel:0987654321" in page
    fail = reverse("delivery:pickup_fail", args=[booking.pk])
    client.post(fail, {"reason": "other", "note": ""})
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.ASSIGNED  # "other" needs a note
    client.post(fail, {"reason": "absent"})
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.FAILED
    attempt = PickupAttempt.objects.get()
    assert not attempt.success and attempt.reason == "absent"
    sms = Message.objects.get(template="pickup_failed")
    assert "Nobody" not in sms.body and sms.body.isascii()
    assert AuditEvent.objects.filter(action="pickup.visit_failed").exists()
    # the supervisor may assign it again for another visit
    actions.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )


def test_only_postmen_of_the_point_can_be_assigned(world, version, supervisor_a, clerk_a):
    booking = book(world, version)
    with pytest.raises(actions.PickupError):
        actions.assign_pickup(
            booking.pk, clerk_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
        )


def test_the_postman_receives_the_dossier_at_the_house(
    client, world, version, supervisor_a, postman_a, clerk_a
):
    booking = book(world, version)
    actions.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )
    start = reverse("dossiers:intake_start") + f"?pickup={booking.pk}"
    client.force_login(clerk_a)  # not the assigned postman
    assert client.get(start).status_code == 403
    client.force_login(postman_a)
    page = client.get(start).content.decode()
    assert 'value="Hoàng Thị Mai"' in page and 'value="0987654321"' in page
    from postgov.dossiers.tests.test_views_intake import applicant_post

    data = applicant_post(
        world,
        version,
        pickup=str(booking.pk),
        name="Hoàng Thị Mai",
        id_number="045185001234",
        birth_date="01/01/1985",
        gender="female",
        phone="0987654321",
    )
    response = client.post(reverse("dossiers:intake_start"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    dossier = Dossier.objects.get()
    assert dossier.pickup == booking and dossier.received_by == postman_a
    dossier = pay(tick_all(dossier))
    sealed, _ = seal(dossier)
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.COLLECTED
    assert PickupAttempt.objects.get().success
    assert Message.objects.filter(template="dossier_sealed", object_id=str(sealed.pk)).exists()
    detail = client.get(reverse("delivery:pickup", args=[booking.pk])).content.decode()
    assert sealed.code in detail
