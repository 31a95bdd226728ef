"""A home-pickup booking is followed, cancelled and moved by its holder only: on the
tracking page with its code and the last four digits of the phone it was booked with, or
with the token of its SMS link — the proof a dossier asks for, behind the same limits.
Changes follow the rules of a new booking (collection days, the post office's capacity)
until the postman sets out; the assigned postman and the supervisor are told, the change
is audited, and the page says the truth about who is coming."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from postgov.agencies.models import CalendarAdjustment
from postgov.audit.models import AuditEvent
from postgov.delivery import actions, pickup_tracking, scheduling
from postgov.delivery.models import PickupBooking
from postgov.dossiers.tracking import links as tracking_links
from postgov.identity.access import Access
from postgov.notify.models import Message
from tests.factories import make_intake_catalog

TRACK = reverse("dossiers:track")
CHANGE = reverse("delivery:pickup_change")
PHONE = "0987654321"
MASKED = "H**** T** M**"
# The pinned clock (`working_morning`): Tuesday 10 March 2026, 09:00 in Vietnam.
TUESDAY = date(2026, 3, 10)
WEDNESDAY, THURSDAY = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=2)
SUNDAY = date(2026, 3, 15)
FRIDAY = date(2026, 3, 13)  # made a day off in the admins' swap table below
REUNIFICATION_DAY = date(2026, 4, 30)  # a legal holiday, a Thursday


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def booking(world, working_morning) -> PickupBooking:
    version = make_intake_catalog(world)
    return actions.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone=PHONE,
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=WEDNESDAY,
        window="morning",
    )


@pytest.fixture
def staff_reachable(world, postman_a, supervisor_a):
    postman_a.phone, postman_a.email = "0911000111", "postman@example.com"
    postman_a.save(update_fields=["phone", "email"])
    supervisor_a.email = "supervisor@example.com"
    supervisor_a.save(update_fields=["email"])


def assign(booking, supervisor, postman) -> PickupBooking:
    return actions.assign_pickup(
        booking.pk, postman, actor=supervisor, access=Access.for_user(supervisor)
    )


def look_up(client, code: str, digits: str):
    return client.post(TRACK, {"code": code, "phone_last4": digits})


def proof_on(page: str) -> str:
    marker = 'name="proof" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


# -- following the booking --------------------------------------------------------------------


def test_the_booking_code_with_the_phone_digits_shows_the_booking(client, booking):
    response = look_up(client, booking.code.lower().replace("-", " "), PHONE[-4:])
    page = response.content.decode()
    assert response.status_code == 200
    assert booking.code in page and MASKED in page and booking.procedure.name in page
    assert PHONE not in page and "Lê Duẩn" not in page  # nothing more than the holder needs
    assert 'name="proof"' in page  # the holder may change it


def test_wrong_digits_or_the_code_alone_show_nothing(client, booking):
    for response in (look_up(client, booking.code, "0000"), look_up(client, booking.code, "")):
        page = response.content.decode()
        assert MASKED not in page and booking.procedure.name not in page
        assert 'name="proof"' not in page
    # The old address of a booking shows nothing either: it asks for the digits.
    old = client.get(reverse("delivery:pickup_status", args=[booking.code]), follow=True)
    assert MASKED not in old.content.decode() and 'name="proof"' not in old.content.decode()


def test_the_sms_link_opens_the_booking_and_a_wrong_token_does_not(client, booking):
    sms = Message.objects.get(template="pickup_booked")
    link = tracking_links.pickup_link(booking.code, booking.pk)
    assert link in sms.body
    page = client.get(link.removeprefix("http://127.0.0.1:8000")).content.decode()
    assert MASKED in page and 'name="proof"' in page
    wrong = client.get(TRACK, {"code": booking.code, "t": "A" * 16})
    assert MASKED not in wrong.content.decode()
    # A booking's token is not a dossier's: the same id under another name.
    assert tracking_links.pickup_token_for(booking.pk) != tracking_links.token_for(booking.pk)


def test_digit_guesses_on_a_booking_code_are_limited(client, booking):
    for n in range(10):
        assert look_up(client, booking.code, f"{n:04d}").status_code == 404
    limited = look_up(client, booking.code, PHONE[-4:])
    assert limited.status_code == 429 and MASKED not in limited.content.decode()


def test_the_api_answers_a_booking_with_the_same_proof(client, booking):
    assert client.get(f"/api/v1/track/{booking.code}").status_code == 404
    answer = client.get(f"/api/v1/track/{booking.code}", {"phone_last4": PHONE[-4:]}).json()
    assert answer["scope"] == "pickup" and answer["applicant"] == MASKED
    assert answer["can_change"] is True and answer["postman"] == ""


def test_the_page_says_who_comes_once_a_postman_is_assigned(
    client, booking, supervisor_a, postman_a
):
    before = look_up(client, booking.code, PHONE[-4:]).content.decode()
    assert "Chưa có bưu tá" in before
    assign(booking, supervisor_a, postman_a)
    after = look_up(client, booking.code, PHONE[-4:]).content.decode()
    assert "Chưa có bưu tá" not in after and "khi có bưu tá" not in after
    assert postman_a.full_name in after and "11/03/2026" in after
    assert "Đã phân công bưu tá" in after  # the step, with its time


# -- cancelling and moving -------------------------------------------------------------------


def test_the_holder_cancels_and_the_postman_and_supervisor_are_told(
    client, booking, supervisor_a, postman_a, staff_reachable
):
    assign(booking, supervisor_a, postman_a)
    proof = proof_on(look_up(client, booking.code, PHONE[-4:]).content.decode())
    response = client.post(CHANGE, {"proof": proof, "action": "cancel"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.CANCELLED
    event = AuditEvent.objects.get(action="pickup.cancelled_by_citizen")
    assert event.details["channel"] == "tracking" and event.object_id == str(booking.pk)
    assert Message.objects.filter(template="pickup_cancelled", recipient="+84987654321").exists()
    told = set(
        Message.objects.filter(template="pickup_changed_staff").values_list("recipient", flat=True)
    )
    assert told == {"+84911000111", "postman@example.com", "supervisor@example.com"}
    page = client.get(response["Location"]).content.decode()
    assert "đã bị hủy" in page or "đã hủy" in page
    assert 'name="proof"' not in page  # nothing left to change


def test_the_holder_moves_it_under_the_rules_of_a_booking(client, world, booking, staff_reachable):
    CalendarAdjustment.objects.create(
        date=FRIDAY, kind=CalendarAdjustment.Kind.DAY_OFF, province=world.province
    )
    proof = proof_on(look_up(client, booking.code, PHONE[-4:]).content.decode())

    def move(day, window="afternoon"):
        return client.post(
            CHANGE, {"proof": proof, "action": "move", "date": day.isoformat(), "window": window}
        )

    for day in (SUNDAY, FRIDAY, TUESDAY, TUESDAY + timedelta(days=30)):
        refused = move(day)
        assert refused.status_code == 400, day
        # What was typed stays, with the reason beside it.
        assert f'value="{day.isoformat()}"' in refused.content.decode()
    booking.refresh_from_db()
    assert (booking.date, booking.window) == (WEDNESDAY, "morning")

    assert move(THURSDAY).status_code == 302
    booking.refresh_from_db()
    assert (booking.date, booking.window) == (THURSDAY, "afternoon")
    event = AuditEvent.objects.get(action="pickup.moved_by_citizen")
    assert event.details["from"]["date"] == WEDNESDAY.isoformat()
    assert event.details["to"] == {"date": THURSDAY.isoformat(), "window": "afternoon"}
    assert Message.objects.filter(template="pickup_moved").exists()
    assert Message.objects.filter(
        template="pickup_changed_staff", recipient="supervisor@example.com"
    ).exists()


def test_a_full_window_cannot_be_moved_to_nor_booked(client, world, booking, settings):
    settings.PICKUP_CAPACITY_PER_WINDOW = 1
    other = actions.book_pickup(
        procedure=booking.procedure,
        name="Trần Văn Tư",
        phone="0987000111",
        address="Số 3 Hùng Vương",
        commune=world.commune_a,
        day=THURSDAY,
        window="afternoon",
    )
    with pytest.raises(actions.PickupError):
        actions.book_pickup(
            procedure=booking.procedure,
            name="Lê Văn Năm",
            phone="0987000222",
            address="Số 5 Hùng Vương",
            commune=world.commune_a,
            day=THURSDAY,
            window="afternoon",
        )
    proof = proof_on(look_up(client, booking.code, PHONE[-4:]).content.decode())
    full = client.post(
        CHANGE,
        {"proof": proof, "action": "move", "date": THURSDAY.isoformat(), "window": "afternoon"},
    )
    assert full.status_code == 400 and "không còn bưu tá" in full.content.decode()
    booking.refresh_from_db()
    assert booking.date == WEDNESDAY
    # A cancelled booking frees its place.
    actions.cancel_pickup(other.pk, channel="account")
    assert actions.move_pickup(booking.pk, THURSDAY, "afternoon", channel="account")


def test_no_change_once_the_postman_sets_out(client, booking, supervisor_a, postman_a):
    assign(booking, supervisor_a, postman_a)
    with time_machine.travel("2026-03-11 07:20 +07:00"):
        proof = proof_on(look_up(client, booking.code, PHONE[-4:]).content.decode())
    with time_machine.travel("2026-03-11 07:31 +07:00"):
        page = look_up(client, booking.code, PHONE[-4:]).content.decode()
        assert 'name="proof"' not in page and "đang trên đường" in page
        refused = client.post(CHANGE, {"proof": proof, "action": "cancel"})
    assert refused.status_code == 400
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.ASSIGNED
    assert not AuditEvent.objects.filter(action="pickup.cancelled_by_citizen").exists()


def test_a_forged_or_expired_proof_changes_nothing(client, booking):
    forged = signing.dumps({"b": booking.pk}, salt="another purpose")
    assert client.post(CHANGE, {"proof": forged, "action": "cancel"}).status_code == 403
    proof = pickup_tracking.proof_for(booking)
    with time_machine.travel("2026-03-10 09:45 +07:00"):
        expired = client.post(CHANGE, {"proof": proof, "action": "cancel"})
    assert expired.status_code == 403
    booking.refresh_from_db()
    assert booking.status == PickupBooking.Status.REQUESTED


def test_collection_days_skip_sundays_and_holidays(world):
    assert not scheduling.is_collection_day(SUNDAY, world.province.pk)
    assert not scheduling.is_collection_day(REUNIFICATION_DAY, world.province.pk)
    assert scheduling.is_collection_day(date(2026, 3, 14), world.province.pk)  # a Saturday
