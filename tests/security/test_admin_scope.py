"""The Django admin respects the province, four eyes on grants and national objects,
phone changes lose their proof, and no message row keeps a one-time code in clear.

The world's province (Quảng Trị) has its admin (`provincial_admin`); `hue` adds a second
province with its own point, agency, clerk and admin; `national_admin` holds the national
role. Pages are driven through the test client as an administrator would."""

from __future__ import annotations

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from postgov.agencies.models import CalendarAdjustment
from postgov.audit.models import AuditEvent
from postgov.catalog.models import PostalTariff
from postgov.identity import actions, authn, otp
from postgov.identity import models as identity_models
from postgov.identity.access import Access
from postgov.identity.models import (
    RelyingParty,
    Role,
    RoleAssignment,
    SecondFactorAttempts,
    UpstreamProvider,
    User,
    UserSession,
)
from postgov.identity.tests.oidc_helpers import log_in_session, make_rp
from postgov.notify import gateways
from postgov.notify.models import Message
from postgov.notify.tasks import MAX_ATTEMPTS, send_message
from postgov.places.models import ServicePoint
from tests.personas import give_role, make_national_admin, make_second_province, make_user

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def hue(world):
    return make_second_province()


@pytest.fixture
def second_admin(world):
    """Another administrator of the world's province: the second pair of eyes."""
    user = make_user("admin_qt2", "Hồ Thị Phương", is_staff=True)
    give_role(user, Role.PROVINCIAL_ADMIN, province=world.province)
    return user


def sign_in(client, user) -> None:
    log_in_session(client, user, mfa=True)


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def request_as(user):
    request = RequestFactory().post("/admin/")
    request.user = user
    request.access = Access.for_user(user)
    return request


# -- what a provincial administrator sees ------------------------------------------------
def scoped_rows(world, hue):
    """(admin page, a row of the admin's province, a row of the other province)."""
    world_tariff = PostalTariff.objects.create(
        name="QT", province=world.province, valid_from="2025-07-01", remittance_fee=8000
    )
    hue_tariff = PostalTariff.objects.create(
        name="Huế", province=hue.province, valid_from="2025-07-01", remittance_fee=8000
    )
    world_day = CalendarAdjustment.objects.create(
        date="2026-04-27", kind="day_off", province=world.province
    )
    hue_day = CalendarAdjustment.objects.create(
        date="2026-04-28", kind="day_off", province=hue.province
    )
    return [
        ("identity_user", world.clerk_a, hue.clerk),
        (
            "identity_roleassignment",
            world.clerk_a.role_assignments.get(),
            hue.clerk.role_assignments.get(),
        ),
        ("agencies_agency", world.agency_a, hue.agency),
        ("places_servicepoint", world.point_a, hue.point),
        ("places_commune", world.commune_a, hue.commune),
        ("places_province", world.province, hue.province),
        ("catalog_postaltariff", world_tariff, hue_tariff),
        ("agencies_calendaradjustment", world_day, hue_day),
    ]


def test_a_provincial_admin_sees_only_the_rows_of_their_province(client, world, hue):
    rows = scoped_rows(world, hue)
    sign_in(client, world.provincial_admin)
    for page, ours, theirs in rows:
        listing = client.get(url(f"{page}_changelist"))
        assert listing.status_code == 200, page
        shown = {obj.pk for obj in listing.context["cl"].result_list}
        assert ours.pk in shown and theirs.pk not in shown, page
        assert client.get(url(f"{page}_change", ours.pk)).status_code == 200, page
        # Another province's row does not exist for them (the admin sends them home).
        response = client.get(url(f"{page}_change", theirs.pk))
        assert response.status_code == 302 and response.url == url("index"), page


def test_a_provincial_admin_cannot_change_a_row_of_another_province(client, world, hue):
    sign_in(client, world.provincial_admin)
    response = client.post(
        url("agencies_agency_change", hue.agency.pk),
        {"name": "Đổi tên", "unit_code": hue.agency.unit_code},
    )
    assert response.status_code == 302
    hue.agency.refresh_from_db()
    assert hue.agency.name != "Đổi tên"


def service_point_form(commune) -> dict:
    return {
        "code": "NEW-1",
        "name": "Bưu điện mới",
        "kind": ServicePoint.Kind.POST_OFFICE_2,
        "address": "1 Lê Lợi",
        "commune": commune.pk,
        "postal_code": "48000",
        "active": "on",
    }


