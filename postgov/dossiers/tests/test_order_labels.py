"""The label of a postal order's item: the counter's label page, addressed to the
recipient for a result and to the agency for originals, showing what a dossier's label
shows and nothing the order keeps for the postman alone (ID digits, money to collect)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from postgov.dossiers.orders import actions
from postgov.dossiers.tests.test_order_pages import order_of
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def catalog(world):
    return make_intake_catalog(world)


def test_a_result_orders_label_goes_to_the_recipient(world, catalog, client):
    order = order_of(world)
    order.recipient_id_last4 = "4321"
    order.save(update_fields=["recipient_id_last4"])
    item = actions.item_of(order)
    client.force_login(world.postman_a)
    page = client.get(reverse("orders:point_order", args=[order.pk]))
    label_url = reverse("carriage:item_label", args=[item.item_id])
    assert label_url in page.content.decode()
    response = client.get(label_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    recipient = text[text.index("ĐẾN") : text.index("TỪ")]
    assert "Trần Thị Bình — 0912345678" in recipient
    assert "5 Hùng Vương" in recipient
    sender = text[text.index("TỪ") :]
    assert world.agency_a.name in sender
    assert "kết quả trả công dân" in text
    assert order.portal_code in text and order.code in text
    assert item.item_id[:2] in text
    # The postman's own checks stay off the parcel.
    assert "4321" not in text and "20.000" not in text and "20000" not in text


def test_an_originals_label_goes_from_the_post_office_to_the_agency(world, catalog, client):
    order = order_of(world, kind="originals", n=8)
    item = actions.item_of(order)
    client.force_login(world.agency_officer)
    text = text_of(client.get(reverse("carriage:item_label", args=[item.item_id])).content)
    recipient = text[text.index("ĐẾN") : text.index("TỪ")]
    assert world.agency_a.name in recipient
    assert order.service_point.name in text[text.index("TỪ") :]


def test_an_orders_label_is_for_those_who_see_the_order(world, catalog, client):
    item = actions.item_of(order_of(world))
    url = reverse("carriage:item_label", args=[item.item_id])
    for user in (world.officer_b, world.clerk_b, world.citizen, world.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    client.logout()
    assert client.get(url).status_code == 302
