"""Postal orders through the agency API: the result of a dossier filed online, from the
order to the proof of delivery, with its webhooks and the portal's progress; and the
orders refused (unknown or delivered dossier, repeated order), each audited."""

from __future__ import annotations

import json

import pytest

from postgov.audit.models import AuditEvent
from postgov.delivery.models import DeliveryAttempt, Manifest, PostalItem, ProofOfDelivery
from postgov.dossiers.carriage import manifests
from postgov.dossiers.models import LegRecord
from postgov.dossiers.orders import actions as orders
from postgov.dossiers.orders.models import OrderEvent, PostalOrder
from postgov.exchange import portal
from postgov.exchange.integration import create_api_key, create_webhook
from postgov.exchange.models import PortalSyncItem, WebhookDelivery
from postgov.exchange.portal_simulator import PortalSimulator
from postgov.identity.access import Access
from postgov.lib import s10
from tests.clients import PostGovClient
from tests.factories import make_intake_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

INK = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5b1e0a20000000049454e44ae426082"
)


@pytest.fixture
def simulator(settings):
    sim = PortalSimulator(username="postgov", password="secret-pw")
    url, stop = sim.serve()
    settings.PORTAL_URL = url
    settings.PORTAL_USERNAME = "postgov"
    settings.PORTAL_PASSWORD = "secret-pw"
    yield sim
    stop()


def online_dossier(simulator, code: str, status: str = "9") -> None:
    """A dossier filed on the portal: the portal knows it, PostGov does not."""
    simulator.store.set(f"dossier:{code}", {"MaHoSo": code, "TrangThaiHoSo": status, "TienDo": []})


@pytest.fixture
def api(world):
    make_intake_catalog(world)
    key = create_api_key(world.agency_a, "orders")[1]
    return key


def code_of(world, n: int = 1) -> str:
    return f"{world.agency_a.unit_code}-261130-{n:04d}"


def body(world, n: int = 1, **changes) -> dict:
    from postgov.catalog.models import Procedure

    data = {
        "dossier_code": code_of(world, n),
        "procedure_code": Procedure.objects.first().code,
        "documents": [{"name": "Giấy khai sinh (bản chính)", "number": "123/2026"}],
        "recipient": {
            "name": "Nguyễn Văn An",
            "phone": "0912345678",
            "id_last4": "6789",
            "address": "12 Lê Lợi",
            "commune_code": world.commune_a.code,
        },
        "cod_amount": 30000,
    }
    data.update(changes)
    return data


def post(key, data, *, idem: str | None = None, lang: str = "en"):
    headers = {"HTTP_X_API_KEY": key, "HTTP_ACCEPT_LANGUAGE": lang}
    if idem:
        headers["HTTP_IDEMPOTENCY_KEY"] = idem
    return PostGovClient().post(
        "/api/v1/agency/orders", data=json.dumps(data), content_type="application/json", **headers
    )


def test_a_result_goes_from_the_order_to_the_proof_of_delivery(world, api, simulator):
    online_dossier(simulator, code_of(world))
    create_webhook(world.agency_a, "https://hooks.example.org/postgov")
    answer = post(api, body(world), idem="order-1")
    assert answer.status_code == 201, answer.content
    out = answer.json()
    assert out["status"] == "ordered" and out["dossier_code"] == code_of(world)
    assert s10.is_valid(out["item_id"])
    order = PostalOrder.objects.get(code=out["code"])
    assert order.service_point == world.point_a
    item = PostalItem.objects.get(item_id=out["item_id"])
    assert item.order == order and item.dossier is None and item.leg == "return"
    assert LegRecord.objects.get(order=order).segment == "ord_collect"

    # The postman collects it on the agency's return manifest, with counter results.
    postman = Access.for_user(world.postman_a)
    manifest = manifests.new_manifest(
        point=world.point_a,
        agency=world.agency_a,
        user=world.postman_a,
        access=postman,
        direction=Manifest.Direction.RETURN,
    )
    line = manifests.scan(manifest.pk, out["item_id"], user=world.postman_a, access=postman)
    assert line.order == order and line.dossier is None
    manifests.collect(manifest.pk, user=world.postman_a, access=postman)
    order.refresh_from_db()
    assert order.status == "collected"

    orders.step(order.pk, "out_for_delivery", actor=world.postman_a, access=postman)
    orders.failed_attempt(
        order.pk,
        reason_code="ABSENT",
        action_code="RETRY",
        user=world.postman_a,
        access=postman,
    )
    with pytest.raises(orders.OrderError, match="Collect 30.000 VND"):
        orders.deliver(
            order.pk,
            orders.OrderProof("Nguyễn Văn An", "6789", "self", signature=INK),
            user=world.postman_a,
            access=postman,
        )
    with pytest.raises(orders.OrderError, match="do not match"):
        orders.deliver(
            order.pk,
            orders.OrderProof("Nguyễn Văn An", "1111", "self", signature=INK, cod_collected=30000),
            user=world.postman_a,
            access=postman,
        )
    proof = orders.deliver(
        order.pk,
        orders.OrderProof("Nguyễn Văn An", "6789", "self", signature=INK, cod_collected=30000),
        user=world.postman_a,
        access=postman,
    )
    assert proof.order == order and proof.signature_captured
    assert DeliveryAttempt.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert order.status == "delivered" and order.cod_collected == 30000
    assert not LegRecord.objects.filter(order=order, ended_at__isnull=True).exists()
    assert list(LegRecord.objects.filter(order=order).values_list("segment", flat=True)) == [
        "ord_collect",
        "ord_deliver",
    ]

    # The agency reads every step back...
    status = PostGovClient().get(f"/api/v1/agency/orders/{order.code}", HTTP_X_API_KEY=api)
    assert status.status_code == 200
    steps = [e["action"] for e in status.json()["events"]]
    assert steps == ["order", "collect", "out_for_delivery", "delivery_failed", "deliver"]
    assert status.json()["delivered_to"] == "Nguyễn Văn An" and status.json()["signed"]
    # ...and heard of each by webhook, with the event's id to tell repeats.
    hooks = WebhookDelivery.objects.filter(order=order).order_by("pk")
    ids = [json.loads(h.payload)["data"]["event"]["id"] for h in hooks]
    assert ids == list(OrderEvent.objects.filter(order=order).values_list("pk", flat=True))
    assert [h.event_type for h in hooks][:2] == ["order.new", "order.updated"]
    # The portal hears the progress of its dossier; delivered is "result returned" (10).
    assert PortalSyncItem.objects.filter(order=order).count() == 5
    portal.sync_order.call(order.pk)
    record = simulator.record(code_of(world))
    assert [step["TrangThai"] for step in record["TienDo"]][-1] == "10"
    assert record["TrangThaiHoSo"] == "10"

    # Anyone with the item's number or the order's code sees the postal steps, no name.
    for code in (out["item_id"], order.code):
        tracked = PostGovClient().get(f"/api/v1/track/{code}")
        assert tracked.status_code == 200, tracked.content
        shown = tracked.json()
        assert shown["status"] == "delivered"
        assert [s["status"] for s in shown["steps"]] == [
            "accepted",
            "out_for_delivery",
            "attempt_failed",
            "delivered",
        ]
        assert "Nguyễn" not in tracked.content.decode()
        assert code_of(world) not in tracked.content.decode()
    page = PostGovClient().get("/track/", {"code": order.code})
    assert page.status_code == 200 and "Nguyễn" not in page.content.decode()

    # A second order for the delivered dossier is refused and audited.
    again = post(api, body(world), idem="order-2")
    assert again.status_code == 409
    assert again.json()["code"] == "already_delivered"
    assert again["Content-Type"].startswith("application/problem+json")


