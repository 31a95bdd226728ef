"""The citizen's "my dossiers" lists the parts of a linked package under the package: its
code, name and rolled-up state, then its parts; a dossier taken in alone stays a line of
its own. The packages and their parts are read once for the page, whatever their number."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.dossiers.tests.linked_helpers import BIRTH, at_agency, linked_world, part, take_in
from postgov.dossiers.views import citizen
from postgov.identity.models import Level
from tests.agency_helpers import move
from tests.factories import make_intake_catalog
from tests.personas import make_user

pytestmark = pytest.mark.clock

MY_DOSSIERS = reverse("mine:dossiers")
NUMBER = "045090001234"  # the applicant of the linked helpers' intakes


@pytest.fixture
def an(world):
    return make_user(
        "an",
        "Nguyễn Văn An",
        level=Level.VERIFIED,
        declared_id_number=NUMBER,
        verified_id_number=NUMBER,
        verified_at=timezone.now(),
    )


def _rows(body: str, testid: str) -> int:
    return body.count(f'data-testid="{testid}"')


def test_the_parts_are_listed_under_their_package(client, world, an):
    linked = linked_world(world)
    package = take_in(world, linked)
    alone, _ = seal(ready(world, make_intake_catalog(world), id_number=NUMBER))
    birth = at_agency(world, part(package, BIRTH).dossier)
    move(birth, "request_supplement", world.agency_officer, note="Thiếu giấy chứng sinh")
    client.force_login(an)
    body = client.get(MY_DOSSIERS).content.decode()
    assert package.code in body and linked.name in body
    assert _rows(body, "package-row") == 1 and _rows(body, "package-part") == 3
    # The package's state is its most pressing part's, in the page's language.
    assert "Một phần cần người dân bổ sung" in body
    assert "Thủ tục liên thông, 3 hồ sơ" in body
    _head, _, rest = body.partition('data-testid="package-row"')
    for p in package.parts.select_related("dossier"):
        assert p.dossier.code in rest
        assert reverse("mine:dossier", args=[p.dossier.pk]) in body
    # The dossier taken in alone is a line of its own, not under the package.
    assert alone.code in body
    assert body.count(alone.code) == 1


def test_more_packages_cost_no_more_queries(client, world, an):
    linked = linked_world(world)
    take_in(world, linked)
    client.force_login(an)
    client.get(MY_DOSSIERS)  # warm the caches of the session and the catalog
    with CaptureQueriesContext(connection) as one:
        assert client.get(MY_DOSSIERS).status_code == 200
    take_in(world, linked)
    take_in(world, linked)
    with CaptureQueriesContext(connection) as three:
        body = client.get(MY_DOSSIERS).content.decode()
    assert _rows(body, "package-row") == 3 and _rows(body, "package-part") == 9
    assert len(three) == len(one)


def test_a_package_across_two_pages_is_listed_once(client, world, an, monkeypatch):
    monkeypatch.setattr(citizen, "PAGE_SIZE", 2)
    package = take_in(world, linked_world(world))
    client.force_login(an)
    first = client.get(MY_DOSSIERS).content.decode()
    second = client.get(MY_DOSSIERS, {"page": 2}).content.decode()
    assert _rows(first, "package-row") == 1 and _rows(first, "package-part") == 3
    assert package.code not in second and _rows(second, "package-part") == 0
