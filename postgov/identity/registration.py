"""Self-registration, step by step, without an account until the phone answers.

1. The form: what was typed is kept as a *pending registration* in the session (the
   password already hashed; nothing personal in any address). No account yet.
2. After `REGISTER_CHALLENGE_AFTER` posts of the form from one client in an hour, each
   further one passes the challenge (`lib/challenge.py`) before any SMS goes out.
3. The code is sent, within the limits: `REGISTER_PER_ADDRESS_PER_HOUR` codes for
   registrations from one client (`netkeys.network_key`: an IPv6 /64 is one) and
   `REGISTER_PER_PHONE_PER_DAY` to one number (counted under a keyed hash of the
   number); a refusal is audited.
4. The code comes back: the account is created, its phone verified, and logged in.

Each form post replaces the pending registration, so a challenge passed or a code sent
counts for that one only; "send a new code" goes only to the number a code already went
to, within the same limits.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from postgov.audit.actions import client_ip
from postgov.identity import actions, otp
from postgov.lib import ratelimit
from postgov.lib.netkeys import network_key

SESSION_KEY = "postgov_registering"
PENDING_SECONDS = 30 * 60
CODE_PURPOSE = "verify_phone"
CHALLENGE_PURPOSE = "register"
FIELDS = (
    "username",
    "full_name",
    "gender",
    "birth_date",
    "declared_id_number",
    "phone",
    "email",
    "permanent_address",
    "permanent_commune",
    "current_address",
    "current_commune",
)


class Refused(Exception):
    """A limit holds this registration back; the message says which, in the page's
    language."""


def client(request) -> str:
    return network_key(client_ip(request)) or "unknown"


def pending(request) -> dict | None:
    """The pending registration of this browser, if it is still fresh."""
    state = request.session.get(SESSION_KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return None
    return state


def keep(request, cleaned: dict, password: str, next_url: str) -> dict:
    """Keep what the form received as the pending registration (replacing any earlier
    one). An empty `password` keeps the one chosen before."""
    previous = pending(request) or {}
    data: dict[str, object] = {}
    for name in FIELDS:
        value = cleaned.get(name)
        if value is None:
            data[name] = ""
        elif name == "birth_date":
            data[name] = value.isoformat()
        elif name.endswith("_commune"):
            data[name] = value.pk
        else:
            data[name] = value
    state = {
        "data": data,
        "password": make_password(password) if password else previous.get("password", ""),
        "next": next_url,
        "at": int(time.time()),
        "code": None,
    }
    request.session[SESSION_KEY] = state
    return state


def initial(state: dict | None) -> dict:
    """The form's fields as they were typed (the password excepted)."""
    if not state:
        return {}
    data = dict(state["data"])
    data["birth_date"] = "/".join(reversed(data["birth_date"].split("-")))
    return data


def discard(request) -> None:
    request.session.pop(SESSION_KEY, None)


def count_post(request) -> int:
    """Count one post of the registration form from this client; the count this hour."""
    return ratelimit.incr("register-post", client(request), 3600)


def needs_challenge(posts: int) -> bool:
    return posts > settings.REGISTER_CHALLENGE_AFTER


def send_code(request, state: dict) -> None:
    """Send the phone a code (a new one replaces the last), within the limits; raises
    Refused."""
    phone = state["data"]["phone"]
    address = client(request)
    if ratelimit.count("register-sms", address, 3600) >= settings.REGISTER_PER_ADDRESS_PER_HOUR:
        actions.note_registration_refused(request, "address")
        raise Refused(
            _(
                "Too many registrations from your connection. Please try again in an hour, "
                "or register at a post office counter."
            )
        )
    if ratelimit.count("register-phone", phone, 86400) >= settings.REGISTER_PER_PHONE_PER_DAY:
        actions.note_registration_refused(request, "phone")
        raise Refused(
            _(
                "Too many codes were sent to this number today. Please try again tomorrow, "
                "or register at a post office counter."
            )
        )
    ratelimit.incr("register-sms", address, 3600)
    ratelimit.incr("register-phone", phone, 86400)
    try:
        state["code"] = otp.send_pending_code(CODE_PURPOSE, "sms", phone)
    except otp.TooManyCodes:
        actions.note_registration_refused(request, "phone")
        raise Refused(_("Too many codes were sent to this number. Please wait an hour.")) from None
    request.session[SESSION_KEY] = state


def complete(request, state: dict, code: str):
    """The account, when `code` is the one sent; None when it is not. Raises
    actions.UsernameTaken when the username went to someone else meanwhile."""
    if not state.get("code") or not otp.check_pending_code(state["code"], CODE_PURPOSE, code):
        return None
    user = actions.register_citizen(request, state["data"], state["password"])
    discard(request)
    return user
