"""Postal orders are counted in the daily roll-ups as their own kind: taken, delivered and
originals handed over, under the post office that serves them, never in the dossiers'
figures; recomputing a day gives the same rows."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from postgov.dossiers.orders import actions
from postgov.dossiers.tests.test_order_notices import collected
from postgov.dossiers.tests.test_order_pages import order_of
from postgov.identity.access import Access
from postgov.reports.models import DailyVolume
from postgov.reports.rollups import EVENT_FIGURES, update_day
from postgov.reports.volumes import volume_report
from tests.agency_helpers import at
from tests.factories import make_intake_catalog
from tests.signing import scribble

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def test_orders_have_their_own_figures(world):
    make_intake_catalog(world)
    with time_machine.travel(at("2026-12-01 09:00"), tick=False):
        delivered = order_of(world, n=1)
        order_of(world, n=2)
        originals = order_of(world, kind="originals", n=3)
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        access = collected(world, delivered)
        actions.step(delivered.pk, "out_for_delivery", actor=world.postman_a, access=access)
        actions.deliver(
            delivered.pk,
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
        actions.receive_originals(
            originals.pk,
            ["Giấy khai sinh"],
            user=world.clerk_a,
            access=Access.for_user(world.clerk_a),
        )
    for day in (date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 2)):
        update_day(day)
    first = DailyVolume.objects.get(day=date(2026, 12, 1))
    assert (first.point_id, first.agency_id) == (world.point_a.pk, world.agency_a.pk)
    assert first.orders_taken == 3 and first.orders_delivered == 0
    second = DailyVolume.objects.get(day=date(2026, 12, 2))
    assert second.orders_taken == 0 and second.orders_delivered == 1
    for row in (first, second):
        assert all(getattr(row, name) == 0 for name in EVENT_FIGURES.values())
    supervisor = Access.for_user(world.supervisor_a)
    report = volume_report(supervisor, date(2026, 12, 1), date(2026, 12, 2))
    assert report.total.figures["orders_taken"] == 3
    assert report.total.figures["orders_delivered"] == 1
    assert report.total.figures["delivered"] == 0
