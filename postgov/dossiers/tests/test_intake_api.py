"""A whole intake in one JSON request: same rules as the pages, idempotent."""

from __future__ import annotations

import io
import uuid

import pytest

from postgov.audit.actions import verify_chain
from postgov.audit.models import AuditEvent
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.workflow import State
from postgov.places.postal_codes import import_postal_codes
from tests.clients import PostGovClient
from tests.factories import QR_NEW_CARD, make_excluded_procedure

URL = "/api/v1/dossiers/intakes"


def body(world, **overrides):
    data = {
        "token": str(uuid.uuid4()),
        "procedure": "1.004227",
        "applicant": {
            "name": "Nguyễn Văn An",
            "id_number": "045090001234",
            "birth_date": "1990-03-15",
            "gender": "male",
            "phone": "0912 345 678",
            "address": "Thôn Tân Định",
            "commune": world.commune_a.code,
        },
        "documents": [
            {"position": 1, "form": "original", "pages": 2},
            {"position": 2, "form": "copy", "pages": 1},
        ],
        "payment": {"method": "cash"},
    }
    data.update(overrides)
    return data


@pytest.fixture
def api(clerk_a):
    client = PostGovClient()
    client.force_login(clerk_a)
    return client


def post(client, data):
    return client.post(URL, data, content_type="application/json")


def test_a_whole_intake_in_one_request_and_a_retry(api, world, version):
    data = body(world)
    first = post(api, data)
    assert first.status_code == 201, first.content
    out = first.json()
    assert out["code"].startswith("000.00.44.H56-") and len(out["items"]) == 2
    assert out["total_due"] == 68_000 and out["receipt_number"].startswith("BL-TEST-A-")
    again = post(api, data)
    assert again.status_code == 200 and again.json()["code"] == out["code"]
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1


def test_a_double_submit_racing_past_the_token_look_up_gets_the_first_dossier(
    api, world, version, monkeypatch
):
    from postgov.dossiers.intake import api as intake_api

    data = body(world)
    first = post(api, data)
    assert first.status_code == 201, first.content
    look_up, missed = intake_api._made_by, []

    def raced(token):  # the first look-up ran before the other request committed
        if not missed:
            missed.append(token)
            return None
        return look_up(token)

    monkeypatch.setattr(intake_api, "_made_by", raced)
    again = post(api, data)
    assert missed and again.status_code == 200, again.content
    assert again.json()["code"] == first.json()["code"]
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1
    assert verify_chain()[1] == []


def test_the_qr_string_fills_the_applicant(api, world, version):
    qr = {"qr": QR_NEW_CARD, "phone": "0905123456", "commune": world.commune_a.code}
    data = body(world, applicant=qr)
    response = post(api, data)
    assert response.status_code == 201, response.content
    assert Dossier.objects.get().applicant_name == "Trần Thị Bích Ngọc"


def test_bad_input_is_a_problem_listing_each_field(api, world, version):
    data = body(world)
    data["applicant"]["phone"] = "123"
    data["applicant"]["id_number"] = "045190001234"  # female digit, male given
    response = post(api, data)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    locs = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert ("applicant", "phone") in locs and ("applicant", "id_number") in locs
    assert not Dossier.objects.exists()


def test_a_junk_qr_is_a_problem_not_a_crash(api, world, version):
    response = post(api, body(world, applicant={"qr": "|||\x00", "phone": "0905123456"}))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["applicant", "qr"]


def test_missing_documents_keep_the_draft_and_a_retry_completes_it(api, world, version):
    data = body(world, documents=[{"position": 2, "form": "copy", "pages": 1}])
    response = post(api, data)
    assert response.status_code == 422
    draft_id = response.json()["dossier"]
    assert Dossier.objects.get(pk=draft_id).status == State.DRAFT
    data["documents"].append({"position": 1, "form": "original", "pages": 1})
    response = post(api, data)
    assert response.status_code == 201 and response.json()["id"] == draft_id


def test_a_refused_intake_keeps_its_draft_with_the_choices_sent_and_a_clean_audit_trail(
    api, world, version
):
    data = body(world, documents=[{"position": 2, "form": "copy", "pages": 3}])
    data["payment"] = {"method": "transfer", "reference": "FT2611"}
    data["return"] = {"method": "hold", "point": world.point_a.code}
    response = post(api, data)
    assert response.status_code == 422
    draft = Dossier.objects.get(pk=response.json()["dossier"])
    assert draft.status == State.DRAFT and draft.code is None
    assert (draft.payment_method, draft.payment_reference) == ("transfer", "FT2611")
    assert draft.return_method == "hold" and draft.return_point_id == world.point_a.pk
    assert draft.documents.get(position=2).pages == 3
    actions = AuditEvent.objects.filter(action__startswith="dossier.").order_by("seq")
    assert list(actions.values_list("action", flat=True)) == [
        "dossier.draft_created",
        "dossier.fees_recorded",
    ]
    assert verify_chain()[1] == []


