"""The rules a keyed value is checked against, one type at a time."""

from __future__ import annotations

import pytest
from django.utils import translation

from postgov.places.models import CommuneSuccession, LegacyCommune, LegacyDistrict, LegacyProvince
from postgov.registers import schemas
from postgov.registers.fields import SchemaError, check_record, check_schema, check_value

ID = {
    "key": "id_number",
    "label": {"vi": "Số định danh", "en": "ID"},
    "type": "id_number",
    "birth_date": "birth_date",
    "gender": "gender",
}


def field(type_, **extra):
    return {"key": "x", "label": {"vi": "X", "en": "X"}, "type": type_, **extra}


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("1985", "1985"),
        ("5/1985", "05/1985"),
        ("7/5/1985", "07/05/1985"),
        ("07-05-1985", "07/05/1985"),
    ],
)
def test_partial_dates_are_kept_to_the_precision_keyed(typed, stored):
    assert check_value(field("date"), typed).value == stored


@pytest.mark.parametrize("typed", ["31/02/1985", "85", "1985/05", "abc", "1/2/3/1985"])
def test_impossible_dates_are_refused(typed):
    assert check_value(field("date"), typed).error


def test_a_date_field_may_refuse_a_year_alone():
    checked = check_value(field("date", precision=["month", "day"]), "1990")
    with translation.override("en"):
        assert (
            "mm/yyyy, dd/mm/yyyy"
            in check_value(field("date", precision=["month", "day"]), "1990").error
        )
    assert checked.error


def test_the_id_number_is_checked_against_birth_date_and_gender():
    values = {"birth_date": "12/05/1985", "gender": "male"}
    assert check_value(ID, "045 085 000 123", values).value == "045085000123"
    assert not check_value(ID, "045085000123", values).error
    with translation.override("en"):
        assert "birth year" in check_value(ID, "045090000123", values).error
        assert "gender" in check_value(ID, "045185000123", values).error
        assert "12 digits" in check_value(ID, "04508500012", values).error
    # A year alone is enough to check the year digits.
    assert not check_value(ID, "045085000123", {"birth_date": "1985"}).error
    assert check_value(ID, "045085000123", {"birth_date": "1990"}).error


def test_social_insurance_code_phone_number_and_choices():
    assert check_value(field("si_code"), "44 1234 5678").value == "4412345678"
    assert check_value(field("si_code"), "441234567").error
    assert check_value(field("phone"), "0912 345 678").value == "0912345678"
    assert check_value(field("phone"), "12345").error
    choice = field("choice", choices=[{"value": "01", "label": {"vi": "Kinh", "en": "Kinh"}}])
    assert check_value(choice, "kinh").value == "01"
    assert check_value(choice, "01").value == "01"
    assert check_value(choice, "Tày").error


def test_numbers_patterns_and_required_fields():
    number = field("number", min=1, max=30)
    assert check_value(number, "3").value == "3"
    assert check_value(number, "31").error
    assert check_value(number, "3a").error
    text = field("text", pattern=r"[^\d]+", required=True)
    assert check_value(text, "Nguyễn  Văn   An").value == "Nguyễn Văn An"
    assert check_value(text, "An 2").error
    with translation.override("vi"):
        assert check_value(text, "").error == "Trường này là bắt buộc."
    with translation.override("en"):
        assert check_value(text, "").error == "This field is required."


def test_a_commune_is_found_by_its_current_name(world):
    assert check_value(field("commune"), "Đông Hà").value == world.commune_a.code
    assert check_value(field("commune"), "phuong dong hoi, quang tri").value == world.commune_b.code
    assert check_value(field("commune"), "Nowhere at all").error


def test_a_commune_is_found_by_its_old_name_and_stored_as_the_new_one(world):
    old_province = LegacyProvince.objects.create(
        code="45", name="Tỉnh Quảng Trị", short_name="Quảng Trị", successor=world.province
    )
    district = LegacyDistrict.objects.create(
        code="461", province=old_province, name="Thành phố Đông Hà", kind="Thành phố"
    )
    old = LegacyCommune.objects.create(
        code="19339", district=district, name="Phường 3", kind="Phường"
    )
    CommuneSuccession.objects.create(
        legacy_district=district, legacy_commune=old, commune=world.commune_a
    )
    checked = check_value(field("commune"), "Phường 3", province_id=world.province.pk)
    assert checked.value == world.commune_a.code


def test_a_whole_record_is_checked_with_the_same_rules():
    fields = schemas.ready_schema("population")["fields"]
    clean, errors = check_record(fields, {"full_name": "An", "birth_date": "1985", "gender": "nữ"})
    assert clean["gender"] == "female"
    assert set(errors) == {"home_commune", "household_head"}


@pytest.mark.parametrize("name", schemas.READY)
def test_the_ready_schemas_are_usable(name):
    assert check_schema(schemas.ready_schema(name)["fields"])


def test_a_bad_schema_says_what_is_wrong():
    with translation.override("en"), pytest.raises(SchemaError, match="used twice"):
        check_schema([field("text"), field("text")])
    with translation.override("vi"), pytest.raises(SchemaError, match="loại không rõ"):
        check_schema([field("colour")])
