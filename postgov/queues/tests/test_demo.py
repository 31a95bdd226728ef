from __future__ import annotations

from postgov.places import demo as places_demo
from postgov.places.models import ServicePoint
from postgov.queues import demo
from postgov.queues.models import Counter, QueueService


def test_each_demo_post_office_gets_its_lines_and_counters_once(db):
    places_demo.load_demo()
    first = demo.load_demo()
    assert demo.load_demo() == "0 queue services, 0 counters"
    points = ServicePoint.objects.filter(is_demo=True, commune__province__code="44")
    assert points.exists() and first.startswith(f"{2 * points.count()} queue services")
    big = points.filter(kind=ServicePoint.Kind.POST_OFFICE_1).first()
    assert big is not None
    assert set(QueueService.objects.filter(service_point=big).values_list("letter", flat=True)) == {
        "A",
        "B",
    }
    counter_2 = Counter.objects.get(service_point=big, number=2)
    assert {s.letter for s in counter_2.services.all()} == {"A", "B"}