def test_a_provincial_admin_cannot_add_rows_pointing_into_another_province(client, world, hue):
    sign_in(client, world.provincial_admin)
    response = client.post(url("places_servicepoint_add"), service_point_form(hue.commune))
    assert response.status_code == 200  # the form again, with what was typed
    assert "commune" in response.context["adminform"].form.errors
    assert 'value="Bưu điện mới"' in response.content.decode()
    assert not ServicePoint.objects.filter(code="NEW-1").exists()

    response = client.post(
        url("agencies_calendaradjustment_add"),
        {"date": "2026-05-04", "kind": "day_off", "province": hue.province.pk},
    )
    assert "province" in response.context["adminform"].form.errors
    # Empty would be the whole country: not theirs to set.
    response = client.post(
        url("agencies_calendaradjustment_add"), {"date": "2026-05-04", "kind": "day_off"}
    )
    assert "province" in response.context["adminform"].form.errors
    assert not CalendarAdjustment.objects.exists()

    response = client.post(
        url("identity_roleassignment_add"),
        {"user": world.clerk_a.pk, "role": Role.CLERK, "service_point": hue.point.pk},
    )
    assert response.status_code == 200
    assert "service_point" in response.context["adminform"].form.errors
    response = client.post(
        url("identity_roleassignment_add"),
        {"user": hue.clerk.pk, "role": Role.CLERK, "service_point": world.point_a.pk},
    )
    assert "user" in response.context["adminform"].form.errors
    assert not identity_models.ChangeRequest.objects.exists()

    # Their own province works.
    response = client.post(url("places_servicepoint_add"), service_point_form(world.commune_a))
    assert response.status_code == 302
    assert ServicePoint.objects.filter(code="NEW-1", commune=world.commune_a).exists()


def autocomplete(client, model: str, field: str, app: str = "identity", term: str = "") -> set:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": app, "model_name": model, "field_name": field, "term": term},
    )
    assert response.status_code == 200
    return {row["text"] for row in json.loads(response.content)["results"]}


def test_autocomplete_offers_only_the_province(client, world, hue):
    sign_in(client, world.provincial_admin)
    points = autocomplete(client, "roleassignment", "service_point")
    assert {"Bưu điện Đông Hà", "Bưu điện Đồng Hới"} <= points and "Bưu điện Huế" not in points
    users = autocomplete(client, "roleassignment", "user")
    assert "Nguyễn Thị Lan" in users  # clerk_a
    assert "Tôn Nữ Hoa" not in users and "Ngô Văn Nam" not in users  # Huế's clerk, a citizen
    communes = autocomplete(client, "servicepoint", "commune", app="places")
    assert communes and not any("Huế" in text for text in communes)
    provinces = autocomplete(client, "agency", "province", app="agencies")
    assert provinces == {"Tỉnh Quảng Trị"}


NATIONAL_PAGES = [
    "identity_relyingparty_changelist",
    "identity_relyingparty_add",
    "identity_upstreamprovider_changelist",
    "identity_upstreamprovider_add",
    "identity_signingkey_changelist",
    "notify_message_changelist",
    "places_postalcodeset_changelist",
    "catalog_catalogimport_changelist",
    "django_tasks_database_dbtaskresult_changelist",
]


@pytest.mark.parametrize("page", NATIONAL_PAGES)
def test_national_objects_are_for_national_admins_only(client, world, national_admin, page):
    sign_in(client, world.provincial_admin)
    assert client.get(url(page)).status_code == 403
    sign_in(client, national_admin)
    assert client.get(url(page)).status_code == 200


