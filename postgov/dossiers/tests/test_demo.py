"""The whole demo with its dossiers and pickups, loaded twice."""

from __future__ import annotations

from postgov.delivery.models import PickupBooking, PostalItem
from postgov.demo import load_demo
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import State


def counts():
    return (
        Dossier.objects.count(),
        DossierEvent.objects.count(),
        PostalItem.objects.count(),
        PickupBooking.objects.count(),
    )


def dossiers_line(lines: list[str]) -> str:
    return [line for line in lines if line.lstrip().startswith("dossiers:")][-1]


def test_the_demo_has_dossiers_in_several_states_and_loads_twice(db):
    lines = []
    load_demo(log=lines.append)
    assert "6 demo dossiers created" in dossiers_line(lines)
    states = set(Dossier.objects.values_list("status", flat=True))
    assert {State.DRAFT, State.SEALED, State.IN_TRANSIT} <= states
    points = set(Dossier.objects.values_list("receiving_point__code", flat=True))
    assert points == {"QT-001", "QT-002"}
    assert PickupBooking.objects.filter(status="assigned").exists()
    assert PickupBooking.objects.filter(status="requested").exists()
    before = counts()
    load_demo(log=lines.append)
    assert counts() == before
    assert "0 demo dossiers created" in dossiers_line(lines)
