"""Linked packages on pages: the counter's intake, the package's page, public tracking."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.dossiers.linked.models import LinkedDossier
from postgov.dossiers.linked.queries import package_checklist
from postgov.dossiers.tests.linked_helpers import (
    BIRTH,
    RESIDENCE,
    at_agency,
    linked_world,
    part,
    take_in,
)
from tests.agency_helpers import move

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


def _post(world, linked, **overrides):
    data = {
        "token": str(uuid.uuid4()),
        "point": str(world.point_a.pk),
        "name": "Nguyễn Thị Lan",
        "id_number": "045190001234",
        "phone": "0912345678",
        "commune": str(world.commune_a.pk),
        "address": "Số 5 Lê Lợi",
        "documents": [line.key for line in package_checklist(linked)],
        "return_method": "deliver",
        "return_address": "",
        "payment_method": "cash",
        **overrides,
    }
    return data


def test_the_clerk_takes_in_a_package_on_one_page(client, world):
    linked = linked_world(world)
    client.force_login(world.clerk_a)
    page = client.get(reverse("dossiers:package_new", args=[linked.code]))
    assert page.status_code == 200
    response = client.post(
        reverse("dossiers:package_new", args=[linked.code]), _post(world, linked)
    )
    package = LinkedDossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:package", args=[package.pk])
    detail = client.get(response["Location"]).content.decode()
    assert package.code in detail
    for p in package.parts.select_related("dossier"):
        assert p.dossier.code in detail


def test_bad_input_keeps_what_was_typed(client, world):
    linked = linked_world(world)
    client.force_login(world.clerk_a)
    response = client.post(
        reverse("dossiers:package_new", args=[linked.code]),
        _post(world, linked, phone="12", documents=[]),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nguyễn Thị Lan" in body
    assert not LinkedDossier.objects.exists()
    # Valid fields but a document missing: the package is refused, the page says why.
    response = client.post(
        reverse("dossiers:package_new", args=[linked.code]), _post(world, linked, documents=[])
    )
    assert response.status_code == 400
    assert 'data-testid="problems"' in response.content.decode()
    assert not LinkedDossier.objects.exists()


def test_it_checks_access(client, world):
    package = take_in(world, linked_world(world))
    url = reverse("dossiers:package", args=[package.pk])
    client.force_login(world.clerk_b)  # another post office
    assert client.get(url).status_code == 404
    client.force_login(world.agency_officer)  # a part is at their agency: they see it
    assert client.get(url).status_code == 200
    # …but the return is the post office's.
    assert client.post(url, {"step": "out"}).status_code == 403
    client.force_login(world.citizen)
    assert client.get(url).status_code in (302, 403, 404)


def test_public_tracking_shows_the_rollup_with_the_phone_digits(client, world):
    package = take_in(world, linked_world(world))
    birth = at_agency(world, part(package, BIRTH).dossier)
    move(birth, "result_ready", world.agency_officer)
    residence = at_agency(world, part(package, RESIDENCE).dossier)
    move(residence, "request_supplement", world.agency_officer, note="Nguyễn Văn An thiếu giấy")
    response = client.post(reverse("dossiers:track"), {"code": package.code, "phone_last4": "5678"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="package-tracking"' in body
    assert "Yêu cầu bổ sung hồ sơ" in body  # the part's state, in the page's language
    assert "Nguyễn Văn An" not in body  # masked name, no agency notes
    wrong = client.post(reverse("dossiers:track"), {"code": package.code, "phone_last4": "0000"})
    assert 'data-testid="package-tracking"' not in wrong.content.decode()


def test_the_tracking_api_answers_a_package_with_its_parts(client, world):
    package = take_in(world, linked_world(world))
    birth = at_agency(world, part(package, BIRTH).dossier)
    move(birth, "result_ready", world.agency_officer)
    response = client.get(f"/api/v1/track/{package.code}", {"phone_last4": "5678"})
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "package" and body["code"] == package.code
    assert "Nguyễn Văn An" not in response.content.decode()
    assert [p["step"] for p in body["parts"]] == sorted(p["step"] for p in body["parts"])
    assert len(body["parts"]) == package.parts.count()
    assert client.get(f"/api/v1/track/{package.code}", {"phone_last4": "0000"}).status_code == 404


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_package_has_one_receipt_for_the_citizen(client, world):
    package = take_in(world, linked_world(world))
    client.force_login(world.clerk_a)
    page = client.get(reverse("dossiers:package", args=[package.pk])).content.decode()
    url = reverse("dossiers:package_receipt", args=[package.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "BIÊN NHẬN HỒ SƠ LIÊN THÔNG" in text
    assert package.code in text
    assert package.linked_procedure.name in text
    for p in package.parts.select_related("dossier__procedure_version__procedure"):
        assert p.dossier.code in text
        assert p.dossier.procedure_version.procedure.name in text
    assert world.agency_a.name in text
    assert f"{package.total_due:,}".replace(",", ".") in text
    assert "TỔNG CỘNG" in text and "Bằng chữ" in text
    assert "Phát tận địa chỉ" in text and "Số 5 Lê Lợi" in text
    assert "4 số cuối" in text
    assert AuditEvent.objects.filter(
        action="dossier.printed", details__form="package_receipt"
    ).exists()


def test_the_receipt_is_refused_to_others(client, world):
    package = take_in(world, linked_world(world))
    url = reverse("dossiers:package_receipt", args=[package.pk])
    client.force_login(world.clerk_b)  # another post office
    assert client.get(url).status_code == 404
    client.force_login(world.citizen)
    assert client.get(url).status_code in (302, 403, 404)
    client.logout()
    assert client.get(url).status_code == 302