def test_a_provincial_admin_cannot_touch_portals_or_upstream_providers(client, world):
    rp = make_rp()
    provider = UpstreamProvider.objects.create(
        slug="vneid",
        name="VNeID",
        issuer="https://id.example.vn",
        authorization_endpoint="https://id.example.vn/auth",
        token_endpoint="https://id.example.vn/token",
        jwks_uri="https://id.example.vn/jwks",
        client_id="postgov",
    )
    sign_in(client, world.provincial_admin)
    assert client.get(url("identity_relyingparty_change", rp.pk)).status_code in (302, 403)
    client.post(
        url("identity_relyingparty_change", rp.pk),
        {"redirect_uris": "https://evil.example/cb", "name": rp.name},
    )
    client.post(
        url("identity_upstreamprovider_add"),
        {
            "slug": "rogue",
            "name": "Rogue",
            "issuer": "https://rogue.example",
            "authorization_endpoint": "https://rogue.example/a",
            "token_endpoint": "https://rogue.example/t",
            "jwks_uri": "https://rogue.example/j",
            "client_id": "x",
            "scopes": "openid",
            "id_number_claim": "id_number",
            "max_level": "2",
            "active": "on",
        },
    )
    client.post(url("identity_upstreamprovider_change", provider.pk), {"max_level": "2"})
    rp.refresh_from_db()
    provider.refresh_from_db()
    assert rp.redirect_uris != "https://evil.example/cb" and provider.max_level == 1
    assert not UpstreamProvider.objects.filter(slug="rogue").exists()
    assert not identity_models.ChangeRequest.objects.exists()


def test_a_superuser_flag_opens_nothing_more(client, world):
    User.objects.filter(pk=world.provincial_admin.pk).update(is_superuser=True)
    sign_in(client, world.provincial_admin)
    assert client.get("/admin/auth/group/").status_code == 404  # not in the admin at all
    assert client.get(url("identity_relyingparty_changelist")).status_code == 403
    assert client.get(url("notify_message_changelist")).status_code == 403


def test_every_admin_of_the_site_goes_through_the_scope():
    from postgov.identity.admin_scope import ScopedAdmin, ScopedInline

    registered = [m for m in apps.get_models() if admin.site.is_registered(m)]
    assert registered
    for model in registered:
        model_admin = admin.site.get_model_admin(model)
        assert isinstance(model_admin, ScopedAdmin), model
        for inline in model_admin.inlines:
            assert issubclass(inline, ScopedInline), inline


# -- staff accounts ----------------------------------------------------------------------
def test_citizens_are_not_edited_in_the_admin(client, world, national_admin):
    sign_in(client, world.provincial_admin)
    listing = client.get(url("identity_user_changelist"))
    assert world.citizen.pk not in {u.pk for u in listing.context["cl"].result_list}
    assert client.get(url("identity_user_change", world.citizen.pk)).status_code == 302
    sign_in(client, national_admin)
    page = client.get(url("identity_user_change", world.citizen.pk))
    assert page.status_code == 200 and 'name="phone"' not in page.content.decode()  # read only
    client.post(url("identity_user_change", world.citizen.pk), {"phone": "0999999999"})
    world.citizen.refresh_from_db()
    assert world.citizen.phone == "0912345678"


def test_no_password_is_ever_set_in_the_admin(client, world):
    sign_in(client, world.provincial_admin)
    page = client.get(url("identity_user_change", world.clerk_a.pk)).content.decode()
    assert 'name="password' not in page and "/password/" not in page
    # Their own password is changed on their account page (audited), not by Django's form.
    own = client.get("/admin/password_change/")
    assert own.status_code == 302 and own.url == reverse("identity:password_change")
    assert client.get(f"/admin/identity/user/{world.clerk_a.pk}/password/").status_code in (
        302,
        404,
    )
    before = User.objects.get(pk=world.clerk_a.pk).password
    client.post(
        url("identity_user_change", world.clerk_a.pk),
        {
            "username": "clerk_a",
            "full_name": world.clerk_a.full_name,
            "is_active": "on",
            "password": "chosen-by-the-admin",
            "password1": "chosen-by-the-admin",
            "password2": "chosen-by-the-admin",
        },
    )
    assert User.objects.get(pk=world.clerk_a.pk).password == before


