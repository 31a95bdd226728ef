import hashlib

import pytest
from django.core.cache import cache

from postgov.lib import challenge


@pytest.fixture(autouse=True)
def _small_work(settings, db):
    settings.CHALLENGE_BITS = 8
    settings.CHALLENGE_WAIT_SECONDS = 20
    cache.clear()


def test_leading_zero_bits():
    assert challenge.leading_zero_bits(b"\xff") == 0
    assert challenge.leading_zero_bits(b"\x00\x01") == 15
    assert challenge.leading_zero_bits(b"\x00\x00") == 16
    assert challenge.leading_zero_bits(b"\x10") == 3


def test_a_solved_challenge_passes_once_for_its_purpose_and_client():
    issued = challenge.issue("register", "203.0.113.1")
    answer = challenge.solve(issued.seed, issued.bits)
    assert not challenge.check(issued.token, answer, "login", "203.0.113.1").passed
    assert not challenge.check(issued.token, answer, "register", "203.0.113.2").passed
    assert challenge.check(issued.token, answer, "register", "203.0.113.1").passed
    assert not challenge.check(issued.token, answer, "register", "203.0.113.1").passed


def test_a_wrong_or_forged_answer_fails():
    issued = challenge.issue("register", "c")
    answer = int(challenge.solve(issued.seed, issued.bits))
    wrong = next(
        str(n)
        for n in range(answer + 1, answer + 10_000)
        if challenge.leading_zero_bits(hashlib.sha256(f"{issued.seed}:{n}".encode()).digest())
        < issued.bits
    )
    assert not challenge.check(issued.token, wrong, "register", "c").passed
    assert not challenge.check(issued.token + "x", str(answer), "register", "c").passed
    assert not challenge.check("", "", "register", "c").passed
    assert not challenge.check(issued.token, "-1", "register", "c").passed


def test_without_an_answer_waiting_passes(time_machine):
    time_machine.move_to("2026-03-10 09:00:00+07:00", tick=False)
    issued = challenge.issue("register", "c")
    verdict = challenge.check(issued.token, "", "register", "c")
    assert not verdict.passed and verdict.wait_seconds == 20
    time_machine.move_to("2026-03-10 09:00:20+07:00", tick=False)
    assert challenge.check(issued.token, "", "register", "c").passed


def test_a_challenge_expires(time_machine):
    time_machine.move_to("2026-03-10 09:00:00+07:00", tick=False)
    issued = challenge.issue("register", "c")
    answer = challenge.solve(issued.seed, issued.bits)
    time_machine.move_to("2026-03-10 09:10:30+07:00", tick=False)
    assert not challenge.check(issued.token, answer, "register", "c").passed
