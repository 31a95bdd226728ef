"""The "Assisted sessions" report page: chart and table, exports, who may read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.assisted import actions
from postgov.assisted.actions import Start
from postgov.identity.access import Access

pytestmark = pytest.mark.clock


def test_a_supervisor_reads_the_report_and_exports_it(client, world, procedure):
    actions.start_session(
        Start(world.point_a.pk, "Trần Thị Hoa", "national", procedure=procedure),
        user=world.clerk_a,
        access=Access.for_user(world.clerk_a),
    )
    client.force_login(world.supervisor_a)
    page = client.get(reverse("reports:assisted")).content.decode()
    assert "<svg" in page and "Phiên hỗ trợ trực tuyến" in page and "Trần Thị Hoa" not in page
    csv = client.get(reverse("reports:assisted") + "?export=csv")
    assert csv.status_code == 200 and "Số phiên" in csv.content.decode("utf-8-sig")
    xlsx = client.get(reverse("reports:assisted") + "?export=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get(reverse("reports:assisted") + "?date_from=2026-03-10&date_to=2026-03-01")
    assert bad.status_code == 200 and "trước" in bad.content.decode()


def test_it_checks_access(client, world):
    for user in (world.clerk_a, world.outsider, world.citizen):
        client.force_login(user)
        assert client.get(reverse("reports:assisted")).status_code == 403
