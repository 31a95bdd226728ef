"""Registration, the account page, second factors, sessions, portals, recovery."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.identity import authn, otp
from postgov.identity.models import Level, User, UserSession
from postgov.identity.passwords import is_breached
from postgov.identity.tests.oidc_helpers import log_in_session
from postgov.notify.models import Message
from tests.personas import PASSWORD, totp_code

pytestmark = pytest.mark.django_db

ACCOUNT_PAGES = [
    "identity:account",
    "identity:profile_edit",
    "identity:contact_edit",
    "identity:sessions",
    "identity:portals",
    "identity:security",
    "identity:totp_add",
    "identity:activity",
    "identity:enrolment",
    "identity:password_change",
    "identity:reauth",
    "identity:step_up",
]


def last_code(phone_or_email: str) -> str:
    body = Message.objects.filter(recipient=phone_or_email).latest("created_at").outgoing()[1]
    return (
        "".join(ch for ch in body.split("la ")[-1][:8] if ch.isdigit())[:6]
        if "la " in body
        else body.split("là ")[1][:6]
    )


@pytest.mark.parametrize("name", ACCOUNT_PAGES)
def test_it_checks_access_anonymous_goes_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "name",
    [
        "identity:account",
        "identity:security",
        "identity:sessions",
        "identity:portals",
        "identity:activity",
        "identity:enrolment",
        "identity:profile_edit",
    ],
)
def test_account_pages_render_for_the_owner(client, citizen, name):
    log_in_session(client, citizen)
    response = client.get(reverse(name))
    assert response.status_code == 200


# -- registration ----------------------------------------------------------------------------
def registration_data(world, **over):
    data = {
        "username": "tran.an",
        "full_name": "Trần Văn An",
        "gender": "male",
        "birth_date": "17/05/1990",
        "declared_id_number": "045090123456",
        "phone": "0987 654 321",
        "email": "",
        "permanent_address": "1 Lê Lợi",
        "permanent_commune": world.commune_a.pk,
        "current_address": "1 Lê Lợi",
        "current_commune": world.commune_a.pk,
        "password1": "mây trắng bay qua đồi",
        "password2": "mây trắng bay qua đồi",
    }
    data.update(over)
    return data


def test_register_verify_phone_and_land_on_account(client, world):
    response = client.post(reverse("identity:register"), registration_data(world))
    assert response.status_code == 302 and response["Location"] == reverse(
        "identity:register_verify"
    )
    # No account until the phone's code comes back.
    assert not User.objects.filter(username="tran.an").exists()
    code = Message.objects.get(recipient="0987654321").outgoing()[1].split("la ")[1][:6]
    assert (
        client.post(
            reverse("identity:register_verify"),
            {"code": "000000" if code != "000000" else "111111"},
        ).status_code
        == 200
    )
    response = client.post(reverse("identity:register_verify"), {"code": code})
    assert response["Location"] == reverse("identity:account")
    user = User.objects.get(username="tran.an")
    assert user.phone == "0987654321" and user.level == Level.BASIC
    assert user.phone_verified_at is not None and user.check_password("mây trắng bay qua đồi")
    assert client.get(reverse("identity:account")).status_code == 200
    assert AuditEvent.objects.filter(action="identity.registered", actor_id=user.pk).exists()
    # No personal data in the audit in clear.
    assert "0987654321" not in str(
        AuditEvent.objects.filter(actor_id=user.pk).values_list("details", flat=True)
    )


@pytest.mark.parametrize(
    "over,field",
    [
        ({"declared_id_number": "12345"}, "declared_id_number"),
        ({"declared_id_number": "045190123456"}, "declared_id_number"),  # female digit, male
        ({"birth_date": "31/02/1990"}, "birth_date"),
        ({"phone": "12345"}, "phone"),
        ({"password1": "password123", "password2": "password123"}, "password1"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password2": "something else entirely"}, "password2"),
        ({"username": "bad name!"}, "username"),
    ],
)
def test_registration_errors_are_explained_and_keep_input(client, world, over, field):
    response = client.post(reverse("identity:register"), registration_data(world, **over))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_{field}_error"' in body
    assert 'value="Trần Văn An"' in body  # what was typed stays
    assert not User.objects.filter(username="tran.an").exists()


def test_password_deny_list_has_breached_and_vietnamese_passwords():
    assert is_breached("password123") and is_breached("Matkhau123") and is_breached("anhyeuem123")
    assert not is_breached("mây trắng bay qua đồi")


# -- login with a second factor -----------------------------------------------------------
def test_citizen_without_second_factor_logs_in_with_password_only(client, citizen):
    response = client.post("/accounts/login/", {"username": "citizen", "password": PASSWORD})
    assert response["Location"] == "/"
    assert UserSession.objects.filter(user=citizen, ended_at__isnull=True).count() == 1


def test_citizen_with_sms_login_gets_an_sms_code(client, citizen):
    citizen.sms_login = True
    citizen.save()
    response = client.post("/accounts/login/", {"username": "citizen", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"
    client.post("/accounts/login/verify/", {"action": "send_sms"})
    code = (
        Message.objects.filter(recipient=citizen.phone)
        .latest("created_at")
        .outgoing()[1]
        .split("la ")[1][:6]
    )
    response = client.post(
        "/accounts/login/verify/", {"method": "sms", "code": code, "action": "verify"}
    )
    assert response["Location"] == "/"
    assert "sms" in client.session[authn.AUTH]["amr"]


def test_totp_code_is_accepted_once(client, clerk_a):
    client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    code = totp_code()
    assert (
        client.post(
            "/accounts/login/verify/", {"method": "totp", "code": code, "action": "verify"}
        )["Location"]
        == "/"
    )
    client.post(reverse("identity:logout"))
    client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    replay = client.post(
        "/accounts/login/verify/", {"method": "totp", "code": code, "action": "verify"}
    )
    assert replay.status_code == 200  # refused


def test_wrong_codes_make_the_next_attempt_wait(client, clerk_a, settings):
    settings.IDENTITY_MFA_FREE_FAILURES = 3
    client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    for _ in range(4):
        response = client.post(
            "/accounts/login/verify/", {"method": "totp", "code": "000000", "action": "verify"}
        )
    # The fourth was not even checked: the third failure started the backoff.
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 3


def test_staff_without_second_factor_must_enrol_before_login_completes(client, clerk_a):
    clerk_a.totp_devices.all().delete()
    response = client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/setup/"
    page = client.get("/accounts/login/setup/")
    secret = page.context["secret"]
    import pyotp

    response = client.post("/accounts/login/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == "/"
    assert clerk_a.totp_devices.filter(confirmed_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled").exists()


def test_verify_step_without_a_pending_login_goes_back(client):
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/setup/")["Location"] == "/accounts/login/"


def test_backup_codes_work_once(client, clerk_a):
    codes = otp.new_backup_codes(clerk_a)
    client.post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD})
    assert (
        client.post(
            "/accounts/login/verify/", {"method": "backup", "code": codes[0], "action": "verify"}
        )["Location"]
        == "/"
    )
    assert not otp.verify_backup_code(clerk_a, codes[0])
    assert otp.backup_codes_left(clerk_a) == 9


# -- re-authentication and second factors -------------------------------------------------
def test_sensitive_changes_need_a_recent_password(client, citizen):
    log_in_session(client, citizen)
    session = client.session
    session[authn.REAUTH] = 0
    session.save()
    response = client.get(reverse("identity:totp_add"))
    assert response["Location"].startswith(reverse("identity:reauth"))
    bad = client.post(
        reverse("identity:reauth"), {"password": "wrong", "next": reverse("identity:totp_add")}
    )
    assert bad.status_code == 200
    ok = client.post(
        reverse("identity:reauth"), {"password": PASSWORD, "next": reverse("identity:totp_add")}
    )
    assert ok["Location"] == reverse("identity:totp_add")
    page = client.get(reverse("identity:totp_add"))
    import pyotp

    response = client.post(
        reverse("identity:totp_add"), {"code": pyotp.TOTP(page.context["secret"]).now()}
    )
    assert response["Location"] == reverse("identity:security")
    assert citizen.totp_devices.filter(confirmed_at__isnull=False).exists()
    assert AuditEvent.objects.filter(action="mfa.totp_enrolled", object_id=str(citizen.pk)).exists()


def test_staff_cannot_remove_their_last_second_factor(client, clerk_a):
    log_in_session(client, clerk_a)
    device = clerk_a.totp_devices.get()
    client.post(reverse("identity:totp_remove", args=[device.pk]))
    assert clerk_a.totp_devices.count() == 1


def test_citizen_removes_a_device_and_it_is_audited(client, citizen):
    device = otp.new_totp_device(citizen, "app")
    from django.utils import timezone

    device.confirmed_at = timezone.now()
    device.save()
    log_in_session(client, citizen)
    client.post(reverse("identity:totp_remove", args=[device.pk]))
    assert not citizen.totp_devices.exists()
    assert AuditEvent.objects.filter(action="mfa.totp_removed").exists()


def test_someone_elses_device_cannot_be_removed(client, citizen, clerk_a):
    log_in_session(client, citizen)
    device = clerk_a.totp_devices.get()
    assert client.post(reverse("identity:totp_remove", args=[device.pk])).status_code == 404


def test_backup_codes_page_shows_new_codes(client, citizen):
    log_in_session(client, citizen)
    response = client.post(reverse("identity:backup_codes_new"))
    assert response.status_code == 200 and len(response.context["codes"]) == 10


def test_phone_change_needs_the_code_sent_to_the_new_phone(client, citizen):
    log_in_session(client, citizen)
    client.post(reverse("identity:contact_edit"), {"phone": "0977 111 222", "action": "send"})
    code = Message.objects.get(recipient="0977111222").outgoing()[1].split("la ")[1][:6]
    client.post(reverse("identity:contact_edit"), {"action": "confirm", "code": code})
    citizen.refresh_from_db()
    assert citizen.phone == "0977111222" and citizen.phone_verified_at


# -- sessions --------------------------------------------------------------------------------
def test_sign_out_everywhere_else(client, citizen):
    from tests.clients import PostGovClient

    other = PostGovClient()
    other.post("/accounts/login/", {"username": "citizen", "password": PASSWORD})
    assert other.get(reverse("identity:account")).status_code == 200
    client.post("/accounts/login/", {"username": "citizen", "password": PASSWORD})
    response = client.get(reverse("identity:sessions"))
    assert len(response.context["rows"]) == 2
    client.post(reverse("identity:sessions"), {"session": "others"})
    assert other.get(reverse("identity:account")).status_code == 302
    assert client.get(reverse("identity:account")).status_code == 200


# -- recovery --------------------------------------------------------------------------------
def test_recovery_resets_the_level_and_ends_sessions(client, citizen):
    citizen.level, citizen.verified_id_number = Level.VERIFIED, "045090123456"
    citizen.save()
    response = client.post(
        reverse("identity:recover"), {"username": "citizen", "phone": "0912345678"}
    )
    assert response["Location"] == reverse("identity:recover_verify")
    code = (
        Message.objects.filter(recipient="0912345678")
        .latest("created_at")
        .outgoing()[1]
        .split("la ")[1][:6]
    )
    new = "một mật khẩu mới rất dài"
    response = client.post(
        reverse("identity:recover_verify"),
        {"code": code, "new_password1": new, "new_password2": new},
    )
    assert response["Location"] == reverse("identity:login")
    citizen.refresh_from_db()
    assert citizen.level == Level.BASIC and citizen.check_password(new)
    assert (
        citizen.verified_id_number == "045090123456"
    )  # still bound: no second account may take it
    assert AuditEvent.objects.filter(action="identity.recovered").exists()


def test_recovery_reveals_nothing_about_unknown_accounts(client, citizen):
    response = client.post(
        reverse("identity:recover"), {"username": "nobody", "phone": "0912345678"}
    )
    assert response["Location"] == reverse("identity:recover_verify")
    assert not Message.objects.exists()


def test_staff_cannot_self_recover(client, clerk_a):
    clerk_a.phone, clerk_a.phone_verified_at = "0912999888", clerk_a.date_joined
    clerk_a.save()
    client.post(reverse("identity:recover"), {"username": "clerk_a", "phone": "0912999888"})
    assert not Message.objects.exists()


# -- activity and portals --------------------------------------------------------------------
def test_activity_shows_only_own_events(client, citizen, outsider):
    client.post("/accounts/login/", {"username": "outsider", "password": PASSWORD})
    client.post(reverse("identity:logout"))
    log_in_session(client, citizen)
    events = client.get(reverse("identity:activity")).context["page_obj"]
    assert all(e.actor_id in (citizen.pk, None) or e.object_id == str(citizen.pk) for e in events)


def test_enrolment_code_single_and_renewable(client, citizen):
    log_in_session(client, citizen)
    client.post(reverse("identity:enrolment"))
    first = client.get(reverse("identity:enrolment")).context["code"]
    client.post(reverse("identity:enrolment"))
    second = client.get(reverse("identity:enrolment")).context["code"]
    assert first != second and len(second.replace("-", "")) == 16
    from postgov.identity.actions import find_enrolment_code

    assert find_enrolment_code(first) is None and find_enrolment_code(second).user == citizen
    printed = client.get(reverse("identity:enrolment") + "?print=1")
    assert "<svg" in printed.content.decode()


# The codes are counted in fixed windows: on a pinned clock, none closes mid-test.
@pytest.mark.clock
def test_step_up_codes_are_throttled(client, citizen, settings):
    settings.LOGIN_THROTTLE_PAIR_FREE = 2
    citizen.sms_login = True
    citizen.save(update_fields=["sms_login"])
    log_in_session(client, citizen)
    url = reverse("identity:step_up") + "?next=/"
    for _ in range(4):
        client.post(url, {"method": "sms", "code": "000000", "action": "verify"})
    response = client.post(url, {"method": "sms", "code": "000000", "action": "verify"})
    assert "alert-danger" in response.content.decode() and response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/me/security/app/1/remove/",
        "/accounts/me/security/sms/",
        "/accounts/me/security/backup-codes/",
    ],
)
def test_it_checks_access_post_only_views(client, url):
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_portal_logo_is_404_without_a_logo(client, db):
    from postgov.identity.tests.oidc_helpers import make_rp

    rp = make_rp()
    assert client.get(reverse("identity:rp_logo", args=[rp.pk])).status_code == 404
    assert client.get(reverse("identity:rp_logo", args=[999])).status_code == 404
