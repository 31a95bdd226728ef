"""Custody events of State mail per second, in the benchmark's own database: one clerk and
one postman, both cleared for Tối mật, hand items back and forth — the giver offers
(naming the guard the sender asked for), the taker checks the seal and the guard signs on
the taker's screen — each hand one `CustodyEvent` written by `statemail.actions.take`
with its locks, checks and audit event. Prints JSON for run.py.

Run by run.py as: python bench/orders/custody.py <seconds> <items>
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postgov.settings")
# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from postgov.identity.models import Role, RoleAssignment, User  # noqa: E402
from postgov.places.models import Commune, Province, ServicePoint  # noqa: E402
from postgov.statemail import actions  # noqa: E402
from postgov.statemail.models import CustodyEvent, Level  # noqa: E402


def signature() -> bytes:
    image = Image.new("RGBA", (300, 90), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 45), (150, 20), (290, 60)], fill=(11, 42, 91, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def fixture():
    province = Province.objects.create(code="99", name="Tỉnh Bench", short_name="Bench")
    commune = Commune.objects.create(
        code="99001", province=province, name="Phường Bench", short_name="Bench", kind="phuong"
    )
    point = ServicePoint.objects.create(
        code="BENCH-SM", name="Bưu điện Bench", kind="po1", address="1 Lê Lợi", commune=commune
    )
    admin = User.objects.create(username="bench-sm-admin", full_name="Quản trị tỉnh")
    RoleAssignment.objects.create(user=admin, role=Role.PROVINCIAL_ADMIN, province=province)
    people = []
    for name, role in (("bench-sm-clerk", Role.CLERK), ("bench-sm-postman", Role.POSTMAN)):
        user = User.objects.create(username=name, full_name=name)
        RoleAssignment.objects.create(user=user, role=role, service_point=point)
        today = timezone.localdate()
        actions.grant_clearance(
            by=admin,
            user=user,
            level=Level.TOI_MAT,
            province_id=province.pk,
            valid_from=today,
            valid_until=today + timedelta(days=30),
        )
        people.append(user)
    return point, people


def main(seconds: float, count: int) -> dict:
    point, (clerk, postman) = fixture()
    drawn = signature()
    items = [
        actions.accept(
            clerk=clerk,
            point=point,
            form=actions.Acceptance(
                level=Level.TOI_MAT,
                sender_body="Văn phòng Bench",
                addressee_body="Ban Bench",
                outer_seal=f"NP-{n:05d}",
                guard_requested=True,
                brought_by="Giao liên",
            ),
        )
        for n in range(count)
    ]
    holder = {item.pk: clerk for item in items}
    other = {clerk.pk: postman, postman.pk: clerk}
    before = CustodyEvent.objects.count()
    hands = 0
    started = time.perf_counter()
    stop = started + seconds
    while time.perf_counter() < stop:
        for item in items:
            giver = holder[item.pk]
            taker = other[giver.pk]
            actions.offer(
                giver=giver,
                item_id=item.pk,
                taker=taker,
                place="Quầy 1",
                guard="Võ Văn An",
                guard_id_number="044085001234",
            )
            event = actions.take(
                taker=taker,
                item_id=item.pk,
                point_id=point.pk,
                seals_typed=[item.outer_seal],
                guard_signature=drawn,
            )
            assert event.kind == CustodyEvent.Kind.HANDED_OVER
            holder[item.pk] = taker
            hands += 1
    elapsed = time.perf_counter() - started
    assert CustodyEvent.objects.count() - before == hands
    return {
        "custody_events": hands,
        "seconds": round(elapsed, 2),
        "custody_events_per_s": hands / elapsed,
        "items": count,
    }


if __name__ == "__main__":
    print(json.dumps(main(float(sys.argv[1]), int(sys.argv[2]))))
