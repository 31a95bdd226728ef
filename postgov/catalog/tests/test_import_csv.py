"""Importing the CSV format: every kind of problem is reported with its line, and a file
with any problem changes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from postgov.audit.models import AuditEvent
from postgov.catalog.actions import CatalogImportRejected, import_catalog_file
from postgov.catalog.exchange import CSV_COLUMNS, read_csv
from postgov.catalog.models import Fee, Procedure, ProcedureVersion

BASE = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "agency_level": "commune",
    "effective_from": "2025-07-01",
    "processing_time": "1",
    "time_unit": "working_days",
    "next_day_after_15h": "yes",
    "postal_allowed": "yes",
    "postal_check_allowed": "yes",
    "result_type": "Giấy khai sinh",
    "online_level": "full",
    "legal_basis": "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP",
}
DOCUMENT = {"line": "document", "item_name": "Tờ khai", "form": "original", "quantity": "1"}
FEE = {"line": "fee", "item_name": "Lệ phí", "amount": "0"}


def rows(*items: dict) -> list[dict]:
    return [{**BASE, **item} for item in items]


def to_csv(records: list[dict], columns=CSV_COLUMNS, delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(columns)
    for record in records:
        writer.writerow([record.get(column, "") for column in columns])
    return buffer.getvalue().encode("utf-8")


def good_file() -> list[dict]:
    return rows(
        DOCUMENT,
        {**DOCUMENT, "item_name": "Giấy chứng sinh"},
        {**FEE, "option": "Đúng hạn", "is_default": "yes"},
        {**FEE, "option": "Quá hạn", "amount": "8000"},
    )


def problems_of(records: list[dict], **kwargs) -> list[str]:
    return [str(p) for p in read_csv(to_csv(records, **kwargs)).problems.items]


def test_a_good_file_reads_into_one_procedure_with_one_version():
    result = read_csv(to_csv(good_file()))
    assert not result.problems
    (spec,) = result.specs
    (version,) = spec.versions
    assert (spec.code, spec.agency_level, version.effective_from) == (
        "1.001193",
        "commune",
        date(2025, 7, 1),
    )
    assert [d.name for d in version.content.documents] == ["Tờ khai", "Giấy chứng sinh"]
    assert [(f.option, f.amount, f.is_default) for f in version.content.fees] == [
        ("Đúng hạn", 0, True),
        ("Quá hạn", 8000, False),
    ]
    assert version.content.legal_basis == "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP"


def test_the_example_message_of_the_issue():
    records = good_file()
    for record in records:
        record["processing_time"] = "-2"
    assert problems_of(records) == [
        "Dòng 2: thời hạn giải quyết phải là số dương / "
        "Line 2: processing time must be a positive number"
    ]


ITEM_COLUMNS = {"form", "quantity", "mandatory", "note", "item_name", "amount", "line"}


@pytest.mark.parametrize(
    ("line", "change", "vi", "en"),
    [
        (2, {"code": "1193"}, "không đúng dạng mã quốc gia", "is not a national code"),
        (2, {"processing_time": "abc"}, "phải là số dương", "must be a positive number"),
        (2, {"processing_time": "0"}, "phải là số dương", "must be a positive number"),
        (2, {"processing_time": "1.25"}, "một chữ số thập phân", "one decimal place"),
        (2, {"agency_level": "huyện"}, "cấp thực hiện “huyện” không hợp lệ", "is not valid"),
        (2, {"time_unit": "weeks"}, "đơn vị thời hạn", "time unit"),
        (2, {"effective_from": "31/02/2025"}, "ngày hiệu lực", "not a valid date"),
        (2, {"online_level": "level 4"}, "mức độ trực tuyến", "online level"),
        (2, {"name": "x" * 401}, "tối đa 400", "at most 400"),
        (2, {"result_type": ""}, "thiếu kết quả", "result is missing"),
        (2, {"next_day_after_15h": "maybe"}, "phải là “có” hoặc “không”", "must be yes or no"),
        (3, {"form": "photocopy"}, "hình thức", "form"),
        (3, {"quantity": "0"}, "số lượng phải là số dương", "quantity must be a positive"),
        (2, {"quantity": "hai"}, "số lượng phải là số nguyên", "must be a whole number"),
        (5, {"amount": "-100"}, "số tiền không được âm", "amount must not be negative"),
        (4, {"amount": "mười nghìn"}, "số tiền phải là số nguyên", "must be a whole number"),
        (3, {"mandatory": "maybe"}, "phải là “có” hoặc “không”", "must be yes or no"),
        (2, {"line": "attachment"}, "loại dòng", "line type"),
        (2, {"item_name": ""}, "thiếu tên giấy tờ", "document name is missing"),
    ],
)
def test_each_kind_of_bad_value_is_reported_on_its_line(line, change, vi, en):
    records = good_file()
    if set(change) <= ITEM_COLUMNS:
        records[line - 2].update(change)
    else:
        # A procedure or version value: the same on every line of the procedure.
        for record in records:
            record.update(change)
    problems = problems_of(records)
    # The code and the date say which procedure/version a line belongs to: each line
    # that carries a bad one is reported.
    assert len(problems) == (4 if {"code", "effective_from"} & set(change) else 1), problems
    assert problems[0].startswith(f"Dòng {line}: ")
    assert vi in problems[0]
    assert f" / Line {line}: " in problems[0]
    assert en in problems[0]


def test_every_problem_is_reported_not_only_the_first():
    records = good_file()
    records[1]["quantity"] = "0"
    records[3]["amount"] = "-1"
    problems = problems_of(records)
    assert [p.split(":")[0] for p in problems] == ["Dòng 3", "Dòng 5"]


def test_version_values_that_disagree_between_lines_are_reported_on_the_later_line():
    records = good_file()
    records[2]["processing_time"] = "3"
    problems = problems_of(records)
    assert problems == [
        "Dòng 4: thời hạn giải quyết “3” khác với dòng 2 (“1”) của cùng thủ tục/phiên bản / "
        "Line 4: processing time “3” differs from line 2 (“1”) of the same procedure/version"
    ]


def test_version_values_may_be_given_once_and_left_blank_below():
    records = good_file()
    for record in records[1:]:
        for key in ("name", "field", "agency_level", "processing_time", "result_type"):
            record[key] = ""
    assert problems_of(records) == []


@pytest.mark.parametrize(
    ("change_fee_row", "message"),
    [
        ({"form": "copy"}, "cột hình thức (bản chính/bản sao) chỉ dùng cho dòng giấy tờ"),
        ({"amount": ""}, "thiếu số tiền"),
    ],
)
def test_fee_lines_are_checked(change_fee_row, message):
    records = good_file()
    records[2].update(change_fee_row)
    problems = problems_of(records)
    assert problems[0].startswith("Dòng 4: ") and message in problems[0]


def test_a_document_line_may_not_carry_a_fee_amount():
    records = good_file()
    records[0]["amount"] = "5000"
    assert problems_of(records)[0].startswith(
        "Dòng 2: cột số tiền chỉ dùng cho dòng lệ phí / Line 2: column amount is only for fee"
    )


def test_rules_across_a_version_are_reported_on_its_first_line():
    records = good_file()
    for record in records:
        record["postal_allowed"] = "no"
    records[3]["is_default"] = "yes"
    problems = problems_of(records)
    assert problems == [
        "Dòng 2: thủ tục không được gửi qua bưu chính thì phải ghi lý do / "
        "Line 2: a procedure that may not be sent by post needs the reason",
        "Dòng 2: lệ phí có nhiều phương án thì phải đánh dấu đúng một phương án mặc định "
        "(đang có 2) / Line 2: fees with options need exactly one default option (found 2)",
    ]


def test_a_repeated_document_is_reported():
    records = good_file()
    records[1]["item_name"] = "Tờ khai"
    assert "được liệt kê hai lần" in problems_of(records)[0]


def test_header_problems_are_on_line_one():
    columns = [c for c in CSV_COLUMNS if c != "result_type"] + ["ammount"]
    problems = problems_of(good_file(), columns=columns)
    assert problems == [
        "Dòng 1: cột “ammount” không thuộc định dạng / Line 1: column “ammount” is not part "
        "of the format",
        "Dòng 1: thiếu cột “result_type” / Line 1: column “result_type” is missing",
    ]


def test_a_line_longer_than_the_header_is_reported():
    data = to_csv(good_file()) + b"1.001193,x,,,,,,,,,,,,,,,,,,,,,,,extra\r\n"
    (problem,) = read_csv(data).problems.items
    assert str(problem).startswith("Dòng 6: dòng có 25 ô, nhiều hơn 24 cột")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "Dòng 1: tệp rỗng hoặc thiếu dòng tiêu đề"),
        (b"code,name\n\xff\xfe,x\n", "Dòng 2: tệp không phải văn bản UTF-8"),
        (b"code\x00,name\n", "Dòng 1: tệp chứa ký tự NUL"),
    ],
)
def test_files_that_are_not_csv_text_are_rejected_with_a_line(data, expected):
    problems = [str(p) for p in read_csv(data).problems.items]
    assert problems[0].startswith(expected)


def test_semicolons_bom_vietnamese_words_and_decimal_commas_are_accepted():
    records = good_file()
    records[0].update(
        agency_level="Cấp xã", processing_time="1,5", time_unit="ngày làm việc", field="HO TICH"
    )
    records[1].update(form="bản sao", mandatory="không")
    records[2].update(is_default="có")
    records[3].update(amount="8.000", line="lệ phí")
    for record in records[1:]:
        record.update(agency_level="", processing_time="", time_unit="", field="")
    data = b"\xef\xbb\xbf" + to_csv(records, delimiter=";")
    result = read_csv(data)
    assert [str(p) for p in result.problems.items] == []
    (spec,) = result.specs
    content = spec.versions[0].content
    assert (spec.agency_level, spec.field, str(content.processing_time)) == (
        "commune",
        "Hộ tịch",
        "1.5",
    )
    assert content.documents[1].form == "copy" and not content.documents[1].mandatory
    assert content.fees[1].amount == 8000


def test_a_file_with_one_bad_line_changes_nothing(db):
    records = good_file() + rows(
        {**DOCUMENT, "code": "1.000656", "name": "Đăng ký khai tử"},
        {
            **DOCUMENT,
            "code": "1.000656",
            "name": "Đăng ký khai tử",
            "item_name": "Giấy báo tử",
            "quantity": "-1",
        },
    )
    events = AuditEvent.objects.count()
    with pytest.raises(CatalogImportRejected) as raised:
        import_catalog_file(to_csv(records), "csv")
    assert [p.where.vi for p in raised.value.problems] == ["Dòng 7"]
    assert Procedure.objects.count() == 0
    assert ProcedureVersion.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_a_history_problem_found_against_the_database_also_changes_nothing(db):
    import_catalog_file(to_csv(good_file()), "csv")
    records = good_file()
    records[3]["amount"] = "9000"  # content changed, effective date left as it was
    records += rows({**DOCUMENT, "code": "1.000656", "name": "Đăng ký khai tử"})
    with pytest.raises(CatalogImportRejected) as raised:
        import_catalog_file(to_csv(records), "csv")
    (problem,) = raised.value.problems
    assert str(problem).startswith(
        "Dòng 2: nội dung đã thay đổi nhưng ngày hiệu lực 01/07/2025 trùng phiên bản hiện có"
    )
    assert not Procedure.objects.filter(code="1.000656").exists()
    assert Fee.objects.filter(amount=9000).count() == 0


def test_a_changed_version_cannot_start_before_the_latest(db):
    import_catalog_file(to_csv(good_file()), "csv")
    records = good_file()
    for record in records:
        record["effective_from"] = "01/01/2020"
    records[3]["amount"] = "9000"
    with pytest.raises(CatalogImportRejected) as raised:
        import_catalog_file(to_csv(records), "csv")
    assert "sớm hơn phiên bản mới nhất (v1, từ 01/07/2025)" in str(raised.value.problems[0])
