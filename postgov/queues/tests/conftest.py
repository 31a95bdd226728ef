from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache

from postgov.queues.models import Counter, QueueService


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    cache.clear()
    yield
    cache.clear()


@dataclass
class Room:
    a: QueueService
    b: QueueService
    counter_1: Counter  # serves A
    counter_2: Counter  # serves A and B


@pytest.fixture
def room(world) -> Room:
    """Point A's waiting room: line A (administrative, target 15 min, 2 appointments a
    half hour), line B (postal, 10 min), counter 1 for A, counter 2 for A and B."""
    a = QueueService.objects.create(
        service_point=world.point_a,
        letter="A",
        kind=QueueService.Kind.ADMINISTRATIVE,
        target_minutes=15,
        slot_capacity=2,
    )
    b = QueueService.objects.create(
        service_point=world.point_a,
        letter="B",
        kind=QueueService.Kind.POSTAL,
        target_minutes=10,
        slot_capacity=1,
    )
    counter_1 = Counter.objects.create(service_point=world.point_a, number=1)
    counter_1.services.set([a])
    counter_2 = Counter.objects.create(service_point=world.point_a, number=2)
    counter_2.services.set([a, b])
    return Room(a, b, counter_1, counter_2)