def test_refused_orders_say_why_in_the_callers_language_and_are_audited(world, api, simulator):
    online_dossier(simulator, code_of(world, 1))
    online_dossier(simulator, code_of(world, 3), status="10")

    unknown = post(api, body(world, 2))
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_dossier"
    assert "does not know" in unknown.json()["detail"]
    other_agency = post(api, body(world, 1, dossier_code="000.99.44.H56-261130-0001"))
    assert other_agency.json()["code"] == "unknown_dossier"
    returned = post(api, body(world, 3), lang="vi")
    assert returned.status_code == 409 and returned.json()["code"] == "already_delivered"
    assert "đã" in returned.json()["detail"]

    first = post(api, body(world, 1), idem="k-1")
    assert first.status_code == 201
    replay = post(api, body(world, 1), idem="k-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["code"] == first.json()["code"]
    repeated = post(api, body(world, 1), idem="k-2")
    assert repeated.status_code == 409 and repeated.json()["code"] == "already_ordered"
    assert PostalOrder.objects.count() == 1

    refusals = AuditEvent.objects.filter(action="order.refused")
    assert sorted(e.details["reason"] for e in refusals) == [
        "already_delivered",
        "already_ordered",
        "unknown_dossier",
        "unknown_dossier",
    ]
    bad_commune = post(
        api, body(world, 1, recipient={**body(world)["recipient"], "commune_code": "99999"})
    )
    assert bad_commune.status_code == 422 and bad_commune.json()["code"] == "invalid"


def test_an_order_is_cancelled_only_before_collection(world, api, simulator):
    online_dossier(simulator, code_of(world))
    created = post(api, body(world)).json()
    client = PostGovClient()
    cancelled = client.post(
        f"/api/v1/agency/orders/{created['code']}/cancel",
        data=json.dumps({"reason": "Công dân nhận trực tiếp"}),
        content_type="application/json",
        HTTP_X_API_KEY=api,
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = client.post(
        f"/api/v1/agency/orders/{created['code']}/cancel",
        data="{}",
        content_type="application/json",
        HTTP_X_API_KEY=api,
    )
    assert twice.status_code == 409 and twice.json()["code"] == "wrong_state"
    # Cancelled, the dossier may be ordered again.
    assert post(api, body(world)).status_code == 201


def test_another_agencys_credential_sees_no_order(world, api, simulator):
    online_dossier(simulator, code_of(world))
    created = post(api, body(world)).json()
    other = create_api_key(world.agency_b, "b")[1]
    answer = PostGovClient().get(f"/api/v1/agency/orders/{created['code']}", HTTP_X_API_KEY=other)
    assert answer.status_code == 404
    no_key = PostGovClient().get(f"/api/v1/agency/orders/{created['code']}")
    assert no_key.status_code == 401


def test_a_postman_of_another_office_cannot_deliver(world, api, simulator):
    online_dossier(simulator, code_of(world))
    created = post(api, body(world)).json()
    order = PostalOrder.objects.get(code=created["code"])
    with pytest.raises(orders.OrderError, match="another post office"):
        orders.step(
            order.pk, "out_for_delivery", actor=world.clerk_b, access=Access.for_user(world.clerk_b)
        )
    assert ProofOfDelivery.objects.count() == 0