def test_a_one_time_password_ends_every_session_and_is_shown_once(client, world):
    session = UserSession.objects.create(user=world.clerk_a, session_key="abc")
    sign_in(client, world.provincial_admin)
    response = client.post(
        url("identity_user_changelist"),
        {"action": "issue_one_time_password", "_selected_action": [world.clerk_a.pk]},
    )
    assert response.status_code == 200
    password = response.context["secret"]
    clerk = User.objects.get(pk=world.clerk_a.pk)
    assert clerk.check_password(password) and clerk.password_must_change
    session.refresh_from_db()
    assert session.ended_at is not None
    assert AuditEvent.objects.filter(
        action="identity.password_issued_by_admin", object_id=str(clerk.pk)
    ).exists()
    assert all(password not in str(cookie.value) for cookie in client.cookies.values())
    # Not for another province's staff, nor for the admin's own account.
    hue_clerk = make_second_province().clerk
    response = client.post(
        url("identity_user_changelist"),
        {"action": "issue_one_time_password", "_selected_action": [hue_clerk.pk]},
    )
    assert "secret" not in (response.context or {})
    with pytest.raises(PermissionDenied):
        actions.issue_one_time_password(request_as(world.provincial_admin), world.provincial_admin)


def test_a_new_staff_account_waits_for_its_role(client, world, hue):
    sign_in(client, world.provincial_admin)
    response = client.post(
        url("identity_user_add"),
        {
            "username": "clerk_new",
            "full_name": "Phan Văn Mới",
            "email": "",
            "phone": "",
            "role": Role.CLERK,
            "service_point": world.point_a.pk,
        },
    )
    assert response.status_code == 302
    new = User.objects.get(username="clerk_new")
    assert not new.has_usable_password() and not new.role_assignments.exists()
    change = identity_models.ChangeRequest.objects.get(subject_user=new)
    assert change.status == "pending" and change.province_id == world.province.pk
    # Visible to its province's administrators only.
    assert client.get(url("identity_user_change", new.pk)).status_code == 200
    sign_in(client, hue.admin)
    assert client.get(url("identity_user_change", new.pk)).status_code == 302


# -- four eyes ---------------------------------------------------------------------------
def grant_supervisor(client, admin_user, world):
    sign_in(client, admin_user)
    return client.post(
        url("identity_roleassignment_add"),
        {"user": world.clerk_b.pk, "role": Role.SUPERVISOR, "service_point": world.point_b.pk},
    )