def test_an_excluded_procedure_is_refused(api, world, version):
    make_excluded_procedure()
    response = post(api, body(world, procedure="2.000488"))
    assert response.status_code == 422
    assert "có mặt" in str(response.json()["errors"])


def test_it_checks_access(client, world, version, outsider, clerk_b):
    assert post(client, body(world)).status_code == 401
    client.force_login(outsider)
    assert post(client, body(world)).status_code == 403
    client.force_login(clerk_b)
    # clerk B may not receive at point A, nor reuse A's token
    response = post(client, body(world, point=world.point_a.code))
    assert response.status_code == 403
    a = PostGovClient()
    a.force_login(world.clerk_a)
    data = body(world)
    assert post(a, data).status_code == 201
    assert post(client, data).status_code == 409


def test_csrf_is_enforced_for_session_clients(world, version, clerk_a):
    client = PostGovClient(enforce_csrf_checks=True)
    client.force_login(clerk_a)
    assert post(client, body(world)).status_code == 403


def test_a_catalog_change_reaches_the_very_next_intake(api, world, version):
    """The version, the tariff and the competent agencies are kept with the process's
    reference data; a change to any of them is seen at once, not after the cache ages."""
    first = post(api, body(world))
    assert first.status_code == 201 and first.json()["total_due"] == 68_000
    fee = version.fees.get(is_default=True)
    fee.amount += 10_000
    fee.save()
    assert post(api, body(world)).json()["total_due"] == 78_000
    version.postal_allowed = False
    version.postal_exclusion_reason = "phải có mặt để lấy dấu vân tay"
    version.save()
    refused = post(api, body(world))
    assert refused.status_code == 422 and "vân tay" in str(refused.json()["errors"])


def test_a_commune_outside_the_points_province_is_still_refused(api, world, version):
    from postgov.places.models import Commune, Province

    other = Province.objects.create(code="01", name="Thành phố Hà Nội", short_name="Hà Nội")
    far = Commune.objects.create(
        code="00004", province=other, name="Phường Ba Đình", short_name="Ba Đình", kind="phuong"
    )
    data = body(world)
    data["applicant"]["commune"] = far.code
    response = post(api, data)
    assert response.status_code == 422
    assert ["applicant", "commune"] in [e["loc"] for e in response.json()["errors"]]
    assert not Dossier.objects.exists()


POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
)


@pytest.fixture
def postal_codes(db):
    import_postal_codes(io.StringIO(POSTAL_CODES), "test", "2025-07-01")


def with_position(world, latitude=None, longitude=None):
    back = {"method": "deliver", "address": "Số 9 Lê Lợi", "commune": world.commune_a.code}
    if latitude is not None:
        back["latitude"] = latitude
    if longitude is not None:
        back["longitude"] = longitude
    return body(world, **{"return": back})


def test_a_delivery_position_is_kept_with_its_vpostcode(api, world, version, postal_codes):
    response = post(api, with_position(world, 16.8061, 107.0752))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["return_position_source"] == "pin" and out["return_vpostcode"].startswith("48100")
    dossier = Dossier.objects.get(pk=out["id"])
    assert (dossier.return_latitude, dossier.return_longitude) == (16.8061, 107.0752)
    assert dossier.return_vpostcode == out["return_vpostcode"]


def test_without_a_position_the_communes_centre_is_used(api, world, version, postal_codes):
    out = post(api, with_position(world)).json()
    assert out["return_position_source"] == "commune"


def test_a_position_far_from_the_commune_is_a_problem_in_the_callers_language(
    api, world, version, postal_codes
):
    hanoi = with_position(world, 21.0285, 105.8542)
    english = api.post(URL, hanoi, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 422
    [error] = english.json()["errors"]
    assert error["loc"] == ["return", "latitude"]
    assert "km from the centre of Phường Đông Hà" in error["msg"]
    hanoi["token"] = str(uuid.uuid4())
    vietnamese = api.post(URL, hanoi, content_type="application/json", HTTP_ACCEPT_LANGUAGE="vi")
    assert "Vị trí cách trung tâm Phường Đông Hà" in vietnamese.json()["errors"][0]["msg"]
    assert not Dossier.objects.exclude(status=State.DRAFT).exists()


@pytest.mark.parametrize(
    ("latitude", "longitude", "loc"),
    [(16.8, None, ["return", "longitude"]), (None, 107.07, ["return", "latitude"])],
)
def test_half_a_position_is_a_problem(api, world, version, latitude, longitude, loc):
    response = post(api, with_position(world, latitude, longitude))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


def test_a_latitude_off_the_globe_is_refused_by_the_schema(api, world, version):
    response = post(api, with_position(world, 91.0, 107.0))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert not Dossier.objects.exists()
