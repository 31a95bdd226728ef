"""Importing the JSON format: problems are reported with the item's path."""

from __future__ import annotations

import copy
import json

import pytest

from postgov.catalog.exchange import read_json

PROCEDURE = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "agency_level": "commune",
    "versions": [
        {
            "effective_from": "2025-07-01",
            "processing_time": 1,
            "result_type": "Giấy khai sinh",
            "documents": [{"name": "Tờ khai", "form": "original"}],
            "fees": [{"name": "Lệ phí", "amount": 0}],
        }
    ],
}


def problems_of(document) -> list[str]:
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return [str(p) for p in read_json(data).problems.items]


def test_a_bare_list_and_the_export_envelope_are_both_read():
    assert problems_of([PROCEDURE]) == []
    assert problems_of({"format": "postgov-catalog", "procedures": [PROCEDURE]}) == []
    (spec,) = read_json(json.dumps([PROCEDURE]).encode()).specs
    assert spec.versions[0].content.documents[0].quantity == 1  # defaults apply


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: p["versions"][0].update(processing_time=-1),
            "Mục procedures[0].versions[0].processing_time: thời hạn giải quyết phải là số "
            "dương / Item procedures[0].versions[0].processing_time: processing time must be a "
            "positive number",
        ),
        (
            lambda p: p["versions"][0]["documents"][0].update(form="scan"),
            "Mục procedures[0].versions[0].documents[0].form: hình thức",
        ),
        (
            lambda p: p["versions"][0]["fees"][0].update(amount="free"),
            "Mục procedures[0].versions[0].fees[0].amount: số tiền phải là số nguyên",
        ),
        (
            lambda p: p["versions"][0]["fees"][0].update(amount=True),
            "Mục procedures[0].versions[0].fees[0].amount: số tiền phải là số nguyên",
        ),
        (lambda p: p.update(code=1.001193), "Mục procedures[0].code: mã thủ tục phải là chữ"),
        (lambda p: p.update(versions=[]), "Mục procedures[0].versions: phiên bản phải là"),
        (
            lambda p: p["versions"][0].update(documents=[]),
            "Mục procedures[0].versions[0].documents: thành phần hồ sơ phải là",
        ),
        (
            lambda p: p["versions"][0].update(colour="red"),
            "Mục procedures[0].versions[0].colour: khóa “colour” không thuộc định dạng",
        ),
        (
            lambda p: p["versions"][0].update(postal_allowed=False),
            "Mục procedures[0].versions[0]: thủ tục không được gửi qua bưu chính thì phải ghi",
        ),
        (
            lambda p: p["versions"][0].update(fees="none"),
            "Mục procedures[0].versions[0].fees: lệ phí phải là một danh sách",
        ),
        (
            lambda p: p["versions"][0]["documents"].append("Giấy chứng sinh"),
            "Mục procedures[0].versions[0].documents[1]: phải là một đối tượng",
        ),
    ],
)
def test_problems_name_the_item_path(change, expected):
    procedure = copy.deepcopy(PROCEDURE)
    change(procedure)
    problems = problems_of({"procedures": [procedure]})
    assert problems and problems[0].startswith(expected), problems


def test_a_repeated_code_is_reported_at_the_second_item():
    problems = problems_of([PROCEDURE, PROCEDURE])
    assert problems == [
        "Mục [1]: mã thủ tục 1.001193 đã có ở mục [0] / "
        "Item [1]: procedure code 1.001193 already appears at item [0]"
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'[{"code": "1.001193",\n "name": }]', "Dòng 2, cột 10: JSON không hợp lệ"),
        (b'"hello"', "Tệp: tệp JSON phải là một danh sách thủ tục"),
        (b'{"procedures": 5}', "Tệp: tệp JSON phải là một danh sách thủ tục"),
        (b'{"format_version": 2, "procedures": []}', "Mục format_version: phiên bản định dạng"),
        (b"[" * 100_000, "Tệp: JSON lồng nhau quá sâu"),
        (b"\xef\xbb\xbf[]\xff", "Dòng 1: tệp không phải văn bản UTF-8"),
        (b"[1]", "Mục [0]: phải là một đối tượng"),
    ],
)
def test_broken_json_files_are_rejected_with_a_place(data, expected):
    problems = problems_of(data)
    assert problems and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("processing_time", "1E+999999999"),
        ("processing_time", "1E-999999999"),
        ("processing_time", 1e308),
        ("processing_time", "NaN"),
        ("processing_time", "Infinity"),
        ("processing_time", []),
        ("effective_from", 20250701),
        ("effective_from", "2025-13-01"),
    ],
)
def test_strange_numbers_and_dates_are_problems_not_crashes(key, value):
    procedure = copy.deepcopy(PROCEDURE)
    procedure["versions"][0][key] = value
    problems = problems_of([procedure])
    assert len(problems) == 1 and f"[0].versions[0].{key}:" in problems[0]


@pytest.mark.parametrize("amount", ["1E+999999999", 10**30, -0.5, 1.5, "NaN"])
def test_strange_amounts_are_problems_not_crashes(amount):
    procedure = copy.deepcopy(PROCEDURE)
    procedure["versions"][0]["fees"][0]["amount"] = amount
    assert "fees[0].amount:" in problems_of([procedure])[0]


def test_nan_and_infinity_literals_in_json_are_problems():
    data = json.dumps([PROCEDURE]).replace('"processing_time": 1', '"processing_time": NaN')
    assert "processing_time" in problems_of(data.encode())[0]
