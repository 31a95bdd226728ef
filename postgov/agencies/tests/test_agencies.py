from __future__ import annotations

import pytest
from django.urls import reverse

from postgov.agencies.models import Competence
from postgov.agencies.routing import competent_agencies, proposed_agency, receiving_centres
from postgov.catalog.models import Procedure


@pytest.fixture
def birth_registration(world):
    procedure = Procedure.objects.create(
        code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch", agency_level="commune"
    )
    # Agency B processes it for its own commune; agency A for the whole province.
    Competence.objects.create(
        agency=world.agency_b,
        procedure=procedure,
        province=world.province,
        commune=world.commune_b,
    )
    Competence.objects.create(agency=world.agency_a, procedure=procedure, province=world.province)
    return procedure


def test_the_communes_own_agency_comes_first(world, birth_registration):
    agencies = list(competent_agencies(birth_registration, world.commune_b))
    assert agencies == [world.agency_b, world.agency_a]
    assert proposed_agency(birth_registration, world.commune_b) == world.agency_b


def test_elsewhere_in_the_province_the_provincial_agency_is_competent(world, birth_registration):
    assert list(competent_agencies(birth_registration, world.commune_a)) == [world.agency_a]


def test_inactive_agencies_are_not_proposed(world, birth_registration):
    world.agency_b.active = False
    world.agency_b.save(update_fields=["active"])
    assert proposed_agency(birth_registration, world.commune_b) == world.agency_a


def test_any_service_centre_of_the_province_may_receive(world):
    assert list(receiving_centres(world.province)) == [world.agency_a]


def test_agency_pages_are_public(client, world, birth_registration):
    response = client.get(reverse("agencies:agencies"), {"q": "dong hoi"})
    assert response.status_code == 200
    assert "UBND phường Đồng Hới" in response.content.decode()
    detail = client.get(reverse("agencies:agency", args=[world.agency_b.unit_code]))
    assert "Đăng ký khai sinh" in detail.content.decode()


def test_agency_pages_refuse_post(client, world):
    assert client.post(reverse("agencies:agencies")).status_code == 405


def test_unknown_agency_is_404(client, world):
    assert client.get(reverse("agencies:agency", args=["nope"])).status_code == 404


def test_api_lists_and_routes(client, world, birth_registration):
    listing = client.get("/api/v1/agencies/", {"level": "commune"}).json()
    assert [a["unit_code"] for a in listing["items"]] == [world.agency_b.unit_code]
    routed = client.get(
        "/api/v1/agencies/competent", {"procedure": "1.001193", "commune": world.commune_b.code}
    ).json()
    assert [a["unit_code"] for a in routed] == [world.agency_b.unit_code, world.agency_a.unit_code]


def test_api_errors_are_problem_details(client, world):
    response = client.get("/api/v1/agencies/competent", {"procedure": "x", "commune": "y"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    missing = client.get("/api/v1/agencies/competent")
    assert missing.status_code == 422
    assert missing.json()["errors"]


def test_calendar_uses_office_hours_and_the_swap_table(world):
    from datetime import date, datetime

    from postgov.agencies.calendar import calendar_for
    from postgov.agencies.models import CalendarAdjustment
    from postgov.lib.workingtime import VIETNAM

    CalendarAdjustment.objects.create(date=date(2026, 12, 31), kind="day_off")
    CalendarAdjustment.objects.create(
        date=date(2026, 12, 31), kind="working_day", province=world.province
    )
    CalendarAdjustment.objects.create(date=date(2026, 12, 30), kind="day_off")
    calendar = calendar_for(world.agency_a)
    assert not calendar.is_working_day(date(2026, 12, 30))
    assert calendar.is_working_day(date(2026, 12, 31))  # the province's entry wins
    received = datetime(2026, 12, 29, 10, 0, tzinfo=VIETNAM)
    due = calendar.due_in_working_days(received, 1, after_15h_next_day=True)
    assert due == datetime(2026, 12, 31, 17, 0, tzinfo=VIETNAM)


def test_api_pagination_is_bounded(client, world):
    huge = client.get("/api/v1/agencies/", {"offset": 10**19})
    assert huge.status_code == 422
    assert huge["Content-Type"] == "application/problem+json"
    assert client.get("/api/v1/agencies/", {"limit": 5000}).status_code == 422
    assert client.get("/api/v1/agencies/", {"offset": 9_000_000}).json()["items"] == []
