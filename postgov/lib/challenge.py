"""A challenge that slows automated form posts, served by us alone (no outside service:
there is no network to one, here or in production).

Chosen: a proof of work. The server hands out a signed challenge carrying a random seed;
the browser's `static/js/challenge.js` searches for a number that makes
SHA-256(seed ":" number) start with `CHALLENGE_BITS` zero bits (2^16 hashes on average by
default: well under a second on a computer, a second or two on an old phone) and posts
it; the server checks it with one hash. Nothing to read, hear, type
or drag, so it is as usable with a screen reader, a keyboard or shaking hands as without
(image and audio puzzles are not). Without JavaScript the same challenge is passed by
waiting `CHALLENGE_WAIT_SECONDS` from when it was handed out before sending it back.

It raises the cost of each automated attempt (computing time, or waiting time) — it does
not stop a determined robot alone; the hard limits per address and per phone number do
that. A challenge is bound to its purpose and to the client (`network_key`), lives ten
minutes and is accepted once.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from postgov.lib.sealing import keyed_hash

SALT = "postgov.lib.challenge"
MAX_AGE_SECONDS = 10 * 60
CLIENT_PURPOSE = "challenge-client"


@dataclass(frozen=True)
class Challenge:
    token: str
    seed: str
    bits: int
    wait_seconds: int


@dataclass(frozen=True)
class Verdict:
    passed: bool
    # Without a proof of work: how long to wait still before sending it back.
    wait_seconds: int = 0


def _client(client: str) -> str:
    return keyed_hash(client or "", CLIENT_PURPOSE)[:16]


def issue(purpose: str, client: str) -> Challenge:
    bits, wait = settings.CHALLENGE_BITS, settings.CHALLENGE_WAIT_SECONDS
    seed = secrets.token_urlsafe(12)
    payload = {
        "n": seed,
        "p": purpose,
        "c": _client(client),
        "b": bits,
        "w": wait,
        "t": int(time.time()),
    }
    token = signing.dumps(payload, salt=SALT)
    return Challenge(token=token, seed=seed, bits=bits, wait_seconds=wait)


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(seed: str, bits: int) -> str:
    """What the browser's script computes (for tests and tools)."""
    number = 0
    while leading_zero_bits(hashlib.sha256(f"{seed}:{number}".encode()).digest()) < bits:
        number += 1
    return str(number)


def check(token: str, answer: str, purpose: str, client: str) -> Verdict:
    """Whether `answer` solves `token` (or, with no answer, enough time has passed), for
    this purpose and client; a challenge passes once."""
    if not token or len(token) > 500 or len(answer or "") > 20:
        return Verdict(False)
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # also an expired one
        return Verdict(False)
    if not isinstance(data, dict) or data.get("p") != purpose or data.get("c") != _client(client):
        return Verdict(False)
    if answer:
        if not answer.isdigit():
            return Verdict(False)
        digest = hashlib.sha256(f"{data.get('n')}:{answer}".encode()).digest()
        if leading_zero_bits(digest) < int(data.get("b", 256)):
            return Verdict(False)
    else:
        waited = time.time() - int(data.get("t", 0))
        still = int(data.get("w", 0)) - waited
        if still > 0:
            return Verdict(False, wait_seconds=math.ceil(still))
    # Accepted once: the nonce is spent for as long as the challenge could live.
    if not cache.add(f"challenge-spent:{data.get('n')}", 1, timeout=MAX_AGE_SECONDS + 5):
        return Verdict(False)
    return Verdict(True)
