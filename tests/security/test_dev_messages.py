"""A demo user reads the SMS code a login asks for on the development "sent messages"
page, linked from the printed demo logins: the development gateways keep what they
handed over, in full, even when the outbox row keeps the code masked. Outside
development the page does not exist and the gateways keep nothing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from postgov.identity import otp
from postgov.identity.demo import demo_logins_text
from postgov.notify.models import DevelopmentDelivery, Message
from postgov.notify.tasks import send_message

PAGE = reverse("notify:sent_messages")


@pytest.fixture
def development(settings):
    settings.DEV = True


def sent(user) -> Message:
    otp.send_code(user, "login", "sms", user.phone)
    message = Message.objects.filter(template="identity_code").latest("id")
    send_message.call(message.pk)
    return message


def codes_on(page: str) -> list[str]:
    return re.findall(r"ma xac thuc cua ban la (\d{6})", page)


def test_the_page_shows_the_code_the_gateway_sent_newest_first(client, citizen, development):
    first = sent(citizen)
    # However the outbox keeps the row (a code is masked once sent), the page shows what
    # the development gateway handed over.
    Message.objects.filter(pk=first.pk).update(body="PostGov: ma xac thuc cua ban la ******")
    sent(citizen)
    response = client.get(PAGE)
    assert response["Cache-Control"] == "no-store"
    newest, older = codes_on(response.content.decode())
    assert newest != older
    # The newest is the one the login takes.
    assert otp.check_code(citizen, "login", newest, destination=citizen.phone)


def test_e_mails_are_there_too(client, citizen, development):
    otp.send_code(citizen, "verify_email", "email", citizen.email)
    send_message.call(Message.objects.latest("id").pk)
    delivery = DevelopmentDelivery.objects.get()
    assert delivery.channel == "email" and delivery.recipient == citizen.email
    assert delivery.body in client.get(PAGE).content.decode().replace("<br>", "\n")


def test_the_printed_demo_logins_link_to_it(development):
    assert "/dev/messages/" in demo_logins_text()


def test_outside_development_there_is_no_page_and_nothing_is_kept(client, citizen, settings):
    settings.DEV = False
    sent(citizen)
    assert not DevelopmentDelivery.objects.exists()
    assert client.get(PAGE).status_code == 404
