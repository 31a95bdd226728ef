"""The pages of assisted sessions: the clerk's journey, refusals, bad input in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.assisted import actions
from postgov.assisted.actions import Start
from postgov.assisted.models import AssistedSession, Status
from postgov.dossiers.orders.models import PostalOrder
from postgov.dossiers.practice import SESSION_KEY
from postgov.identity.access import Access

from .conftest import CODE_A

pytestmark = pytest.mark.clock


def _session(world, procedure):
    return actions.start_session(
        Start(
            point_id=world.point_a.pk,
            citizen_name="Trần Thị Hoa",
            portal="national",
            citizen_phone="0912345678",
            procedure=procedure,
        ),
        user=world.clerk_a,
        access=Access.for_user(world.clerk_a),
    )


def _post(client, session, **data):
    return client.post(reverse("assisted:session", args=[session.pk]), data)


def test_a_clerk_goes_from_start_to_receipt_and_post(client, world, procedure, tariff):
    client.force_login(world.clerk_a)
    page = client.get(reverse("assisted:start")).content.decode()
    assert "tự đăng nhập" in page  # the citizen logs in themselves
    assert 'type="password"' not in page and "otp" not in page.lower().replace("mã otp", "")
    response = client.post(
        reverse("assisted:start"),
        {
            "point": world.point_a.pk,
            "citizen_name": "Trần Thị Hoa",
            "citizen_phone": "0912345678",
            "portal": "national",
            "procedure": procedure.pk,
        },
    )
    session = AssistedSession.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "assisted:session", args=[session.pk]
    )
    assert "Hoa" not in response.url and "0912" not in response.url
    assert _post(client, session, step="consent", method="screen", affirmed="on").status_code == 302
    response = _post(client, session, step="outcome", outcome="submitted", portal_code=CODE_A)
    assert response.status_code == 302
    assert _post(client, session, step="fee").status_code == 302
    session.refresh_from_db()
    assert session.status == Status.CLOSED
    pdf = client.get(reverse("assisted:receipt", args=[session.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    response = _post(
        client,
        session,
        step="post",
        recipient_name="Trần Thị Hoa",
        recipient_phone="0912345678",
        address="12 Lê Lợi",
        commune=world.commune_a.pk,
    )
    assert response.status_code == 302
    order = PostalOrder.objects.get()
    page = client.get(reverse("assisted:session", args=[session.pk])).content.decode()
    assert order.code in page
    again = _post(
        client,
        session,
        step="post",
        recipient_name="Trần Thị Hoa",
        recipient_phone="0912345678",
        address="12 Lê Lợi",
        commune=world.commune_a.pk,
    )
    # The form is gone once ordered; a replayed post is refused in words, not a 500.
    assert again.status_code == 400 and "đã được đặt chuyển phát" in again.content.decode()
    assert PostalOrder.objects.count() == 1


def test_bad_input_is_said_in_vietnamese_and_kept(client, world, procedure, elderly, tariff):
    session = _session(world, procedure)
    client.force_login(world.clerk_a)
    response = _post(client, session, step="outcome", outcome="submitted", portal_code=CODE_A)
    assert response.status_code == 400 and "đồng ý" in response.content.decode()
    response = _post(client, session, step="consent", method="screen")
    assert response.status_code == 400
    _post(client, session, step="consent", method="screen", affirmed="on")
    response = _post(client, session, step="outcome", outcome="submitted", portal_code="")
    assert response.status_code == 400 and "mã hồ sơ" in response.content.decode()
    response = _post(client, session, step="outcome", outcome="submitted", portal_code="HS 12")
    assert response.status_code == 400 and "HS 12" in response.content.decode()
    _post(client, session, step="outcome", outcome="submitted", portal_code=CODE_A)
    response = _post(client, session, step="fee", exemption=elderly.pk, exemption_note="")
    assert response.status_code == 400 and "chứng minh" in response.content.decode()
    response = _post(client, session, step="outcome", outcome="submitted", portal_code=CODE_A)
    assert response.status_code == 400 and "đã kết thúc" in response.content.decode()


def test_a_session_cannot_start_in_practice(world, procedure):
    # A trainee's request carries the practice switch (decision 0019): refused.
    request = type("Request", (), {"session": {SESSION_KEY: 1}})()
    with pytest.raises(actions.AssistedError):
        actions.start_session(
            Start(world.point_a.pk, "Trần Thị Hoa", "national", procedure=procedure),
            user=world.clerk_a,
            access=Access.for_user(world.clerk_a),
            request=request,
        )
    assert not AssistedSession.objects.exists()


def test_my_day_and_the_point_s_day(client, world, procedure):
    _session(world, procedure)
    client.force_login(world.clerk_a)
    page = client.get(reverse("assisted:my_day")).content.decode()
    assert "Đăng ký khai sinh" in page
    client.force_login(world.supervisor_a)
    page = client.get(reverse("assisted:point_day", args=[world.point_a.pk])).content.decode()
    assert world.clerk_a.get_full_name() in page
    assert client.get(reverse("assisted:my_day") + "?day=hôm-nay").status_code == 200


def test_it_checks_access(client, world, procedure, tariff):
    session = _session(world, procedure)
    pages = [
        ("get", reverse("assisted:session", args=[session.pk])),
        ("post", reverse("assisted:session", args=[session.pk])),
        ("get", reverse("assisted:receipt", args=[session.pk])),
    ]
    for user in (world.clerk_b, world.outsider, world.agency_officer, world.postman_a):
        client.force_login(user)
        for method, url in pages:
            assert getattr(client, method)(url).status_code in (403, 404), (user, url)
    point_day = reverse("assisted:point_day", args=[world.point_a.pk])
    for user in (world.clerk_a, world.clerk_b, world.outsider):
        client.force_login(user)
        assert client.get(point_day).status_code == 403
    client.force_login(world.outsider)
    assert client.get(reverse("assisted:start")).status_code == 403
    assert client.get(reverse("assisted:my_day")).status_code == 403
