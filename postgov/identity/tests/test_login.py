"""Login, throttling and session timeouts, as the staff experience them."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from tests.personas import PASSWORD, totp_code

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"


def post_login(client, username, password, address="10.0.0.1", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address
    )


def second_step(client, code=None, address="10.0.0.1"):
    return client.post(
        VERIFY,
        {"method": "totp", "code": code or totp_code(), "action": "verify"},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_login_page_renders_in_vietnamese(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "Đăng nhập" in response.content.decode()


def test_clerk_logs_in_with_password_then_code_and_lands_home(client, clerk_a):
    response = post_login(client, "clerk_a", PASSWORD)
    assert response.status_code == 302
    assert response.url == VERIFY
    # Not logged in yet: the second factor is mandatory for staff.
    assert client.get(reverse("identity:account")).status_code == 302
    response = second_step(client)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert AuditEvent.objects.filter(action="auth.login", actor_id=clerk_a.pk).exists()


def test_wrong_password_gets_a_neutral_message_and_keeps_the_username(client, clerk_a):
    response = post_login(client, "clerk_a", "wrong password")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="clerk_a"' in body
    # The same message for an unknown account and a wrong password.
    unknown = post_login(client, "nobody_here", "wrong password").content.decode()
    assert _error_text(body) == _error_text(unknown)
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_id=clerk_a.pk).exists()


def _error_text(body: str) -> str:
    start = body.index('class="alert alert-danger"')
    return body[start : body.index("</div>", start)]


def test_login_refuses_foreign_next_url(client, clerk_a):
    post_login(client, "clerk_a", PASSWORD, next="https://evil.example/")
    assert second_step(client).url == reverse("home")


def test_attacker_is_slowed_but_owner_elsewhere_is_not(client, clerk_a, settings):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    for _ in range(4):
        post_login(client, "clerk_a", "guess", address="203.0.113.9")
    # The attacker's address must now wait, even with the right password.
    throttled = post_login(client, "clerk_a", PASSWORD, address="203.0.113.9")
    assert throttled.status_code == 200
    assert "alert-warning" in throttled.content.decode()
    # The clerk at the counter, on another address, goes on at once.
    owner = post_login(client, "clerk_a", PASSWORD, address="10.1.1.1")
    assert owner.status_code == 302
    assert owner.url == VERIFY


def test_password_sprayer_is_slowed_across_accounts(client, world, settings):
    settings.LOGIN_THROTTLE_ADDRESS_FREE = 5
    for name in ["clerk_a", "clerk_b", "postman_a", "supervisor_a", "receiver_a", "officer_a"]:
        post_login(client, name, "Summer2026", address="198.51.100.7")
    response = post_login(client, "auditor_qt", PASSWORD, address="198.51.100.7")
    assert "alert-warning" in response.content.decode()


def test_idle_session_ends(client, clerk_a, settings):
    client.force_login(clerk_a)
    session = client.session
    session["postgov_session_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session["postgov_session_started"] = int(time.time()) - 100
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.session_timeout").exists()


def test_absolute_session_timeout_ends_even_an_active_session(client, clerk_a, settings):
    client.force_login(clerk_a)
    session = client.session
    session["postgov_session_seen"] = int(time.time())
    session["postgov_session_started"] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    session.save()
    assert client.get(reverse("home")).status_code == 302


def test_password_change_requires_login_and_is_audited(client, clerk_a):
    url = reverse("identity:password_change")
    assert client.get(url).status_code == 302
    client.force_login(clerk_a)
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_changed", actor_id=clerk_a.pk).exists()


def test_password_change_with_errors_keeps_the_form(client, clerk_a):
    client.force_login(clerk_a)
    response = client.post(
        reverse("identity:password_change"),
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
