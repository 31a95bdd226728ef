"""Every label says who the item goes to, with the full address, the postal code and the
Vpostcode when they are known: the result's label the postman prints from a delivery, the
supplement's label, and every page of the counter's "print all"."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from pypdf import PdfReader

from postgov.delivery.actions import create_item
from postgov.delivery.models import PostalItem
from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.intake import printing
from postgov.dossiers.intake.supplements import seal_supplement
from postgov.dossiers.models import ReturnMethod
from postgov.identity.access import Access
from postgov.places.postal_codes import import_postal_codes
from tests.agency_helpers import handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

POSTAL_CODES = (
    "code,name,kind,province_code,commune_code,latitude,longitude\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
    "47100,Phường Đồng Hới,commune,44,18880,17.4522,106.632\n"
)


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def postal_codes(world):
    import_postal_codes(io.StringIO(POSTAL_CODES), "QT 2025", date(2025, 7, 1), "test")
    world.point_a.latitude, world.point_a.longitude = 16.8031, 107.0722
    world.point_a.save(update_fields=["latitude", "longitude"])
    world.agency_a.postal_code = "47100"
    world.agency_a.save(update_fields=["postal_code"])


def with_result(world, **fields):
    dossier = handed_over(world, **fields)
    move(dossier, "accept", world.agency_receiver)
    return move(dossier, "result_ready", world.agency_officer)


def test_the_result_label_is_addressed_to_the_citizen(client, world, postal_codes):
    dossier = with_result(
        world,
        applicant_name="Trần Thị Bích Ngọc",
        applicant_phone="0905123456",
        applicant_address="Thôn Tân Định",
        return_method=ReturnMethod.DELIVER,
        return_address="Số 45 đường Hùng Vương, khu phố 3",
        return_commune=world.commune_a,
    )
    dossier = move(dossier, "collect_result", world.postman_a)
    item = create_item(dossier, PostalItem.Leg.RETURN)
    client.force_login(world.postman_a)
    response = client.get(reverse("carriage:item_label", args=[item.item_id]))
    assert response.status_code == 200
    text = text_of(response.content)
    recipient = text[text.index("ĐẾN") : text.index("TỪ")]
    for expected in [
        "Trần Thị Bích Ngọc",
        "0905123456",
        "Số 45 đường Hùng Vương, khu phố 3",
        "Phường Đông Hà",
        "Tỉnh Quảng Trị",
        "Mã bưu chính: 48100",
    ]:
        assert expected in recipient, expected
    assert "Trung tâm Phục vụ hành chính công" not in recipient
    sender = text[text.index("TỪ") :]
    assert "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị" in sender
    assert "Mã bưu chính: 47100" in sender
    assert "Chiều về: kết quả trả công dân" in text
    assert text.count("BƯU GỬI HÀNH CHÍNH CÔNG") == 1


def test_a_result_held_at_the_office_names_the_office_with_its_vpostcode(world, postal_codes):
    dossier = with_result(world, return_method=ReturnMethod.HOLD, return_point=world.point_a)
    item = create_item(dossier, PostalItem.Leg.RETURN)
    text = text_of(printing.render_item_label(item))
    recipient = text[text.index("ĐẾN") : text.index("TỪ")]
    assert "Nguyễn Văn An" in recipient and "Nhận tại Bưu điện Đông Hà" in recipient
    assert "1 Trần Hưng Đạo, Phường Đông Hà, Tỉnh Quảng Trị" in recipient
    assert "Mã bưu chính: 48100" in recipient and "Vpostcode: 48100 " in recipient


def test_the_supplement_label_goes_to_the_agency(client, world, postal_codes):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    officer = Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer))
    act(dossier.pk, "request_supplement", officer, missing=["Giấy chứng sinh"])
    clerk = world.clerk_a
    _, item = seal_supplement(
        dossier.pk,
        brought=["Giấy chứng sinh"],
        pages=1,
        user=clerk,
        access=Access.for_user(clerk),
    )
    client.force_login(clerk)
    text = text_of(client.get(reverse("carriage:item_label", args=[item.item_id])).content)
    recipient = text[text.index("ĐẾN") : text.index("TỪ")]
    assert "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị" in recipient
    assert "Đồng Hới, Tỉnh Quảng Trị" in recipient
    assert "Mã bưu chính: 47100" in recipient
    sender = text[text.index("TỪ") :]
    assert "Bưu điện Đông Hà" in sender and "Vpostcode: 48100 " in sender
    assert "hồ sơ bổ sung gửi cơ quan" in text


def test_print_all_has_the_return_label_too(world):
    from postgov.dossiers.tests.intake_helpers import draft, pay, seal, tick_all
    from tests.factories import make_intake_catalog

    dossier = draft(world, make_intake_catalog(world), name="Trần Thị Bích Ngọc")
    tick_all(dossier)
    dossier = pay(dossier, return_address="Số 45 đường Hùng Vương", return_commune=world.commune_a)
    dossier, _ = seal(dossier)
    items = {item.leg: item.item_id for item in dossier.items.all()}
    assert set(items) == {"outbound", "return"}
    text = text_of(printing.render(printing.load(dossier.pk), "all"))
    assert items["outbound"][:2] in text
    for item_id in items.values():
        spaced = f"{item_id[:2]} {item_id[2:6]} {item_id[6:10]} {item_id[10:]}"
        assert spaced in text, item_id
    assert "Chiều về: kết quả trả công dân" in text
    assert "Số 45 đường Hùng Vương, Phường Đông Hà, Tỉnh Quảng Trị" in text