def test_a_role_grant_takes_effect_only_when_a_second_admin_approves(client, world, second_admin):
    response = grant_supervisor(client, world.provincial_admin, world)
    change = identity_models.ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == url(
        "identity_changerequest_change", change.pk
    )
    assert not RoleAssignment.objects.filter(user=world.clerk_b, role=Role.SUPERVISOR).exists()
    assert Role.SUPERVISOR not in Access.for_user(world.clerk_b).roles
    assert AuditEvent.objects.filter(action="identity.change_requested").exists()
    # The request reads as a diff a person understands.
    page = client.get(url("identity_changerequest_change", change.pk)).content.decode()
    assert "Bưu điện Đồng Hới" in page and "clerk_b" in page

    # The requester cannot approve it, by the page or otherwise.
    decide = url("identity_changerequest_decide", change.pk)
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.approve_change(request_as(world.provincial_admin), change.pk)
    change.refresh_from_db()
    assert change.status == "pending"

    # A second administrator of the province sees it waiting and approves it.
    sign_in(client, second_admin)
    index = client.get(url("index")).content.decode()
    assert "1 thay đổi đang chờ bạn quyết định" in index or "1 change waits" in index
    response = client.post(decide, {"decision": "approve"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by == second_admin
    granted = RoleAssignment.objects.get(user=world.clerk_b, role=Role.SUPERVISOR)
    assert granted.active and granted.service_point == world.point_b
    assert Role.SUPERVISOR in Access.for_user(world.clerk_b).roles
    granted_event = AuditEvent.objects.get(action="identity.role_granted")
    assert granted_event.details["requested_by"] == world.provincial_admin.pk
    assert granted_event.details["approved_by"] == second_admin.pk
    assert AuditEvent.objects.filter(action="identity.change_approved").exists()
    # Decided once.
    assert client.post(decide, {"decision": "reject"}).status_code == 403


def test_the_database_refuses_a_decision_by_the_requester(world):
    change = identity_models.ChangeRequest.objects.create(
        kind="role_assignment",
        payload={"after": {}},
        requested_by=world.provincial_admin,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        identity_models.ChangeRequest.objects.filter(pk=change.pk).update(
            status="approved", decided_by=world.provincial_admin, decided_at=timezone.now()
        )


def test_an_admin_of_another_province_cannot_decide(client, world, hue):
    grant_supervisor(client, world.provincial_admin, world)
    change = identity_models.ChangeRequest.objects.get()
    sign_in(client, hue.admin)
    assert client.get(url("identity_changerequest_change", change.pk)).status_code == 302
    assert client.post(
        url("identity_changerequest_decide", change.pk), {"decision": "approve"}
    ).status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        actions.approve_change(request_as(hue.admin), change.pk)
    assert identity_models.ChangeRequest.objects.get().status == "pending"


def test_nobody_approves_a_grant_to_themselves(client, world, second_admin, national_admin):
    sign_in(client, world.provincial_admin)
    client.post(
        url("identity_roleassignment_add"),
        {"user": second_admin.pk, "role": Role.CLERK, "service_point": world.point_a.pk},
    )
    change = identity_models.ChangeRequest.objects.get()
    sign_in(client, second_admin)
    decide = url("identity_changerequest_decide", change.pk)
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    # A national administrator may (they administer every province).
    sign_in(client, national_admin)
    client.post(decide, {"decision": "approve"})
    assert RoleAssignment.objects.filter(user=second_admin, role=Role.CLERK).exists()


def test_a_provincial_admin_cannot_grant_the_national_role(client, world, second_admin):
    sign_in(client, world.provincial_admin)
    response = client.post(
        url("identity_roleassignment_add"), {"user": world.clerk_a.pk, "role": "national_admin"}
    )
    assert response.status_code == 200 and not identity_models.ChangeRequest.objects.exists()
    with pytest.raises(PermissionDenied):
        actions.request_role(
            request_as(world.provincial_admin), {"user": world.clerk_a.pk, "role": "national_admin"}
        )


def test_a_provincial_admin_asks_roles_only_for_their_staff(world, hue):
    admin_request = request_as(world.provincial_admin)
    for stranger in (world.citizen, hue.clerk):
        with pytest.raises(PermissionDenied):
            actions.request_role(
                admin_request,
                {"user": stranger.pk, "role": Role.CLERK, "service_point": world.point_a.pk},
            )
    assert not identity_models.ChangeRequest.objects.exists()


def test_taking_a_role_away_is_immediate_and_audited(client, world):
    assignment = world.clerk_a.role_assignments.get()
    sign_in(client, world.provincial_admin)
    response = client.post(url("identity_roleassignment_change", assignment.pk), {})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert not assignment.active
    assert AuditEvent.objects.filter(action="identity.role_revoked").exists()
    # Giving it back is a grant again.
    client.post(url("identity_roleassignment_change", assignment.pk), {"active": "on"})
    assignment.refresh_from_db()
    assert not assignment.active
    assert identity_models.ChangeRequest.objects.get().payload["after"] == {"active": True}


def test_a_national_admin_approves_a_portal_change_of_another(client, world, national_admin):
    rp = make_rp()
    other = make_national_admin("admin_vn2", "Lê Thị Hai")
    sign_in(client, national_admin)
    page = client.get(url("identity_relyingparty_change", rp.pk))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name not in ("logo", "jwks")
    }
    data.update(
        redirect_uris="https://portal.example.gov.vn/callback\nhttps://portal.example.gov.vn/new",
        allowed_scopes=form.initial["allowed_scopes"],
        upstream_providers=[],
        active="on",
        jwks="",
    )
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(url("identity_relyingparty_change", rp.pk), data)
    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    change = identity_models.ChangeRequest.objects.get()
    rp.refresh_from_db()
    assert "new" not in rp.redirect_uris  # not yet
    assert set(change.payload["after"]) == {"redirect_uris"}
    # Provincial administrators do not even see it.
    sign_in(client, world.provincial_admin)
    assert client.get(url("identity_changerequest_change", change.pk)).status_code == 302
    sign_in(client, other)
    client.post(url("identity_changerequest_decide", change.pk), {"decision": "approve"})
    rp.refresh_from_db()
    assert rp.redirect_uri_allowed("https://portal.example.gov.vn/new")
    assert AuditEvent.objects.filter(action="oidc.client_changed").exists()


def test_an_upstream_provider_needs_a_second_national_admin(client, national_admin, dns):
    dns.answers["id.example.vn"] = [["93.184.215.14"]]  # a public address
    sign_in(client, national_admin)
    response = client.post(
        url("identity_upstreamprovider_add"),
        {
            "slug": "vneid",
            "name": "VNeID",
            "issuer": "https://id.example.vn",
            "authorization_endpoint": "https://id.example.vn/auth",
            "token_endpoint": "https://id.example.vn/token",
            "jwks_uri": "https://id.example.vn/jwks",
            "client_id": "postgov",
            "client_secret": "upstream-secret-value",
            "scopes": "openid",
            "id_number_claim": "id_number",
            "max_level": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert not UpstreamProvider.objects.exists()
    change = identity_models.ChangeRequest.objects.get()
    assert "upstream-secret-value" not in json.dumps(change.payload)  # sealed
    # The requester cannot approve; a second national administrator can.
    with pytest.raises(PermissionDenied):
        actions.approve_change(request_as(national_admin), change.pk)
    actions.approve_change(request_as(make_national_admin("admin_vn2", "Lê Thị Hai")), change.pk)
    provider = UpstreamProvider.objects.get(slug="vneid")
    assert provider.max_level == 2 and provider.client_secret_sealed
    from postgov.identity.federation import SECRET_PURPOSE
    from postgov.lib.sealing import unseal

    assert unseal(provider.client_secret_sealed, SECRET_PURPOSE) == "upstream-secret-value"


def test_an_overtaken_request_is_refused(world, national_admin):
    rp = make_rp()
    asker, approver = national_admin, make_national_admin("admin_vn2", "Lê Thị Hai")
    level = actions.request_change(request_as(asker), "relying_party", {"min_level": 2}, target=rp)
    rename = actions.request_change(request_as(asker), "relying_party", {"name": "Đổi"}, target=rp)
    RelyingParty.objects.filter(pk=rp.pk).update(name="Cổng khác")  # someone got there first
    with pytest.raises(actions.ChangeRefused):
        actions.approve_change(request_as(approver), rename.pk)
    assert identity_models.ChangeRequest.objects.get(pk=rename.pk).status == "pending"
    actions.approve_change(request_as(approver), level.pk)
    rp.refresh_from_db()
    assert rp.min_level == 2 and rp.name == "Cổng khác"


def test_the_new_secret_of_a_portal_waits_for_approval(client, national_admin):
    from django.contrib.auth.hashers import check_password

    rp = make_rp()
    old = rp.client_secret
    sign_in(client, national_admin)
    response = client.post(
        url("identity_relyingparty_changelist"),
        {"action": "new_secret", "_selected_action": [rp.pk]},
    )
    secret = response.context["secret"]
    rp.refresh_from_db()
    assert rp.client_secret == old
    change = identity_models.ChangeRequest.objects.get()
    actions.approve_change(request_as(make_national_admin("admin_vn2", "Lê Thị Hai")), change.pk)
    rp.refresh_from_db()
    assert check_password(secret, rp.client_secret)
    assert AuditEvent.objects.filter(action="oidc.client_secret_rotated").exists()


# -- phone changes -----------------------------------------------------------------------
def test_a_phone_changed_in_the_admin_is_no_longer_verified(client, world):
    User.objects.filter(pk=world.clerk_a.pk).update(
        phone="0912000111", phone_verified_at=timezone.now(), sms_login=True
    )
    clerk = User.objects.get(pk=world.clerk_a.pk)
    assert "sms" in authn.available_factors(clerk)
    sign_in(client, world.provincial_admin)
    response = client.post(
        url("identity_user_change", clerk.pk),
        {
            "username": "clerk_a",
            "full_name": clerk.full_name,
            "phone": "0987 000 111",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    clerk = User.objects.get(pk=clerk.pk)
    assert clerk.phone == "0987000111" and clerk.phone_verified_at is None
    assert "sms" not in authn.available_factors(clerk)
    event = AuditEvent.objects.get(action="identity.account_changed_by_admin")
    assert "phone" in event.details["fields"] and "0987000111" not in json.dumps(event.details)


def test_any_phone_change_without_proof_clears_the_verification(world):
    citizen = User.objects.get(pk=world.citizen.pk)
    assert citizen.phone_verified_at is not None
    citizen.phone = "0977000222"
    citizen.save(update_fields=["phone"])
    assert User.objects.get(pk=citizen.pk).phone_verified_at is None
    # A change proven by a code keeps its new proof.
    citizen.phone, citizen.phone_verified_at = "0977000333", timezone.now()
    citizen.save(update_fields=["phone", "phone_verified_at"])
    assert User.objects.get(pk=citizen.pk).phone_verified_at is not None
    # The same for an e-mail address.
    User.objects.filter(pk=citizen.pk).update(email_verified_at=timezone.now())
    fresh = User.objects.get(pk=citizen.pk)
    fresh.email = "new@example.com"
    fresh.save()
    assert User.objects.get(pk=citizen.pk).email_verified_at is None


# -- one-time codes in the outbox --------------------------------------------------------
class Capturing:
    sent: list[tuple[str, str]] = []

    def send(self, recipient, subject, body, attachments=()):
        Capturing.sent.append((recipient, body))


class Failing:
    def send(self, recipient, subject, body, attachments=()):
        raise gateways.GatewayError("gateway down")


def code_in(text: str) -> str:
    return "".join(ch for ch in text.split("la ")[1][:6])


def test_no_message_row_keeps_a_code_in_clear(world, monkeypatch):
    with time_machine.travel(AT, tick=True):
        otp.send_code(world.citizen, "login", "sms", world.citizen.phone)
    message = Message.objects.get(template="identity_code")
    text = message.outgoing()[1]
    code = code_in(text)
    assert code.isdigit() and len(code) == 6
    assert code not in message.body and "******" in message.body
    assert code not in message.sealed_text and message.carries_secret

    Capturing.sent = []
    monkeypatch.setattr(gateways, "gateway_for", lambda channel: Capturing())
    send_message.call(message.pk)
    assert Capturing.sent == [(world.citizen.phone, text)]  # the citizen got the code
    message.refresh_from_db()
    assert message.status == "sent" and message.sealed_text == ""
    row = Message.objects.filter(pk=message.pk).values().get()
    assert code not in json.dumps(row, default=str)


def test_a_code_given_up_is_erased_too(world, monkeypatch):
    with time_machine.travel(AT, tick=True):
        otp.send_code(world.citizen, "recovery", "sms", world.citizen.phone)
    message = Message.objects.get(template="identity_code")
    monkeypatch.setattr(gateways, "gateway_for", lambda channel: Failing())
    for _attempt in range(MAX_ATTEMPTS):
        send_message.call(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and message.sealed_text == ""


def test_the_admin_never_shows_a_code_message(client, world, national_admin):
    with time_machine.travel(AT, tick=True):
        otp.send_code(world.citizen, "login", "sms", world.citizen.phone)
    message = Message.objects.get(template="identity_code")
    sign_in(client, national_admin)
    page = client.get(url("notify_message_change", message.pk)).content.decode()
    assert message.body not in page and code_in(message.outgoing()[1]) not in page
    sign_in(client, world.provincial_admin)
    assert client.get(url("notify_message_change", message.pk)).status_code in (302, 403)


def test_the_first_national_admin_is_granted_from_the_server(world):
    from django.core.management import CommandError, call_command

    call_command("grant_national_admin", "outsider")
    assert Access.for_user(User.objects.get(username="outsider")).is_national_admin
    event = AuditEvent.objects.get(action="identity.role_granted")
    assert event.details["via"] == "command"
    with pytest.raises(CommandError):
        call_command("grant_national_admin", "nobody")


def test_an_admin_lifts_a_second_factor_stop_in_their_province_only(client, world):
    stopped = timezone.now()
    for user in (world.clerk_a, make_second_province().clerk):
        SecondFactorAttempts.objects.create(user=user, failures=12, stopped_at=stopped)
    hue_clerk = SecondFactorAttempts.objects.exclude(user=world.clerk_a).get().user
    sign_in(client, world.provincial_admin)
    client.post(
        url("identity_user_changelist"),
        {"action": "lift_second_factor_stop", "_selected_action": [world.clerk_a.pk, hue_clerk.pk]},
    )
    ours = SecondFactorAttempts.objects.get(user=world.clerk_a)
    assert ours.stopped_at is None and ours.failures == 0
    assert SecondFactorAttempts.objects.get(user=hue_clerk).stopped_at == stopped
    lifted = AuditEvent.objects.filter(action="mfa.attempts_stop_lifted")
    assert list(lifted.values_list("object_id", "actor_id")) == [
        (str(world.clerk_a.pk), world.provincial_admin.pk)
    ]
