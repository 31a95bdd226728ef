"""The recipient of a postal order's result hears of it as a counter dossier's applicant
does: out for delivery, a failed attempt and what follows, delivered. One message per
happening: a hold after a failed attempt is told by the attempt's message."""

from __future__ import annotations

import pytest

from postgov.delivery.models import DeliveryAttempt, Manifest
from postgov.dossiers.carriage import manifests
from postgov.dossiers.orders import actions
from postgov.dossiers.tests.test_order_pages import order_of
from postgov.identity.access import Access
from postgov.notify.models import Message
from tests.factories import make_intake_catalog
from tests.signing import scribble

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def catalog(world):
    return make_intake_catalog(world)


def collected(world, order):
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
    return postman


def sms(order) -> list[Message]:
    return list(
        Message.objects.filter(
            object_type="dossiers.postalorder", object_id=str(order.pk)
        ).order_by("pk")
    )


def test_the_recipient_hears_of_each_delivery_step(world, catalog):
    order = order_of(world)
    access = collected(world, order)
    who = {"actor": world.postman_a, "access": access}
    assert sms(order) == []
    actions.step(order.pk, "out_for_delivery", **who)
    actions.failed_attempt(
        order.pk, reason_code="ABSENT", action_code="RETRY", user=world.postman_a, access=access
    )
    actions.failed_attempt(
        order.pk, reason_code="ABSENT", action_code="HOLD", user=world.postman_a, access=access
    )
    actions.step(order.pk, "out_for_delivery", **who)
    actions.deliver(
        order.pk,
        actions.OrderProof(
            recipient_name="Trần Thị Bình",
            id_last4="1234",
            relation="self",
            signature=scribble(),
            cod_collected=20000,
        ),
        user=world.postman_a,
        access=access,
    )
    sent = sms(order)
    assert [m.template for m in sent] == [
        "order_out_for_delivery",
        "order_delivery_failed",
        "order_delivery_failed",
        "order_out_for_delivery",
        "order_deliver",
    ]
    assert {m.recipient for m in sent} == {order.recipient_phone}
    assert order.portal_code in sent[0].body
    assert "Buu ta se phat lai" in sent[1].body and "Nguoi nhan vang nha" in sent[1].body
    assert "giu tai Buu dien" in sent[2].body
    assert DeliveryAttempt.objects.filter(order=order, delivered=False).count() == 2


def test_originals_and_an_unfinished_step_send_nothing(world, catalog):
    originals = order_of(world, kind="originals", n=9)
    actions.receive_originals(
        originals.pk,
        ["Giấy khai sinh (bản chính)"],
        user=world.clerk_a,
        access=Access.for_user(world.clerk_a),
    )
    assert sms(originals) == []
    order = order_of(world)
    access = collected(world, order)
    actions.step(order.pk, "out_for_delivery", actor=world.postman_a, access=access)
    with pytest.raises(actions.OrderError):
        actions.deliver(
            order.pk,
            actions.OrderProof(
                recipient_name="Trần Thị Bình",
                id_last4="1234",
                relation="self",
                signature=scribble(),
                cod_collected=0,
            ),
            user=world.postman_a,
            access=access,
        )
    assert [m.template for m in sms(order)] == ["order_out_for_delivery"]
