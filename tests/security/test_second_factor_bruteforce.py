"""Second-factor guessing: wrong codes are counted per account in the database, a correct
password does not reset the count, attempts back off and then stop, the holder is told,
everything is audited, and concurrent posts of one pending login cannot race the count."""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.identity.models import SecondFactorAttempts
from postgov.notify.models import Message
from tests.clients import PostGovClient
from tests.personas import PASSWORD, totp_code

LOGIN = reverse("identity:login")
VERIFY = reverse("identity:login_verify")
STEP_UP = reverse("identity:step_up")
MORNING = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def limits(settings):
    settings.IDENTITY_MFA_FREE_FAILURES = 3
    settings.IDENTITY_MFA_BACKOFF_SECONDS = 30
    settings.IDENTITY_MFA_MAX_FAILURES = 6
    settings.IDENTITY_MFA_STOP_SECONDS = 24 * 60 * 60
    # The login throttle is another mechanism: keep it out of the way here.
    settings.LOGIN_THROTTLE_PAIR_FREE = 1000
    settings.LOGIN_THROTTLE_ACCOUNT_FREE = 1000
    return settings


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def holder(clerk_a):
    """clerk_a, reachable by SMS and e-mail."""
    clerk_a.phone, clerk_a.phone_verified_at = "0912000222", timezone.now()
    clerk_a.email = "lan@example.com"
    clerk_a.save(update_fields=["phone", "phone_verified_at", "email"])
    return clerk_a


def password(client) -> None:
    response = client.post(LOGIN, {"username": "clerk_a", "password": PASSWORD})
    assert response["Location"] == VERIFY


def code(client, value: str):
    return client.post(VERIFY, {"method": "totp", "code": value})


def failures(user) -> int:
    row = SecondFactorAttempts.objects.filter(user=user).first()
    return row.failures if row else 0


def wait_out_the_backoff(clock, user) -> None:
    row = SecondFactorAttempts.objects.filter(user=user).first()
    if row is not None and row.next_attempt_at:
        clock.move_to(row.next_attempt_at + datetime.timedelta(seconds=1))


@pytest.mark.django_db
def test_a_correct_password_does_not_reset_the_count(client, holder, limits, clock):
    """The reported loop: password, a few wrong codes, password again..."""
    for n in range(1, 6):
        password(client)  # a fresh pending login every time
        wait_out_the_backoff(clock, holder)
        response = code(client, "000000")
        assert response.status_code == 200
        assert failures(holder) == n
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 5


@pytest.mark.django_db
def test_attempts_back_off_after_the_free_ones(client, holder, limits, clock):
    password(client)
    for _ in range(3):
        code(client, "000000")
    assert failures(holder) == 3
    # Within the wait even the right code is not checked, and not counted.
    response = code(client, totp_code())
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    assert failures(holder) == 3
    clock.shift(29)
    assert code(client, totp_code()).status_code == 200
    clock.shift(2)
    # After the wait the right code logs in and the count starts again.
    assert code(client, totp_code())["Location"] == "/"
    assert failures(holder) == 0


@pytest.mark.django_db
def test_the_waits_double(client, holder, limits, clock):
    password(client)
    waits = []
    for _ in range(5):
        wait_out_the_backoff(clock, holder)
        code(client, "000000")
        row = SecondFactorAttempts.objects.get(user=holder)
        left = row.next_attempt_at - timezone.now() if row.next_attempt_at else None
        waits.append(int(left.total_seconds()) if left else 0)
    assert waits == [0, 0, 30, 60, 120]


