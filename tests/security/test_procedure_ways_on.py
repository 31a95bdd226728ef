"""A procedure's public page leads on: booking a home pickup with the procedure already
chosen (only when it may go by post), the post offices that receive it (those of the
provinces where an agency handles it), and the declaration form to print when the
catalog lists one."""

from __future__ import annotations

import io
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from postgov.catalog.models import RequiredDocument
from postgov.places.models import Commune, Province, ServicePoint
from tests.factories import make_excluded_procedure, make_intake_catalog


@pytest.fixture
def version(world):
    version = make_intake_catalog(world)
    version.documents.filter(position=1).update(name="Tờ khai cấp bản sao trích lục (theo mẫu)")
    return version


@pytest.fixture
def elsewhere(db):
    """A post office of a province where no agency handles the procedure."""
    province = Province.objects.create(code="46", name="Thành phố Huế", short_name="Huế")
    commune = Commune.objects.create(
        code="19999", province=province, name="Phường Thuận Hóa", kind=Commune.Kind.WARD
    )
    return ServicePoint.objects.create(
        code="TEST-H",
        name="Bưu điện Thuận Hóa",
        kind=ServicePoint.Kind.POST_OFFICE_1,
        address="8 Hoàng Hoa Thám",
        commune=commune,
    )


def page_of(client, code: str) -> str:
    return unescape(client.get(reverse("catalog:procedure", args=[code])).content.decode())


def test_a_postal_procedure_leads_to_a_pickup_with_it_chosen(client, version):
    code = version.procedure.code
    page = page_of(client, code)
    booking_link = f"{reverse('delivery:book_pickup')}?procedure={code}"
    assert booking_link in page
    form = client.get(booking_link).content.decode()
    assert f'<option value="{version.procedure_id}" selected>' in form


def test_the_post_offices_that_receive_it_are_listed(client, world, version, elsewhere):
    page = page_of(client, version.procedure.code)
    points_url = reverse("catalog:procedure_points", args=[version.procedure.code])
    assert points_url in page
    listed = client.get(points_url).content.decode()
    assert world.point_a.name in listed and world.point_b.name in listed
    assert elsewhere.name not in listed
    filtered = client.get(points_url, {"q": "dong ha"}).content.decode()
    assert world.point_a.name in filtered and world.point_b.name not in filtered
    assert client.get(points_url, {"q": "a\x00b"}).status_code == 200


def test_a_procedure_that_cannot_go_by_post_offers_neither(client, world):
    version = make_excluded_procedure()
    code = version.procedure.code
    page = page_of(client, code)
    assert reverse("delivery:book_pickup") + "?procedure" not in page
    assert reverse("catalog:procedure_points", args=[code]) not in page
    form = client.get(reverse("delivery:book_pickup"), {"procedure": code}).content.decode()
    assert f'<option value="{version.procedure_id}" selected>' not in form
    listed = client.get(reverse("catalog:procedure_points", args=[code])).content.decode()
    assert world.point_a.name not in listed


def test_the_declaration_form_prints_when_the_catalog_has_one(client, version):
    code = version.procedure.code
    form_url = reverse("catalog:declaration_form", args=[code])
    assert form_url in page_of(client, code)
    response = client.get(form_url)
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "TỜ KHAI CẤP BẢN SAO TRÍCH LỤC" in text and code in text
    assert "Giấy ủy quyền" in text  # the papers to attach


def test_no_form_link_when_the_catalog_lists_none(client, version):
    version.documents.filter(position=1).update(name="Bản chính giấy tờ")
    RequiredDocument.objects.filter(version=version).exclude(position=1).delete()
    code = version.procedure.code
    assert reverse("catalog:declaration_form", args=[code]) not in page_of(client, code)
    assert client.get(reverse("catalog:declaration_form", args=[code])).status_code == 404
