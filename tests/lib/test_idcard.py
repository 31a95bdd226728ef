import contextlib
from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from postgov.lib.idcard import Gender, IdCardError, parse_qr, validate_cccd

OLD_CARD = "045090001234|197123456|Nguyễn Văn An|15031990|Nam|Phường 1, Đông Hà, Quảng Trị|20042021"
NEW_CARD = (
    "044303004321||Trần Thị Bích|01022003|Nữ|Xã Quảng Hòa, Quảng Trị|10082024"
    "|123456789|Trần Văn Cha|Lê Thị Mẹ"
)


def test_old_chip_card():
    card = parse_qr(OLD_CARD)
    assert card.id_number == "045090001234"
    assert card.old_id_number == "197123456"
    assert card.full_name == "Nguyễn Văn An"
    assert card.birth_date == date(1990, 3, 15)
    assert card.gender == Gender.MALE
    assert card.issue_date == date(2021, 4, 20)


def test_new_card_with_extra_fields():
    card = parse_qr(NEW_CARD)
    assert card.id_number == "044303004321"
    assert card.gender == Gender.FEMALE
    assert card.birth_date == date(2003, 2, 1)
    assert card.extra == ("123456789", "Trần Văn Cha", "Lê Thị Mẹ")


@pytest.mark.parametrize(
    "number, birth, gender, fragment",
    [
        ("04509000123", None, None, "12"),
        ("999090001234", None, None, "999"),
        ("045190001234", date(1990, 1, 1), Gender.MALE, "Giới tính"),
        ("045091001234", date(1990, 1, 1), Gender.MALE, "Năm sinh"),
        ("045290001234", date(1990, 1, 1), Gender.MALE, "thế kỷ"),
        ("045890001234", None, None, "thế kỷ"),
    ],
)
def test_id_number_errors_say_what_is_wrong(number, birth, gender, fragment):
    # The fragments are Vietnamese: read the message in Vietnamese, whatever language an
    # earlier test in this worker left active.
    with translation.override("vi"), pytest.raises(IdCardError) as err:
        validate_cccd(number, birth, gender)
    assert fragment in str(err.value)


def test_valid_id_numbers():
    assert validate_cccd("045 090 001 234", date(1990, 3, 15), Gender.MALE) == "045090001234"
    assert validate_cccd("079305000001", date(2005, 1, 1), Gender.FEMALE) == "079305000001"


@pytest.mark.parametrize(
    "junk",
    ["", "hello", "|||||||", "045090001234|x|Tên|31021990|Nam|addr|", "https://example.com/?a|b"],
)
def test_junk_is_a_validation_error(junk):
    with pytest.raises(IdCardError):
        parse_qr(junk)


@given(st.text(max_size=300))
def test_parser_never_raises_anything_but_a_validation_error(text):
    with contextlib.suppress(IdCardError):
        parse_qr(text)


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_characters="|"), max_size=20),
        min_size=7,
        max_size=12,
    )
)
def test_pipe_separated_junk_never_crashes(fields):
    with contextlib.suppress(IdCardError):
        parse_qr("|".join(fields))


@pytest.mark.parametrize(
    ("call", "english", "vietnamese"),
    [
        (lambda: validate_cccd("04509000123"), "exactly 12 digits", "đúng 12 chữ số"),
        (lambda: parse_qr("045|garbage|||"), "not an ID-card QR", "không phải mã QR"),
        (
            lambda: validate_cccd("045091001234", date(1990, 1, 1), Gender.MALE),
            "birth year in the ID number (91)",
            "Năm sinh trong số định danh (91)",
        ),
    ],
)
def test_errors_speak_the_active_language_only(call, english, vietnamese):
    for language, wanted, other in (("en", english, vietnamese), ("vi", vietnamese, english)):
        with translation.override(language), pytest.raises(IdCardError) as err:
            call()
        assert wanted in str(err.value) and other not in str(err.value)
        assert " / " not in str(err.value)
