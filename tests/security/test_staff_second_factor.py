"""No staff session without a completed second factor: not through the admin's login, not
with a password-only session on any page, admin screen or API endpoint, not for a
citizen granted a role after logging in. SMS counts as a second factor only when the
account holder turned SMS codes at login on."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from postgov.audit.models import AuditEvent
from postgov.identity import authn, otp
from postgov.identity.models import Role, RoleAssignment
from postgov.notify.models import Message
from tests.clients import password_only_login
from tests.personas import PASSWORD, give_role, totp_code

pytestmark = pytest.mark.django_db

STEP_UP = reverse("identity:step_up")
LOGIN = reverse("identity:login")
# The only URLs a staff member with a password-only session may use: to finish the login
# or to leave it.
OPEN = {
    "identity:login",
    "identity:login_verify",
    "identity:login_enrol",
    "identity:step_up",
    "identity:logout",
    "identity:oidc_logout",
    "set_language",
    "healthz",
    "readyz",
}
STAFF_PAGES = [
    "/admin/",
    "/reports/",
    "/audit/",
    "/admin/identity/roleassignment/",
    "/dossiers/today/",
]


def _goes_to_second_factor(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(STEP_UP + "?next=")


# -- the admin's login ---------------------------------------------------------------------
def test_the_admin_password_form_gives_no_session(client, provincial_admin):
    """The reproduction: a password alone at /admin/login/, then /admin/."""
    response = client.post(
        "/admin/login/", {"username": "admin_qt", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    for page in STAFF_PAGES:
        assert client.get(page).status_code == 302, page


def test_the_admin_login_sends_to_postgov_login_and_back(client, provincial_admin):
    response = client.get("/admin/login/?next=/admin/identity/roleassignment/")
    assert response["Location"] == LOGIN + "?next=%2Fadmin%2Fidentity%2Froleassignment%2F"
    client.post(
        LOGIN,
        {"username": "admin_qt", "password": PASSWORD, "next": "/admin/identity/roleassignment/"},
    )
    response = client.post(
        reverse("identity:login_verify"), {"method": "totp", "code": totp_code()}
    )
    assert response["Location"] == "/admin/identity/roleassignment/"
    assert client.get("/admin/identity/roleassignment/").status_code == 200
    # Signed in with the second factor, the admin's login page just goes on.
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/admin/"


def test_the_admin_login_refuses_a_foreign_next(client, provincial_admin):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == LOGIN + "?next=%2Fadmin%2F"


def test_the_admin_login_refuses_outsiders(client, outsider, clerk_a):
    # Signed in but not an administrator: 403, not a loop back to the login.
    client.force_login(outsider)
    assert client.get("/admin/login/?next=/admin/").status_code == 403
    client.force_login(clerk_a)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


# -- password-only sessions ----------------------------------------------------------------
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_a_password_only_session_reaches_no_staff_page(client, provincial_admin, page):
    password_only_login(client, provincial_admin)
    response = client.get(page)
    assert _goes_to_second_factor(response), (page, response.status_code)
    assert response["Location"] == STEP_UP + "?next=" + page.replace("/", "%2F")


def test_a_password_only_session_calls_no_staff_api(client, clerk_a):
    password_only_login(client, clerk_a)
    for response in (
        client.get("/api/v1/dossiers/1"),
        client.post("/api/v1/dossiers/intakes", {}, content_type="application/json"),
        client.post("/api/v1/dossiers/1/actions/dispatch", {}, content_type="application/json"),
    ):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 403


def test_the_refusal_is_audited_once_per_session(client, clerk_a):
    password_only_login(client, clerk_a)
    client.get("/dossiers/today/")
    client.get("/reports/")
    events = AuditEvent.objects.filter(action="auth.second_factor_required", actor_id=clerk_a.pk)
    assert events.count() == 1


def test_the_second_factor_opens_the_staff_pages(client, provincial_admin):
    password_only_login(client, provincial_admin)
    page = client.get(STEP_UP + "?next=/reports/")
    assert page.status_code == 200 and page.context["for_staff"]
    response = client.post(
        STEP_UP + "?next=/reports/", {"method": "totp", "code": totp_code(), "next": "/reports/"}
    )
    assert response["Location"] == "/reports/"
    assert client.get("/reports/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_at_the_staff_step_up_opens_nothing(client, clerk_a):
    password_only_login(client, clerk_a)
    response = client.post(STEP_UP + "?next=/dossiers/today/", {"method": "totp", "code": "000000"})
    assert response.status_code == 200
    assert _goes_to_second_factor(client.get("/dossiers/today/"))


def test_a_citizen_granted_a_role_gives_a_second_factor_for_staff_pages(client, citizen, world):
    # Logged in as a citizen (no second factor of their own: a password is the login).
    response = client.post(LOGIN, {"username": "citizen", "password": PASSWORD})
    assert response["Location"] == "/"
    assert client.get(reverse("identity:account")).status_code == 200
    # A role (and an authenticator app) is given while the session lives on.
    give_role(citizen, Role.CLERK, service_point=world.point_a)
    assert _goes_to_second_factor(client.get("/dossiers/today/"))
    assert _goes_to_second_factor(client.get(reverse("identity:account")))
    client.post(STEP_UP, {"method": "totp", "code": totp_code(), "next": "/dossiers/today/"})
    assert client.get("/dossiers/today/").status_code == 200


def test_a_new_staff_member_without_a_factor_logs_in_again_to_enrol_one(client, citizen, world):
    citizen.phone_verified_at = None  # no factor of any kind
    citizen.save(update_fields=["phone_verified_at"])
    client.post(LOGIN, {"username": "citizen", "password": PASSWORD})
    RoleAssignment.objects.create(user=citizen, role=Role.CLERK, service_point=world.point_a)
    response = client.get("/dossiers/today/")
    assert response["Location"] == LOGIN + "?next=/dossiers/today/"
    assert "_auth_user_id" not in client.session
    response = client.post(
        LOGIN, {"username": "citizen", "password": PASSWORD, "next": "/dossiers/today/"}
    )
    assert response["Location"] == reverse("identity:login_enrol")


def test_django_staff_flags_need_the_second_factor_too(client, outsider):
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])
    password_only_login(client, outsider)
    # No factor to give: out, and the next login enrols an authenticator app.
    response = client.get(reverse("identity:account"))
    assert response["Location"] == LOGIN + "?next=/accounts/me/"
    assert "_auth_user_id" not in client.session


def test_citizens_are_not_asked(client, citizen):
    password_only_login(client, citizen)
    assert client.get(reverse("identity:account")).status_code == 200
    assert client.get("/api/v1/places/provinces").status_code == 200


def test_staff_who_gave_the_second_factor_work_as_before(client, clerk_a):
    client.force_login(clerk_a)
    assert client.session[authn.AUTH]["mfa_time"]
    assert client.get("/dossiers/today/").status_code == 200


# -- every URL of the site ------------------------------------------------------------------
def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _sample_path(route: str) -> str:
    """A path the route matches (object ids that do not exist: the check comes first)."""
    path = re.sub(r"\(\?P<\w+>([\w.-]+)(\|[^)]*)?\)", r"\1", route)  # first alternative
    path = re.sub(r"\(\?P<\w+>\.\*\)", "nothing-here", path)
    path = path.replace("^", "").replace("$", "")
    path = re.sub(r"<int:\w+>", "987654", path)
    path = re.sub(r"<(?:\w+:)?\w+>", "nothing-here", path)
    return "/" + path


ROUTES = sorted({_sample_path(route) for route in _walk(get_resolver().url_patterns)})


def test_the_walk_covers_pages_admin_and_api():
    expected = {"/admin/", "/reports/", "/api/v1/dossiers/intakes", "/admin/identity/user/"}
    assert expected <= set(ROUTES)
    assert len(ROUTES) > 200


@pytest.mark.parametrize("who", ["provincial_admin", "clerk_a", "agency_officer"])
def test_no_url_answers_a_password_only_staff_session(client, world, who):
    """Every URL pattern, GET and POST: the ones open to finish or leave the login aside,
    pages go to the second factor and API endpoints answer 403, so none answers with
    staff content."""
    password_only_login(client, getattr(world, who))
    answered = []
    for path in ROUTES:
        try:
            name = resolve(path).view_name
        except Exception:  # noqa: BLE001 — an unresolvable sample is refused like any path
            name = ""
        if name in OPEN:
            continue
        for method in (client.get, client.post):
            response = method(path)
            refused = (
                response.status_code == 403
                and response["Content-Type"] == "application/problem+json"
                if path.startswith("/api/")
                else _goes_to_second_factor(response)
            )
            if not refused:
                answered.append((method.__name__, path, response.status_code))
    assert not answered


def test_the_open_urls_only_finish_or_end_a_login(client, provincial_admin):
    password_only_login(client, provincial_admin)
    # The second-factor step itself shows its form, nothing else.
    page = client.get(STEP_UP + "?next=/admin/")
    assert page.status_code == 200 and "form" in page.context
    assert client.post(reverse("identity:logout"))["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


# -- SMS only when turned on --------------------------------------------------------------
@pytest.fixture
def phone_clerk(clerk_a):
    """A clerk with a verified phone who never turned SMS codes at login on."""
    from django.utils import timezone

    clerk_a.phone, clerk_a.phone_verified_at = "0912000111", timezone.now()
    clerk_a.save(update_fields=["phone", "phone_verified_at"])
    return clerk_a


def test_sms_is_not_a_factor_unless_turned_on(client, phone_clerk):
    client.post(LOGIN, {"username": "clerk_a", "password": PASSWORD})
    verify = reverse("identity:login_verify")
    assert "sms" not in client.get(verify).context["methods"]
    client.post(verify, {"action": "send_sms"})
    assert not Message.objects.filter(recipient=phone_clerk.phone).exists()
    # A code of that purpose, however it came to exist, does not log in.
    otp.send_code(phone_clerk, "login", "sms", phone_clerk.phone)
    code = Message.objects.get(recipient=phone_clerk.phone).outgoing()[1].split("la ")[1][:6]
    response = client.post(verify, {"method": "sms", "code": code})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_sms_is_a_factor_once_turned_on(client, phone_clerk):
    phone_clerk.sms_login = True
    phone_clerk.save(update_fields=["sms_login"])
    client.post(LOGIN, {"username": "clerk_a", "password": PASSWORD})
    verify = reverse("identity:login_verify")
    client.post(verify, {"action": "send_sms"})
    code = Message.objects.get(recipient=phone_clerk.phone).outgoing()[1].split("la ")[1][:6]
    response = client.post(verify, {"method": "sms", "code": code})
    assert response["Location"] == "/"


def test_sms_at_step_up_and_reauth_only_when_turned_on(client, citizen):
    citizen.level = 2
    citizen.save(update_fields=["level"])
    client.force_login(citizen)
    assert client.get(STEP_UP + "?next=/").context["methods"] == []
    client.post(STEP_UP + "?next=/", {"action": "send_sms"})
    assert not Message.objects.filter(recipient=citizen.phone).exists()
