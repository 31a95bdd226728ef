"""Login throttling keyed by account and client: IPv6 counted by /64, a ceiling per account
across addresses, and known devices (a browser that completed a login for the account)
kept working when others fail from elsewhere or behind the same post-office NAT."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from postgov.identity import throttle
from tests.clients import PostGovClient
from tests.personas import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("identity:login")
VERIFY = reverse("identity:login_verify")
NAT = "203.0.113.50"  # the post office's one public address
MORNING = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def attempt(client, username, password, address):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def throttled(response) -> bool:
    return response.status_code == 200 and bool(response.context.get("throttled"))


def full_login(client, username, address, clock) -> None:
    """Password and code: the browser becomes a known device of the account."""
    assert attempt(client, username, PASSWORD, address)["Location"] == VERIFY
    response = client.post(VERIFY, {"method": "totp", "code": totp_code()}, REMOTE_ADDR=address)
    assert response["Location"] == "/"
    assert throttle.DEVICE_COOKIE in response.cookies
    client.post(reverse("identity:logout"), REMOTE_ADDR=address)
    clock.shift(31)  # the next login needs a fresh code (a code is accepted once)


# -- IPv6 ------------------------------------------------------------------------------
def test_ipv6_addresses_of_one_64_count_as_one_client(client, clerk_a, settings):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    for n in range(1, 5):
        attempt(client, "clerk_a", "guess", f"2001:db8:1:2::{n:x}")
    # Rotating to another address of the same /64 does not help...
    assert throttled(attempt(client, "clerk_a", PASSWORD, "2001:db8:1:2:ffff::9"))
    # ...while another /64 is another client.
    assert attempt(client, "clerk_a", PASSWORD, "2001:db8:1:3::1")["Location"] == VERIFY


def test_a_sprayer_rotating_through_a_64_is_slowed(client, world, settings):
    settings.LOGIN_THROTTLE_ADDRESS_FREE = 5
    for n, name in enumerate(["clerk_a", "clerk_b", "postman_a", "supervisor_a", "receiver_a"]):
        attempt(client, name, "Summer2026", f"2001:db8:9:9::{n + 1:x}")
    assert throttled(attempt(client, "auditor_qt", PASSWORD, "2001:db8:9:9::abcd"))


# -- per-account ceiling ---------------------------------------------------------------
def test_guesses_spread_over_many_addresses_slow_the_account(client, clerk_a, settings):
    settings.LOGIN_THROTTLE_ACCOUNT_FREE = 5
    for n in range(1, 7):
        attempt(client, "clerk_a", "guess", f"198.51.100.{n}")  # one guess per address
    assert throttled(attempt(client, "clerk_a", PASSWORD, "198.51.100.200"))
    # Other accounts are not affected.
    assert attempt(client, "clerk_b", PASSWORD, "198.51.100.200")["Location"] == VERIFY


# -- known devices -------------------------------------------------------------------------
def test_a_known_device_is_not_slowed_by_failures_from_elsewhere(client, clerk_a, settings, clock):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    settings.LOGIN_THROTTLE_ACCOUNT_FREE = 5
    full_login(client, "clerk_a", NAT, clock)
    attacker = PostGovClient()
    for n in range(1, 10):
        attempt(attacker, "clerk_a", "guess", f"198.51.100.{n}")
        attempt(attacker, "clerk_a", "guess", NAT)
    # The attacker is slowed everywhere, even from the post office's address...
    assert throttled(attempt(attacker, "clerk_a", PASSWORD, NAT))
    assert throttled(attempt(attacker, "clerk_a", PASSWORD, "198.51.100.99"))
    # ...the clerk's own browser there goes on at once.
    assert attempt(client, "clerk_a", PASSWORD, NAT)["Location"] == VERIFY


def test_colleagues_behind_one_nat_do_not_lock_each_other_out(client, world, settings, clock):
    settings.LOGIN_THROTTLE_ADDRESS_FREE = 5
    full_login(client, "clerk_b", NAT, clock)
    others = PostGovClient()
    for name in ["clerk_a", "postman_a", "supervisor_a", "receiver_a", "officer_a", "clerk_a"]:
        attempt(others, name, "mistyped", NAT)
    # Anyone new at that address now waits; clerk_b's known browser does not.
    assert throttled(attempt(others, "auditor_qt", PASSWORD, NAT))
    assert attempt(client, "clerk_b", PASSWORD, NAT)["Location"] == VERIFY


def test_a_known_device_is_still_slowed_by_its_own_failures(client, clerk_a, settings, clock):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    full_login(client, "clerk_a", NAT, clock)
    for _ in range(4):
        attempt(client, "clerk_a", "guess", NAT)
    assert throttled(attempt(client, "clerk_a", PASSWORD, NAT))


def test_a_device_known_for_another_account_is_a_stranger(client, world, settings, clock):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    full_login(client, "clerk_b", NAT, clock)
    for _ in range(4):
        attempt(PostGovClient(), "clerk_a", "guess", NAT)
    # clerk_b's cookie says nothing about clerk_a: this browser waits like any other.
    assert throttled(attempt(client, "clerk_a", PASSWORD, NAT))


def test_a_forged_device_cookie_is_ignored(client, clerk_a, settings):
    settings.LOGIN_THROTTLE_PAIR_FREE = 3
    for _ in range(4):
        attempt(client, "clerk_a", "guess", NAT)
    client.cookies[throttle.DEVICE_COOKIE] = "eyJkIjoieCIsImEiOlsiKiJdfQ:forged:signature"
    assert throttled(attempt(client, "clerk_a", PASSWORD, NAT))


def test_the_device_cookie_is_long_lived_and_not_readable_by_scripts(client, clerk_a, clock):
    assert attempt(client, "clerk_a", PASSWORD, NAT)["Location"] == VERIFY
    response = client.post(VERIFY, {"method": "totp", "code": totp_code()}, REMOTE_ADDR=NAT)
    cookie = response.cookies[throttle.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 180 * 24 * 60 * 60
