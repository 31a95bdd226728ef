"""The demo's waiting rooms: at each Quảng Trị demo post office, line A for
administrative procedures and line B for postal services, and its counters. Idempotent:
rows are found by the point and their letter or number."""

from __future__ import annotations

from django.db import transaction

from postgov.places.models import ServicePoint
from postgov.queues.models import Counter, QueueService

# letter, kind, waiting-time target (minutes), appointments per half hour
SERVICES = (
    ("A", QueueService.Kind.ADMINISTRATIVE, 15, 2),
    ("B", QueueService.Kind.POSTAL, 10, 1),
)
# The counters of a level-1 post office, and of the others: the letters each serves.
COUNTERS_BIG = ({"A"}, {"A", "B"}, {"B"})
COUNTERS_SMALL = ({"A"}, {"A", "B"})


@transaction.atomic
def load_demo() -> str:
    points = ServicePoint.objects.filter(is_demo=True, commune__province__code="44")
    services_made = counters_made = 0
    for point in points:
        by_letter = {}
        for letter, kind, target, capacity in SERVICES:
            service, made = QueueService.objects.get_or_create(
                service_point=point,
                letter=letter,
                defaults={"kind": kind, "target_minutes": target, "slot_capacity": capacity},
            )
            by_letter[letter] = service
            services_made += made
        big = point.kind == ServicePoint.Kind.POST_OFFICE_1
        for number, letters in enumerate(COUNTERS_BIG if big else COUNTERS_SMALL, start=1):
            counter, made = Counter.objects.get_or_create(service_point=point, number=number)
            if made:
                counter.services.set([by_letter[letter] for letter in sorted(letters)])
                counters_made += 1
    return f"{services_made} queue services, {counters_made} counters"
