"""The pages of postal orders: the agency officer orders a delivery and cancels one; the
post office's postman delivers with proof and the money; the clerk takes originals that
then travel on the outbound manifest to the agency. Outsiders see nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.audit.models import AuditEvent
from postgov.delivery.models import Manifest
from postgov.dossiers.carriage import manifests
from postgov.dossiers.carriage.manifests import Check
from postgov.dossiers.orders import actions
from postgov.dossiers.orders.models import PostalOrder
from postgov.identity.access import Access
from tests.factories import make_intake_catalog
from tests.signing import data_url, scribble

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def form_data(world, **changes) -> dict:
    from postgov.catalog.models import Procedure

    data = {
        "agency": world.agency_a.pk,
        "kind": "result",
        "portal_code": f"{world.agency_a.unit_code}-261130-0042",
        "procedure": Procedure.objects.first().pk,
        "documents": "Giấy khai sinh (bản chính)\nTrích lục",
        "recipient_name": "Trần Thị Bình",
        "recipient_phone": "0912345678",
        "recipient_id_last4": "",
        "address": "5 Hùng Vương",
        "commune": world.commune_a.pk,
        "cod_amount": "0",
        "note": "",
    }
    data.update(changes)
    return data


def order_of(world, kind: str = "result", n: int = 7) -> PostalOrder:
    from postgov.catalog.models import Procedure

    return actions.create_order(
        world.agency_a.pk,
        actions.OrderRequest(
            kind=kind,
            portal_code=f"{world.agency_a.unit_code}-261130-{n:04d}",
            procedure_code=Procedure.objects.first().code,
            documents=[{"name": "Giấy khai sinh (bản chính)"}],
            recipient_name="Trần Thị Bình",
            recipient_phone="0912345678",
            address="5 Hùng Vương",
            commune_code=world.commune_a.code,
            cod_amount=20000,
        ),
        via="test",
    )


@pytest.fixture
def catalog(world):
    return make_intake_catalog(world)


def test_an_officer_orders_and_a_bad_order_keeps_what_was_typed(world, catalog, client):
    client.force_login(world.agency_officer)
    page = client.get(reverse("orders:agency_order_new"))
    assert page.status_code == 200
    bad = client.post(
        reverse("orders:agency_order_new"), form_data(world, portal_code="000.99.44.H56-1-1")
    )
    assert bad.status_code == 400
    assert "Trần Thị Bình" in bad.content.decode()
    assert PostalOrder.objects.count() == 0
    assert AuditEvent.objects.filter(action="order.refused").count() == 1
    answer = client.post(reverse("orders:agency_order_new"), form_data(world))
    order = PostalOrder.objects.get()
    assert answer.status_code == 302 and answer.url == reverse(
        "orders:agency_order", args=[order.pk]
    )
    assert order.ordered_by == world.agency_officer and order.ordered_via == "page"
    assert [d["name"] for d in order.documents] == ["Giấy khai sinh (bản chính)", "Trích lục"]
    assert client.get(reverse("orders:agency_orders")).status_code == 200
    client.post(reverse("orders:agency_order", args=[order.pk]), {"reason": "nhầm"})
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_outsiders_see_no_order(world, catalog, client):
    order = order_of(world)
    for user in (world.officer_b, world.clerk_b, world.citizen, world.outsider):
        client.force_login(user)
        for url in (
            reverse("orders:agency_order", args=[order.pk]),
            reverse("orders:point_order", args=[order.pk]),
        ):
            assert client.get(url).status_code in (403, 404), (user, url)
    client.logout()
    answer = client.get(reverse("orders:point_orders"))
    assert answer.status_code == 302


def test_the_postman_delivers_against_proof_and_money(world, catalog, client):
    order = order_of(world)
    postman = Access.for_user(world.postman_a)
    manifest = manifests.new_manifest(
        point=world.point_a,
        agency=world.agency_a,
        user=world.postman_a,
        access=postman,
        direction=Manifest.Direction.RETURN,
    )
    manifests.scan(manifest.pk, order.code, user=world.postman_a, access=postman)
    manifests.collect(manifest.pk, user=world.postman_a, access=postman)
    client.force_login(world.postman_a)
    url = reverse("orders:point_order", args=[order.pk])
    client.post(url, {"step": "out"})
    proof = {
        "step": "deliver",
        "relation": "self",
        "recipient_name": "Trần Thị Bình",
        "id_last4": "1234",
        "relation_note": "",
        "cod_collected": "0",
        "signature": data_url(scribble()),
    }
    short = client.post(url, proof)
    assert short.status_code == 400 and "20.000" in short.content.decode()
    done = client.post(url, {**proof, "cod_collected": "20000"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "delivered" and order.cod_collected == 20000
    page = client.get(url).content.decode()
    assert "Trần Thị Bình" in page

    # The money is in the agency's reconciliation, under the post office that took it.
    from django.utils import timezone

    from postgov.dossiers.actions import visible_dossiers
    from postgov.reports.reconciliation import reconcile

    supervisor = Access.for_user(world.supervisor_a)
    today = timezone.localdate()
    result = reconcile(
        world.agency_a,
        today,
        today,
        visible_dossiers(supervisor),
        actions.visible_orders(supervisor),
    )
    assert [(line.point, line.orders, line.on_delivery) for line in result.lines] == [
        (world.point_a.name, 1, 20000)
    ]
    assert result.total.on_delivery == 20000


def test_originals_go_from_the_counter_to_the_agency(world, catalog, client):
    order = order_of(world, kind="originals")
    client.force_login(world.clerk_a)
    found = client.post(reverse("orders:point_order_lookup"), {"code": order.portal_code})
    assert found.url == reverse("orders:point_order", args=[order.pk])
    url = reverse("orders:point_order", args=[order.pk])
    client.post(url, {"step": "originals", "handed": ["Giấy khai sinh (bản chính)"]})
    order.refresh_from_db()
    assert order.status == "received"
    postman = Access.for_user(world.postman_a)
    manifest = manifests.new_manifest(
        point=world.point_a, agency=world.agency_a, user=world.postman_a, access=postman
    )
    line = manifests.scan(
        manifest.pk, actions.item_of(order).item_id, user=world.postman_a, access=postman
    )
    manifests.dispatch(manifest.pk, user=world.postman_a, access=postman)
    manifests.present(manifest.pk, user=world.postman_a, access=postman, signature=scribble())
    manifests.confirm_handover(
        manifest.pk,
        {line.pk: Check("ok")},
        user=world.agency_receiver,
        access=Access.for_user(world.agency_receiver),
        signature=scribble(),
    )
    order.refresh_from_db()
    assert order.status == "handed_over"
    steps = list(order.events.values_list("action", flat=True))
    assert steps == ["order", "receive_originals", "dispatch", "hand_over"]
