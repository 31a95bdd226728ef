"""Registration and SMS pumping: each post of the registration form used to create an
account and send an SMS to any number. Now the account exists only once the phone's
code came back; codes are limited per client (an IPv6 /64 is one) and per number; after
repeated posts from one client a self-hosted challenge comes first; nothing personal
goes into addresses, cache keys or logs, and nothing typed is lost."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity import otp
from postgov.identity.models import User
from postgov.lib import challenge
from postgov.notify.models import Message
from tests.personas import PASSWORD

REGISTER = reverse("identity:register")
CHECK = reverse("identity:register_check")
VERIFY = reverse("identity:register_verify")
PHONE = "0987654321"
PASSWORD_TYPED = "mây trắng bay qua đồi"


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_challenge_unless_asked(settings):
    settings.REGISTER_CHALLENGE_AFTER = 100
    settings.CHALLENGE_BITS = 8


def form(world, n: int = 0, **over) -> dict:
    data = {
        "username": f"tran.an{n or ''}",
        "full_name": "Trần Văn An",
        "gender": "male",
        "birth_date": "17/05/1990",
        "declared_id_number": "045090123456",
        "phone": PHONE,
        "email": "",
        "permanent_address": "1 Lê Lợi",
        "permanent_commune": world.commune_a.pk,
        "current_address": "1 Lê Lợi",
        "current_commune": world.commune_a.pk,
        "password1": PASSWORD_TYPED,
        "password2": PASSWORD_TYPED,
    }
    data.update(over)
    return data


def sms_to(phone: str) -> list[Message]:
    return list(Message.objects.filter(recipient=phone, template="identity_code"))


def last_code(phone: str) -> str:
    body = Message.objects.filter(recipient=phone).latest("created_at").outgoing()[1]
    return body.split("la ")[1][:6]


# -- no account before the phone answers ------------------------------------------------------
def test_the_account_is_created_only_once_the_phone_code_comes_back(client, world):
    response = client.post(REGISTER, form(world))
    assert response["Location"] == VERIFY
    assert not User.objects.filter(username="tran.an").exists()
    assert client.post(VERIFY, {"code": "000000"}).status_code == 200
    assert not User.objects.filter(username="tran.an").exists()
    client.post(VERIFY, {"code": last_code(PHONE)})
    user = User.objects.get(username="tran.an")
    assert user.phone_verified_at is not None and user.check_password(PASSWORD_TYPED)
    assert AuditEvent.objects.filter(action="identity.registered", actor_id=user.pk).exists()


def test_posting_the_form_again_and_again_creates_no_accounts(client, world):
    for n in range(4):
        fresh = Client()
        fresh.post(REGISTER, form(world, n, phone=f"098765432{n}"))
    assert not User.objects.filter(username__startswith="tran.an").exists()


def test_a_code_is_tried_five_times_at_most_even_in_parallel(client, world, settings):
    settings.IDENTITY_OTP_MAX_ATTEMPTS = 5
    client.post(REGISTER, form(world))
    right = last_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    # Concurrent requests each holding the session as it was before any attempt: the
    # count is kept in the shared cache, not in each request's copy of the session.
    state = client.session["postgov_registering"]
    for _ in range(5):
        assert not otp.check_pending_code(dict(state["code"]), "verify_phone", wrong)
    assert not otp.check_pending_code(dict(state["code"]), "verify_phone", right)
    client.post(VERIFY, {"code": right})
    assert not User.objects.filter(username="tran.an").exists()


# -- limits per number and per client ----------------------------------------------------------
def test_codes_to_one_number_are_limited(world, settings):
    settings.REGISTER_PER_PHONE_PER_DAY = 2
    statuses = []
    for n in range(3):
        person = Client(REMOTE_ADDR=f"198.51.100.{n + 1}")
        response = person.post(REGISTER, form(world, n))
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    assert len(sms_to(PHONE)) == 2
    page = response.content.decode()
    assert 'value="Trần Văn An"' in page and 'value="tran.an2"' in page  # nothing lost
    refused = AuditEvent.objects.get(action="identity.registration_refused")
    assert refused.details == {"reason": "phone"} and PHONE not in str(refused.details)


def test_asking_for_new_codes_counts_against_the_number(client, world, settings):
    settings.REGISTER_PER_PHONE_PER_DAY = 3
    client.post(REGISTER, form(world))
    statuses = [client.post(VERIFY, {"action": "resend"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(sms_to(PHONE)) == 3


def test_registrations_from_one_client_are_limited_and_an_ipv6_64_is_one(world, settings):
    settings.REGISTER_PER_ADDRESS_PER_HOUR = 2
    statuses = []
    for n in range(3):
        person = Client(REMOTE_ADDR=f"2001:db8:77:1::{n + 1}")
        statuses.append(person.post(REGISTER, form(world, n, phone=f"09876543{n}0")).status_code)
    assert statuses == [302, 302, 429]
    elsewhere = Client(REMOTE_ADDR="2001:db8:77:2::1")
    assert elsewhere.post(REGISTER, form(world, 9, phone="0987654399")).status_code == 302
    assert Message.objects.filter(template="identity_code").count() == 3


def test_one_number_gets_few_codes_whatever_the_account(world, citizen, outsider, settings):
    settings.IDENTITY_OTP_PER_DESTINATION_PER_HOUR = 2
    otp.send_code(citizen, "login", "sms", PHONE)
    otp.send_code(outsider, "login", "sms", PHONE)
    with pytest.raises(otp.TooManyCodes):
        otp.send_code(citizen, "recovery", "sms", PHONE)
    with pytest.raises(otp.TooManyCodes):
        otp.send_pending_code("verify_phone", "sms", PHONE)


# -- the challenge -------------------------------------------------------------------------------
def test_after_repeated_posts_a_challenge_comes_before_any_sms(client, world, settings):
    settings.REGISTER_CHALLENGE_AFTER = 2
    for n in range(2):
        assert client.post(REGISTER, form(world, n, phone=f"09876543{n}0")).status_code == 302
    response = client.post(REGISTER, form(world, 5, phone="0987654355"))
    assert response["Location"] == CHECK
    assert not sms_to("0987654355")
    # the code page cannot be reached around the check, nor a code sent from it
    assert client.get(VERIFY)["Location"] == CHECK
    assert client.post(VERIFY, {"action": "resend"})["Location"] == CHECK
    page = client.get(CHECK)
    token = page.context["challenge"].token
    wrong = client.post(CHECK, {"challenge": token, "challenge_answer": "x"})
    assert wrong.status_code == 400 and not sms_to("0987654355")
    fresh = client.get(CHECK).context["challenge"]
    answer = challenge.solve(fresh.seed, fresh.bits)
    passed = client.post(CHECK, {"challenge": fresh.token, "challenge_answer": answer})
    assert passed["Location"] == VERIFY and len(sms_to("0987654355")) == 1
    # a solved challenge is spent: the next registration from here needs a new one
    client.post(REGISTER, form(world, 6, phone="0987654366"))
    again = client.post(CHECK, {"challenge": fresh.token, "challenge_answer": answer})
    assert again.status_code == 400 and not sms_to("0987654366")


def test_without_javascript_the_challenge_is_a_wait(client, world, settings, time_machine):
    settings.REGISTER_CHALLENGE_AFTER = 0
    settings.CHALLENGE_WAIT_SECONDS = 20
    time_machine.move_to("2026-03-10 09:00:00+07:00", tick=False)
    client.post(REGISTER, form(world))
    token = client.get(CHECK).context["challenge"].token
    early = client.post(CHECK, {"challenge": token, "challenge_answer": ""})
    assert early.status_code == 400 and "20" in early.content.decode()
    assert not sms_to(PHONE)
    # The page handed out a fresh challenge with its message; 20 s after it, it passes.
    token = early.context["challenge"].token
    time_machine.move_to("2026-03-10 09:00:12+07:00", tick=False)
    assert client.post(CHECK, {"challenge": token, "challenge_answer": ""}).status_code == 400
    time_machine.move_to("2026-03-10 09:00:21+07:00", tick=False)
    token = client.get(CHECK).context["challenge"].token  # handed out at 09:00:21
    time_machine.move_to("2026-03-10 09:00:42+07:00", tick=False)
    assert client.post(CHECK, {"challenge": token, "challenge_answer": ""})["Location"] == VERIFY
    assert len(sms_to(PHONE)) == 1


def test_a_challenge_solved_for_one_client_does_not_serve_another(world, settings):
    settings.REGISTER_CHALLENGE_AFTER = 0
    solver = Client(REMOTE_ADDR="203.0.113.1")
    solver.post(REGISTER, form(world, 1, phone="0987654311"))
    issued = solver.get(CHECK).context["challenge"]
    answer = challenge.solve(issued.seed, issued.bits)
    other = Client(REMOTE_ADDR="203.0.113.2")
    other.post(REGISTER, form(world, 2, phone="0987654322"))
    response = other.post(CHECK, {"challenge": issued.token, "challenge_answer": answer})
    assert response.status_code == 400 and not sms_to("0987654322")


# -- nothing lost, nothing personal exposed --------------------------------------------------
def test_going_back_keeps_what_was_typed_and_the_password(client, world):
    client.post(REGISTER, form(world, phone="0987 654 300"))
    page = client.get(REGISTER).content.decode()
    assert 'value="Trần Văn An"' in page and 'value="0987654300"' in page
    assert PASSWORD_TYPED not in page
    corrected = form(world, phone=PHONE, password1="", password2="")
    assert client.post(REGISTER, corrected)["Location"] == VERIFY
    client.post(VERIFY, {"code": last_code(PHONE)})
    user = User.objects.get(username="tran.an")
    assert user.phone == PHONE and user.check_password(PASSWORD_TYPED)


def test_a_username_taken_meanwhile_sends_back_to_the_form(client, world):
    client.post(REGISTER, form(world))
    User.objects.create_user("Tran.An", password=PASSWORD)
    response = client.post(VERIFY, {"code": last_code(PHONE)})
    assert response["Location"] == REGISTER
    page = client.get(REGISTER).content.decode()
    assert 'value="Trần Văn An"' in page
    assert User.objects.filter(username__iexact="tran.an").count() == 1


def test_nothing_personal_in_addresses_cache_keys_or_logs(client, world, caplog, settings):
    settings.REGISTER_CHALLENGE_AFTER = 1
    with caplog.at_level(logging.DEBUG):
        first = client.post(REGISTER, form(world))
        client.post(VERIFY, {"action": "resend"})
        second = client.post(REGISTER, form(world))
        issued = client.get(CHECK).context["challenge"]
        checked = client.post(
            CHECK,
            {"challenge": issued.token, "challenge_answer": challenge.solve(issued.seed, 8)},
        )
    for response in (first, second, checked):
        assert response["Location"] in (VERIFY, CHECK)
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM postgov_cache")
        keys = " ".join(row[0] for row in cursor.fetchall())
    assert PHONE not in keys and hashlib.sha256(PHONE.encode()).hexdigest()[:32] not in keys
    assert PHONE not in caplog.text and "Trần Văn An" not in caplog.text


def test_it_checks_access(client, world, citizen):
    # the later steps need a registration pending in this browser
    assert client.get(CHECK)["Location"] == REGISTER
    assert client.get(VERIFY)["Location"] == REGISTER
    assert client.post(VERIFY, {"code": "123456"})["Location"] == REGISTER
    client.force_login(citizen)
    assert client.get(REGISTER)["Location"] == reverse("identity:account")