@pytest.mark.django_db
def test_attempts_stop_at_the_limit_and_the_holder_is_told(client, holder, limits, clock):
    holder.sms_login = True
    holder.save(update_fields=["sms_login"])
    for _ in range(6):
        password(client)
        wait_out_the_backoff(clock, holder)
        response = code(client, "000000")
    # The sixth failure stopped the second factor: back to the password, with a message.
    assert response["Location"] == LOGIN
    row = SecondFactorAttempts.objects.get(user=holder)
    assert row.stopped_at is not None
    assert row.stopped_until == timezone.now() + datetime.timedelta(days=1)
    stopped = AuditEvent.objects.filter(action="mfa.attempts_stopped", object_id=str(holder.pk))
    assert stopped.count() == 1
    told = Message.objects.filter(template="identity_second_factor_stopped")
    assert {m.recipient for m in told} == {holder.phone, holder.email}
    # Until when: a day after the stop, which came after the waits (30 + 60 + 120 s).
    assert "09:03 11/03/2026" in told.get(channel="sms").body
    # A day less a minute later: the password still works, the right code does not.
    clock.shift(24 * 60 * 60 - 60)
    password(client)
    response = code(client, totp_code())
    assert response["Location"] == LOGIN and "_auth_user_id" not in client.session
    # No SMS codes are sent for a stopped account either.
    password(client)
    client.post(VERIFY, {"action": "send_sms"})
    assert not Message.objects.filter(template="identity_code").exists()
    # The stop runs out.
    clock.shift(120)
    password(client)
    assert code(client, totp_code())["Location"] == "/"
    assert failures(holder) == 0


@pytest.mark.django_db
def test_an_administrator_lifts_the_stop(client, holder, limits, clock):
    limits.IDENTITY_MFA_STOP_SECONDS = 0  # until lifted
    for _ in range(6):
        password(client)
        wait_out_the_backoff(clock, holder)
        code(client, "000000")
    clock.shift(30 * 24 * 60 * 60)
    password(client)
    assert code(client, totp_code())["Location"] == LOGIN
    call_command("mfa_lift_stop", "clerk_a")
    assert AuditEvent.objects.filter(action="mfa.attempts_stop_lifted").exists()
    password(client)
    assert code(client, totp_code())["Location"] == "/"


@pytest.mark.django_db
def test_step_up_and_reauthentication_share_the_count(client, holder, limits, clock):
    password(client)
    code(client, "000000")
    client.force_login(holder)
    client.post(STEP_UP + "?next=/", {"method": "totp", "code": "000000"})
    client.post(
        reverse("identity:reauth") + "?next=/",
        {"password": PASSWORD, "method": "totp", "code": "000000"},
    )
    assert failures(holder) == 3
    # Another browser, another session: still the same account's count.
    other = PostGovClient()
    password(other)
    response = code(other, totp_code())
    assert response.status_code == 200 and failures(holder) == 3


@pytest.mark.django_db
def test_a_wrong_password_at_reauthentication_takes_no_second_factor_slot(
    client, holder, limits, clock
):
    client.force_login(holder)
    client.post(
        reverse("identity:reauth") + "?next=/",
        {"password": "not the password", "method": "totp", "code": "000000"},
    )
    assert failures(holder) == 0


# -- concurrent posts of one pending login ---------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_codes_of_one_pending_login_cannot_race_the_count(world, limits):
    """Twelve wrong codes posted at the same moment in one pending login: only the free
    slots are checked, each counted once; the rest are refused unchecked."""
    holder = world.clerk_a
    first = PostGovClient()
    password(first)
    browsers = []
    for _ in range(12):
        browser = PostGovClient()
        # The same session cookie: one pending login.
        browser.cookies.load({name: morsel.value for name, morsel in first.cookies.items()})
        browsers.append(browser)
    start = threading.Barrier(len(browsers))
    statuses, errors = [], []
    guard = threading.Lock()

    def post(browser):
        try:
            start.wait()
            response = code(browser, "000000")
            with guard:
                statuses.append(response.status_code)
        except BaseException as exc:  # noqa: BLE001 — reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert statuses == [200] * 12
    checked = AuditEvent.objects.filter(action="auth.second_factor_failed").count()
    assert checked == failures(holder) == 3
