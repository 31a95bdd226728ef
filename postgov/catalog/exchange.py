"""The catalog as files: JSON (procedures with their whole version history) and CSV (one
row per required document or fee line, for editing in a spreadsheet).

Reading never touches the database: it turns a file into `ProcedureSpec`s plus every
problem found, each with its CSV line or JSON item path. Deciding what an import would
change is `import_plan`; writing is `actions.import_catalog`. The formats are described
for people in docs/catalog-format.md: keep the two in step.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

from postgov.catalog.linked import LinkedSpec, MemberSpec, member_problems, spec_of
from postgov.catalog.models import (
    PROCEDURE_FIELDS,
    AgencyLevel,
    LinkedProcedure,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
)
from postgov.catalog.specs import (
    DocumentSpec,
    FeeSpec,
    Problem,
    ProcedureSpec,
    VersionContent,
    VersionSpec,
    Where,
    clean_text,
    content_of,
)
from postgov.lib.text import fold

FORMAT_NAME = "postgov-catalog"
FORMAT_VERSION = 1
# A file with thousands of broken lines gets the first problems, not a page nobody reads.
MAX_PROBLEMS = 500
CODE_PATTERN = re.compile(r"^\d\.\d{6}$")

# -- columns, keys and their names in both languages ---------------------------------------

LABELS: dict[str, tuple[str, str]] = {
    "code": ("mã thủ tục", "procedure code"),
    "name": ("tên thủ tục", "procedure name"),
    "field": ("lĩnh vực", "field"),
    "agency_level": ("cấp thực hiện", "agency level"),
    "effective_from": ("ngày hiệu lực", "effective date"),
    "processing_time": ("thời hạn giải quyết", "processing time"),
    "time_unit": ("đơn vị thời hạn", "time unit"),
    "next_day_after_15h": ("tính từ ngày làm việc sau nếu nhận sau 15 giờ", "after-15:00 rule"),
    "postal_allowed": ("được gửi qua bưu chính", "may be sent by post"),
    "postal_exclusion_reason": ("lý do không gửi qua bưu chính", "reason it may not go by post"),
    "postal_check_allowed": (
        "nhân viên bưu chính được kiểm tra hồ sơ",
        "postal completeness check",
    ),
    "result_type": ("kết quả", "result"),
    "online_level": ("mức độ trực tuyến", "online level"),
    "legal_basis": ("căn cứ pháp lý", "legal basis"),
    "notes": ("ghi chú", "notes"),
    "line": ("loại dòng", "line type"),
    "item_name": ("tên giấy tờ/lệ phí", "document/fee name"),
    "form": ("hình thức (bản chính/bản sao)", "form (original/copy)"),
    "quantity": ("số lượng", "quantity"),
    "mandatory": ("bắt buộc", "mandatory"),
    "note": ("ghi chú giấy tờ", "document note"),
    "option": ("phương án lệ phí", "fee option"),
    "amount": ("số tiền", "amount"),
    "is_default": ("phương án mặc định", "default option"),
    "name_fee": ("tên lệ phí", "fee name"),
    "name_document": ("tên giấy tờ", "document name"),
    "documents": ("thành phần hồ sơ", "documents"),
    "fees": ("lệ phí", "fees"),
    "versions": ("phiên bản", "versions"),
}

PROCEDURE_COLUMNS = ("code", "name", "field", "agency_level")
VERSION_COLUMNS = (
    "processing_time",
    "time_unit",
    "next_day_after_15h",
    "postal_allowed",
    "postal_exclusion_reason",
    "postal_check_allowed",
    "result_type",
    "online_level",
    "legal_basis",
    "notes",
)
DOCUMENT_COLUMNS = ("form", "quantity", "mandatory", "note")
FEE_COLUMNS = ("option", "amount", "is_default")
CSV_COLUMNS = (
    *PROCEDURE_COLUMNS,
    "effective_from",
    *VERSION_COLUMNS,
    "line",
    "item_name",
    *DOCUMENT_COLUMNS,
    *FEE_COLUMNS,
)
CSV_REQUIRED_COLUMNS = frozenset(
    {"code", "name", "field", "agency_level", "processing_time", "result_type", "line", "item_name"}
)
MAX_LENGTH = {
    "name": 400,
    "field": 200,
    "postal_exclusion_reason": 300,
    "result_type": 300,
    "legal_basis": 4000,
    "notes": 4000,
    "name_document": 400,
    "note": 400,
    "option": 200,
    "name_fee": 200,
}
MAX_AMOUNT = 2_147_483_647  # PostgreSQL integer; no real fee comes near it
MAX_QUANTITY = 32_767
MAX_PROCESSING_TIME = Decimal("99999.9")

# Accepted spellings, compared folded: people type the Vietnamese words in spreadsheets;
# exports write the first (English) code.
_ALIASES: dict[str, dict[str, str]] = {
    "agency_level": {
        "central": AgencyLevel.CENTRAL,
        "trung uong": AgencyLevel.CENTRAL,
        "province": AgencyLevel.PROVINCE,
        "tinh": AgencyLevel.PROVINCE,
        "cap tinh": AgencyLevel.PROVINCE,
        "commune": AgencyLevel.COMMUNE,
        "xa": AgencyLevel.COMMUNE,
        "cap xa": AgencyLevel.COMMUNE,
    },
    "time_unit": {
        "working_days": ProcedureVersion.TimeUnit.WORKING_DAYS,
        "ngay lam viec": ProcedureVersion.TimeUnit.WORKING_DAYS,
        "ngay": ProcedureVersion.TimeUnit.WORKING_DAYS,
        "working_hours": ProcedureVersion.TimeUnit.WORKING_HOURS,
        "gio lam viec": ProcedureVersion.TimeUnit.WORKING_HOURS,
        "gio": ProcedureVersion.TimeUnit.WORKING_HOURS,
    },
    "online_level": {
        "none": ProcedureVersion.OnlineLevel.NONE,
        "khong": ProcedureVersion.OnlineLevel.NONE,
        "partial": ProcedureVersion.OnlineLevel.PARTIAL,
        "mot phan": ProcedureVersion.OnlineLevel.PARTIAL,
        "full": ProcedureVersion.OnlineLevel.FULL,
        "toan trinh": ProcedureVersion.OnlineLevel.FULL,
    },
    "form": {
        "original": RequiredDocument.Form.ORIGINAL,
        "ban chinh": RequiredDocument.Form.ORIGINAL,
        "copy": RequiredDocument.Form.COPY,
        "ban sao": RequiredDocument.Form.COPY,
        "either": RequiredDocument.Form.EITHER,
        "ban chinh hoac ban sao": RequiredDocument.Form.EITHER,
    },
    "line": {
        "document": "document",
        "giay to": "document",
        "thanh phan ho so": "document",
        "fee": "fee",
        "le phi": "fee",
        "phi": "fee",
    },
}
_TRUE = frozenset({"yes", "true", "1", "x", "co", "y"})
_FALSE = frozenset({"no", "false", "0", "khong", "n"})
_CANONICAL_FIELDS = {fold(name): name for name in PROCEDURE_FIELDS}


class BadValue(Exception):
    def __init__(self, vi: str, en: str):
        self.vi, self.en = vi, en
        super().__init__(f"{vi} / {en}")


@dataclass
class Problems:
    """Problems of one file, capped at MAX_PROBLEMS (the total is still counted)."""

    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, where: Where, vi: str, en: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(where, vi, en))

    def bad(self, where: Where, error: BadValue) -> None:
        self.add(where, error.vi, error.en)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class ReadResult:
    specs: list[ProcedureSpec]
    problems: Problems
    # Linked procedures (JSON only): their members name procedures by code.
    linked: list[LinkedSpec] = field(default_factory=list)


# -- values --------------------------------------------------------------------------------


def _label(key: str) -> tuple[str, str]:
    return LABELS.get(key, (key, key))


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse_text(raw: Any, key: str, *, required: bool = False, multiline: bool = False) -> str:
    vi, en = _label(key)
    if _is_blank(raw):
        if required:
            raise BadValue(f"thiếu {vi}", f"{en} is missing")
        return ""
    if not isinstance(raw, str):
        raise BadValue(f"{vi} phải là chữ", f"{en} must be text")
    if "\x00" in raw:
        raise BadValue(f"{vi} chứa ký tự NUL", f"{en} contains a NUL character")
    text = clean_text(raw, multiline=multiline)
    limit = MAX_LENGTH.get(key)
    if limit and len(text) > limit:
        raise BadValue(
            f"{vi} dài {len(text)} ký tự, tối đa {limit}",
            f"{en} is {len(text)} characters long, at most {limit}",
        )
    return text


def parse_code(raw: Any) -> str:
    code = parse_text(raw, "code", required=True)
    if not CODE_PATTERN.match(code):
        raise BadValue(
            f"mã thủ tục “{code[:40]}” không đúng dạng mã quốc gia (ví dụ 1.001193)",
            f"procedure code “{code[:40]}” is not a national code (e.g. 1.001193)",
        )
    return code


def parse_choice(raw: Any, key: str, default: str | None = None) -> str:
    vi, en = _label(key)
    if _is_blank(raw):
        if default is None:
            raise BadValue(f"thiếu {vi}", f"{en} is missing")
        return default
    aliases = _ALIASES[key]
    value = aliases.get(fold(str(raw))) if isinstance(raw, str) else None
    if value is None:
        allowed = ", ".join(dict.fromkeys(aliases.values()))
        shown = str(raw)[:40]
        raise BadValue(
            f"{vi} “{shown}” không hợp lệ (dùng: {allowed})",
            f"{en} “{shown}” is not valid (use: {allowed})",
        )
    return value


def parse_bool(raw: Any, key: str, default: bool) -> bool:
    if _is_blank(raw):
        return default
    if isinstance(raw, bool):
        return raw
    folded = fold(str(raw)) if isinstance(raw, str | int) else None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    vi, en = _label(key)
    shown = str(raw)[:40]
    raise BadValue(
        f"{vi} phải là “có” hoặc “không” (yes/no), không phải “{shown}”",
        f"{en} must be yes or no, not “{shown}”",
    )


def _number(raw: Any) -> Decimal | None:
    """A number typed in a Vietnamese or an English spreadsheet: 1,5 and 1.5; 26.000,
    26,000 and 26 000 (thousands) — a lone comma or dot followed by 1–2 digits is a
    decimal separator, a group of three digits is thousands."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(str(raw))  # JSON's NaN and Infinity arrive as floats
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", " ").replace("₫", "").replace("đ", "").strip()
        if re.fullmatch(r"-?\d{1,3}([., ]\d{3})+", text):
            text = re.sub(r"[., ]", "", text)
        else:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def parse_processing_time(raw: Any) -> Decimal:
    vi, en = _label("processing_time")
    if _is_blank(raw):
        raise BadValue(f"thiếu {vi}", f"{en} is missing")
    number = _number(raw)
    if number is None or number <= 0:
        raise BadValue(f"{vi} phải là số dương", f"{en} must be a positive number")
    # Before quantize(), which cannot represent 1E+999999999.
    if number > MAX_PROCESSING_TIME:
        raise BadValue(f"{vi} quá lớn", f"{en} is too large")
    if number != number.quantize(Decimal("0.1")):
        raise BadValue(
            f"{vi} chỉ được có một chữ số thập phân", f"{en} may have one decimal place at most"
        )
    return number.quantize(Decimal("0.1"))


def parse_whole(raw: Any, key: str, *, minimum: int, maximum: int, default: int | None) -> int:
    vi, en = _label(key)
    if _is_blank(raw):
        if default is None:
            raise BadValue(f"thiếu {vi}", f"{en} is missing")
        return default
    number = _number(raw)
    if number is None or number != number.to_integral_value():
        raise BadValue(f"{vi} phải là số nguyên", f"{en} must be a whole number")
    if number < minimum:
        if minimum == 0:
            raise BadValue(f"{vi} không được âm", f"{en} must not be negative")
        raise BadValue(f"{vi} phải là số dương", f"{en} must be a positive number")
    if number > maximum:
        raise BadValue(f"{vi} quá lớn", f"{en} is too large")
    return int(number)


def parse_date(raw: Any) -> date | None:
    """ISO dates (2025-07-01) or as Vietnamese write them (01/07/2025); blank = None."""
    if _is_blank(raw):
        return None
    vi, en = _label("effective_from")
    if isinstance(raw, str):
        text = raw.strip()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                value = datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date)
            except ValueError:
                continue
            if 1945 <= value.year <= 2100:
                return value
    shown = str(raw)[:40]
    raise BadValue(
        f"{vi} “{shown}” không hợp lệ (dùng năm-tháng-ngày 2025-07-01 hoặc 01/07/2025)",
        f"{en} “{shown}” is not a valid date (use 2025-07-01 or 01/07/2025)",
    )


def canonical_field(value: str) -> str:
    """The exact spelling of a known field when the file spells it otherwise."""
    return _CANONICAL_FIELDS.get(fold(value), value)


# -- checks that do not depend on the file format -------------------------------------------


def check_version(content: VersionContent, where: Where, problems: Problems) -> None:
    if not content.postal_allowed and not content.postal_exclusion_reason:
        problems.add(
            where,
            "thủ tục không được gửi qua bưu chính thì phải ghi lý do",
            "a procedure that may not be sent by post needs the reason",
        )
    if content.postal_allowed and content.postal_exclusion_reason:
        problems.add(
            where,
            "có lý do không gửi qua bưu chính nhưng lại ghi là được gửi",
            "a reason for excluding the post is given, yet postal_allowed is yes",
        )
    if not content.documents:
        problems.add(
            where,
            "phải có ít nhất một thành phần hồ sơ",
            "at least one required document is needed",
        )
    names = [document.name for document in content.documents]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add(
            where,
            f"giấy tờ “{name[:60]}” được liệt kê hai lần",
            f"document “{name[:60]}” is listed twice",
        )
    keys = [(fee.option, fee.name) for fee in content.fees]
    for option, name in sorted({k for k in keys if keys.count(k) > 1}):
        shown = f"{name[:60]} — {option[:40]}" if option else name[:60]
        problems.add(
            where,
            f"lệ phí “{shown}” được liệt kê hai lần",
            f"fee “{shown}” is listed twice",
        )
    options = {fee.option for fee in content.fees if fee.option}
    defaults = {fee.option for fee in content.fees if fee.option and fee.is_default}
    if options and len(defaults) != 1:
        problems.add(
            where,
            "lệ phí có nhiều phương án thì phải đánh dấu đúng một phương án mặc định "
            f"(đang có {len(defaults)})",
            f"fees with options need exactly one default option (found {len(defaults)})",
        )


# -- JSON ----------------------------------------------------------------------------------

_JSON_TOP_KEYS = frozenset(
    {"format", "format_version", "exported_at", "procedures", "linked_procedures"}
)
_JSON_LINKED_KEYS = frozenset({"code", "name", "description", "members"})
_JSON_MEMBER_KEYS = frozenset({"procedure", "step", "feeds"})
_JSON_PROCEDURE_KEYS = frozenset({*PROCEDURE_COLUMNS, "versions"})
# `version` and `effective_to` are written by the export for people to read; on import the
# numbering and the end dates follow from the order of the versions.
_JSON_VERSION_KEYS = frozenset(
    {*VERSION_COLUMNS, "effective_from", "effective_to", "version", "documents", "fees"}
)
_JSON_DOCUMENT_KEYS = frozenset({"name", *DOCUMENT_COLUMNS})
_JSON_FEE_KEYS = frozenset({"name", *FEE_COLUMNS})


def _decode(data: bytes, problems: Problems) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(
            Where.line(line),
            "tệp không phải văn bản UTF-8 (hãy lưu lại dưới dạng “CSV UTF-8” hoặc JSON UTF-8)",
            "the file is not UTF-8 text (save it again as “CSV UTF-8” or UTF-8 JSON)",
        )
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.add(
            Where.line(line),
            "tệp chứa ký tự NUL, không phải tệp văn bản",
            "the file contains NUL characters: it is not a text file",
        )
        return None
    return text


def _unknown_keys(item: dict, allowed: frozenset[str], path: str, problems: Problems) -> None:
    for key in sorted(str(k) for k in item if k not in allowed):
        problems.add(
            Where.path(f"{path}.{key}"),
            f"khóa “{key[:40]}” không thuộc định dạng",
            f"key “{key[:40]}” is not part of the format",
        )


def _json_list(value: Any, path: str, key: str, problems: Problems, *, required: bool) -> list:
    vi, en = _label(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        problems.add(
            Where.path(path),
            f"{vi} phải là một danh sách không rỗng",
            f"{en} must be a non-empty list",
        )
        return []
    return value


def _read_json_document(item: Any, path: str, problems: Problems) -> DocumentSpec | None:
    if not isinstance(item, dict):
        problems.add(Where.path(path), "phải là một đối tượng", "must be an object")
        return None
    _unknown_keys(item, _JSON_DOCUMENT_KEYS, path, problems)
    values: dict[str, Any] = {}  # each parser gives its own field's type
    ok = True
    parsers = {
        "name": lambda raw: parse_text(raw, "name_document", required=True),
        "form": lambda raw: parse_choice(raw, "form"),
        "quantity": lambda raw: parse_whole(
            raw, "quantity", minimum=1, maximum=MAX_QUANTITY, default=1
        ),
        "mandatory": lambda raw: parse_bool(raw, "mandatory", True),
        "note": lambda raw: parse_text(raw, "note"),
    }
    for key, parse in parsers.items():
        try:
            values[key] = parse(item.get(key))
        except BadValue as error:
            problems.bad(Where.path(f"{path}.{key}"), error)
            ok = False
    return DocumentSpec(**values) if ok else None


def _read_json_fee(item: Any, path: str, problems: Problems) -> FeeSpec | None:
    if not isinstance(item, dict):
        problems.add(Where.path(path), "phải là một đối tượng", "must be an object")
        return None
    _unknown_keys(item, _JSON_FEE_KEYS, path, problems)
    values: dict[str, Any] = {}  # each parser gives its own field's type
    ok = True
    parsers = {
        "name": lambda raw: parse_text(raw, "name_fee", required=True),
        "amount": lambda raw: parse_whole(
            raw, "amount", minimum=0, maximum=MAX_AMOUNT, default=None
        ),
        "option": lambda raw: parse_text(raw, "option"),
        "is_default": lambda raw: parse_bool(raw, "is_default", False),
    }
    for key, parse in parsers.items():
        try:
            values[key] = parse(item.get(key))
        except BadValue as error:
            problems.bad(Where.path(f"{path}.{key}"), error)
            ok = False
    return FeeSpec(**values) if ok else None


def _version_values(get, where_of, problems: Problems) -> dict | None:
    """Parse the version-level values; `get(key)` gives the raw value, `where_of(key)`
    where to report a problem with it."""
    parsers = {
        "processing_time": parse_processing_time,
        "time_unit": lambda raw: parse_choice(
            raw, "time_unit", ProcedureVersion.TimeUnit.WORKING_DAYS
        ),
        "next_day_after_15h": lambda raw: parse_bool(raw, "next_day_after_15h", False),
        "postal_allowed": lambda raw: parse_bool(raw, "postal_allowed", True),
        "postal_exclusion_reason": lambda raw: parse_text(raw, "postal_exclusion_reason"),
        "postal_check_allowed": lambda raw: parse_bool(raw, "postal_check_allowed", True),
        "result_type": lambda raw: parse_text(raw, "result_type", required=True),
        "online_level": lambda raw: parse_choice(
            raw, "online_level", ProcedureVersion.OnlineLevel.PARTIAL
        ),
        "legal_basis": lambda raw: parse_text(raw, "legal_basis", multiline=True),
        "notes": lambda raw: parse_text(raw, "notes", multiline=True),
    }
    values, ok = {}, True
    for key, parse in parsers.items():
        try:
            values[key] = parse(get(key))
        except BadValue as error:
            problems.bad(where_of(key), error)
            ok = False
    return values if ok else None


def _procedure_values(get, where_of, problems: Problems) -> dict | None:
    parsers = {
        "code": parse_code,
        "name": lambda raw: parse_text(raw, "name", required=True),
        "field": lambda raw: canonical_field(parse_text(raw, "field", required=True)),
        "agency_level": lambda raw: parse_choice(raw, "agency_level"),
    }
    values, ok = {}, True
    for key, parse in parsers.items():
        try:
            values[key] = parse(get(key))
        except BadValue as error:
            problems.bad(where_of(key), error)
            ok = False
    return values if ok else None


def _read_json_version(item: Any, path: str, problems: Problems) -> VersionSpec | None:
    if not isinstance(item, dict):
        problems.add(Where.path(path), "phải là một đối tượng", "must be an object")
        return None
    _unknown_keys(item, _JSON_VERSION_KEYS, path, problems)
    before = problems.total
    try:
        effective_from = parse_date(item.get("effective_from"))
    except BadValue as error:
        problems.bad(Where.path(f"{path}.effective_from"), error)
        effective_from = None
    values = _version_values(item.get, lambda key: Where.path(f"{path}.{key}"), problems)
    documents = [
        _read_json_document(doc, f"{path}.documents[{i}]", problems)
        for i, doc in enumerate(
            _json_list(
                item.get("documents"), f"{path}.documents", "documents", problems, required=True
            )
        )
    ]
    fees = [
        _read_json_fee(fee, f"{path}.fees[{i}]", problems)
        for i, fee in enumerate(
            _json_list(item.get("fees"), f"{path}.fees", "fees", problems, required=False)
        )
    ]
    if values is None or problems.total > before:
        return None
    # A document or fee read as None added a problem, so none is left here.
    content = VersionContent(
        **values,
        documents=tuple(d for d in documents if d is not None),
        fees=tuple(f for f in fees if f is not None),
    )
    check_version(content, Where.path(path), problems)
    return VersionSpec(effective_from, content, Where.path(path))


def read_json(data: bytes) -> ReadResult:
    problems = Problems()
    specs: list[ProcedureSpec] = []
    text = _decode(data, problems)
    if text is None:
        return ReadResult(specs, problems)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problems.add(
            Where(
                f"Dòng {error.lineno}, cột {error.colno}",
                f"Line {error.lineno}, column {error.colno}",
                (error.lineno,),
            ),
            f"JSON không hợp lệ ({error.msg})",
            f"invalid JSON ({error.msg})",
        )
        return ReadResult(specs, problems)
    except RecursionError:
        problems.add(Where.file(), "JSON lồng nhau quá sâu", "JSON nested too deeply")
        return ReadResult(specs, problems)
    prefix = ""
    if isinstance(document, dict):
        _unknown_keys(document, _JSON_TOP_KEYS, "", problems)
        if document.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
            problems.add(
                Where.path("format_version"),
                f"phiên bản định dạng không được hỗ trợ (chỉ hỗ trợ {FORMAT_VERSION})",
                f"unsupported format version (only {FORMAT_VERSION} is supported)",
            )
        linked = _read_json_linked(document.get("linked_procedures"), problems)
        document, prefix = document.get("procedures"), "procedures"
    else:
        linked = []
    if not isinstance(document, list):
        problems.add(
            Where.file(),
            "tệp JSON phải là một danh sách thủ tục (hoặc đối tượng có khóa “procedures”)",
            "the JSON file must be a list of procedures (or an object with “procedures”)",
        )
        return ReadResult(specs, problems)
    for index, item in enumerate(document):
        path = f"{prefix}[{index}]"
        if not isinstance(item, dict):
            problems.add(Where.path(path), "phải là một đối tượng", "must be an object")
            continue
        _unknown_keys(item, _JSON_PROCEDURE_KEYS, path, problems)
        values = _procedure_values(item.get, lambda key, p=path: Where.path(f"{p}.{key}"), problems)
        versions = [
            _read_json_version(version, f"{path}.versions[{i}]", problems)
            for i, version in enumerate(
                _json_list(
                    item.get("versions"), f"{path}.versions", "versions", problems, required=True
                )
            )
        ]
        if values is not None:
            specs.append(
                ProcedureSpec(**values, where=Where.path(path), versions=[v for v in versions if v])
            )
    _check_duplicate_codes(specs, problems)
    return ReadResult(specs, problems, linked)


def _read_json_linked(value: Any, problems: Problems) -> list[LinkedSpec]:
    """The file's linked procedures: each with a code, a name and its members (each a
    procedure code, a step, the procedure codes its result feeds), checked by the rules
    of `catalog.linked`. Whether the procedures exist is checked on import."""
    found: list[LinkedSpec] = []
    if value is None:
        return found
    if not isinstance(value, list):
        problems.add(
            Where.path("linked_procedures"),
            "“linked_procedures” phải là một danh sách",
            "“linked_procedures” must be a list",
        )
        return found
    for index, item in enumerate(value):
        path = f"linked_procedures[{index}]"
        if not isinstance(item, dict):
            problems.add(Where.path(path), "phải là một đối tượng", "must be an object")
            continue
        _unknown_keys(item, _JSON_LINKED_KEYS, path, problems)
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        if not code or len(code) > 30:
            problems.add(
                Where.path(f"{path}.code"),
                "mã bắt buộc, tối đa 30 ký tự",
                "a code is required, 30 characters at most",
            )
        if not name or len(name) > 400:
            problems.add(
                Where.path(f"{path}.name"),
                "tên bắt buộc, tối đa 400 ký tự",
                "a name is required, 400 characters at most",
            )
        members: list[MemberSpec] = []
        raw_members = item.get("members")
        for number, raw in enumerate(raw_members if isinstance(raw_members, list) else []):
            where = Where.path(f"{path}.members[{number}]")
            if not isinstance(raw, dict):
                problems.add(where, "phải là một đối tượng", "must be an object")
                continue
            _unknown_keys(raw, _JSON_MEMBER_KEYS, f"{path}.members[{number}]", problems)
            step, feeds = raw.get("step", 1), raw.get("feeds") or []
            if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 20:
                problems.add(where, "bước là số nguyên từ 1 đến 20", "step is a whole number 1-20")
                step = 1
            if not isinstance(feeds, list) or not all(isinstance(f, str) for f in feeds):
                problems.add(
                    where,
                    "“feeds” là danh sách mã thủ tục",
                    "“feeds” is a list of procedure codes",
                )
                feeds = []
            members.append(MemberSpec(str(raw.get("procedure") or "").strip(), step, tuple(feeds)))
        for vi, en in linked_problem_texts(members):
            problems.add(Where.path(f"{path}.members"), vi, en)
        found.append(LinkedSpec(code, name, str(item.get("description") or ""), members))
    return found


def linked_problem_texts(members: list[MemberSpec]) -> list[tuple[str, str]]:
    """The members' problems in Vietnamese and in English, as every import problem is."""
    with translation.override("vi"):
        vi = member_problems(members)
    with translation.override("en"):
        en = member_problems(members)
    return list(zip(vi, en, strict=True))


def _check_duplicate_codes(specs: list[ProcedureSpec], problems: Problems) -> None:
    seen: dict[str, ProcedureSpec] = {}
    for spec in specs:
        first = seen.setdefault(spec.code, spec)
        if first is not spec:
            problems.add(
                spec.where,
                f"mã thủ tục {spec.code} đã có ở {first.where.vi.lower()}",
                f"procedure code {spec.code} already appears at {first.where.en.lower()}",
            )


# -- CSV -----------------------------------------------------------------------------------


@dataclass
class _Column:
    """The value of a procedure- or version-level column within a CSV group: the first
    non-blank value and the line it came from."""

    raw: str
    line: int


@dataclass
class _CsvVersion:
    effective_from: date | None
    first_line: int
    columns: dict[str, _Column] = field(default_factory=dict)
    documents: list[DocumentSpec] = field(default_factory=list)
    fees: list[FeeSpec] = field(default_factory=list)
    # A line of this version could not be read: checks across its lines (a default fee
    # option, at least one document) would only add confusing echoes of that problem.
    broken: bool = False


@dataclass
class _CsvProcedure:
    code: str
    first_line: int
    columns: dict[str, _Column] = field(default_factory=dict)
    versions: dict[date | None, _CsvVersion] = field(default_factory=dict)


# A cell that starts like a formula is run as one by spreadsheets (CSV injection): the
# export puts an apostrophe in front, as OWASP advises, and the reader takes it off again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape_formula(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _unescape_formula(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (what Excel writes under a Vietnamese locale, whose decimal mark is
    the comma) or tab: whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _keep_first(columns: dict[str, _Column], key: str, raw: str, line: int, problems: Problems):
    if _is_blank(raw):
        return
    value = raw.strip()
    first = columns.get(key)
    if first is None:
        columns[key] = _Column(value, line)
    elif first.raw != value:
        vi, en = _label(key)
        problems.add(
            Where.line(line),
            f"{vi} “{value[:40]}” khác với dòng {first.line} (“{first.raw[:40]}”) của cùng "
            "thủ tục/phiên bản",
            f"{en} “{value[:40]}” differs from line {first.line} (“{first.raw[:40]}”) of the "
            "same procedure/version",
        )


def read_csv(data: bytes) -> ReadResult:
    problems = Problems()
    text = _decode(data, problems)
    if text is None:
        return ReadResult([], problems)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    # Lines are counted as a spreadsheet numbers rows (the header is line 1), which is what
    # the person fixing the file sees, even when a cell holds several lines of text.
    rows = enumerate(reader, start=1)
    try:
        _, header = next(rows, (1, []))
    except csv.Error as error:
        problems.add(Where.line(1), f"dòng tiêu đề hỏng ({error})", f"broken header ({error})")
        return ReadResult([], problems)
    columns = [name.strip().lower() for name in header]
    if not _check_header(columns, problems):
        return ReadResult([], problems)
    procedures: dict[str, _CsvProcedure] = {}
    line = 1
    while True:
        try:
            line, row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            problems.add(
                Where.line(line + 1), f"dòng CSV hỏng ({error})", f"broken CSV line ({error})"
            )
            break
        if all(_is_blank(cell) for cell in row):
            continue  # spreadsheets leave blank rows at the end
        if len(row) > len(columns) and any(not _is_blank(c) for c in row[len(columns) :]):
            problems.add(
                Where.line(line),
                f"dòng có {len(row)} ô, nhiều hơn {len(columns)} cột của dòng tiêu đề",
                f"the line has {len(row)} cells, more than the header's {len(columns)} columns",
            )
            continue
        record = dict(zip(columns, (_unescape_formula(cell) for cell in row), strict=False))
        _read_csv_row(record, line, procedures, problems)
    specs = [_csv_procedure_spec(group, problems) for group in procedures.values()]
    problems.items.sort(key=lambda problem: problem.where.order)
    return ReadResult([spec for spec in specs if spec is not None], problems)


def _check_header(columns: list[str], problems: Problems) -> bool:
    ok = True
    if not any(columns):
        problems.add(Where.line(1), "tệp rỗng hoặc thiếu dòng tiêu đề", "empty file or no header")
        return False
    for name in sorted({c for c in columns if columns.count(c) > 1}):
        problems.add(Where.line(1), f"cột “{name}” bị lặp", f"column “{name}” appears twice")
        ok = False
    for name in [c for c in columns if c and c not in CSV_COLUMNS]:
        problems.add(
            Where.line(1),
            f"cột “{name[:40]}” không thuộc định dạng",
            f"column “{name[:40]}” is not part of the format",
        )
        ok = False
    for name in sorted(CSV_REQUIRED_COLUMNS - set(columns)):
        problems.add(Where.line(1), f"thiếu cột “{name}”", f"column “{name}” is missing")
        ok = False
    return ok


def _read_csv_row(
    record: dict[str, str], line: int, procedures: dict[str, _CsvProcedure], problems: Problems
) -> None:
    where = Where.line(line)
    try:
        code = parse_code(record.get("code"))
        effective_from = parse_date(record.get("effective_from"))
        kind = parse_choice(record.get("line"), "line")
    except BadValue as error:
        problems.bad(where, error)
        return
    procedure = procedures.setdefault(code, _CsvProcedure(code, line))
    for key in PROCEDURE_COLUMNS[1:]:
        _keep_first(procedure.columns, key, record.get(key, ""), line, problems)
    version = procedure.versions.setdefault(effective_from, _CsvVersion(effective_from, line))
    for key in VERSION_COLUMNS:
        _keep_first(version.columns, key, record.get(key, ""), line, problems)
    for key in FEE_COLUMNS if kind == "document" else DOCUMENT_COLUMNS:
        if not _is_blank(record.get(key)):
            vi, en = _label(key)
            kind_vi, kind_en = ("giấy tờ", "document") if kind == "fee" else ("lệ phí", "fee")
            problems.add(
                where,
                f"cột {vi} chỉ dùng cho dòng {kind_vi}",
                f"column {en} is only for {kind_en} lines",
            )
            version.broken = True
    try:
        if kind == "document":
            version.documents.append(
                DocumentSpec(
                    name=parse_text(record.get("item_name"), "name_document", required=True),
                    form=parse_choice(record.get("form"), "form"),
                    quantity=parse_whole(
                        record.get("quantity"),
                        "quantity",
                        minimum=1,
                        maximum=MAX_QUANTITY,
                        default=1,
                    ),
                    mandatory=parse_bool(record.get("mandatory"), "mandatory", True),
                    note=parse_text(record.get("note"), "note"),
                )
            )
        else:
            version.fees.append(
                FeeSpec(
                    name=parse_text(record.get("item_name"), "name_fee", required=True),
                    amount=parse_whole(
                        record.get("amount"),
                        "amount",
                        minimum=0,
                        maximum=MAX_AMOUNT,
                        default=None,
                    ),
                    option=parse_text(record.get("option"), "option"),
                    is_default=parse_bool(record.get("is_default"), "is_default", False),
                )
            )
    except BadValue as error:
        problems.bad(where, error)
        version.broken = True


def _csv_procedure_spec(group: _CsvProcedure, problems: Problems) -> ProcedureSpec | None:
    def get(key: str):
        return group.code if key == "code" else getattr(group.columns.get(key), "raw", None)

    def where_of(key: str) -> Where:
        column = group.columns.get(key)
        return Where.line(column.line if column else group.first_line)

    values = _procedure_values(get, where_of, problems)
    versions = [_csv_version_spec(version, problems) for version in group.versions.values()]
    if values is None:
        return None
    return ProcedureSpec(
        **values, where=Where.line(group.first_line), versions=[v for v in versions if v]
    )


def _csv_version_spec(group: _CsvVersion, problems: Problems) -> VersionSpec | None:
    def get(key: str):
        return getattr(group.columns.get(key), "raw", None)

    def where_of(key: str) -> Where:
        column = group.columns.get(key)
        return Where.line(column.line if column else group.first_line)

    values = _version_values(get, where_of, problems)
    if values is None or group.broken:
        return None
    content = VersionContent(**values, documents=tuple(group.documents), fees=tuple(group.fees))
    where = Where.line(group.first_line)
    check_version(content, where, problems)
    return VersionSpec(group.effective_from, content, where)


# -- either --------------------------------------------------------------------------------


def detect_format(file_name: str, data: bytes) -> str | None:
    """ "json" or "csv" from the file name, else from the first character."""
    lower = (file_name or "").lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"[", b"{"):
        return "json"
    return "csv" if start else None


def read_catalog(data: bytes, file_format: str) -> ReadResult:
    return read_json(data) if file_format == "json" else read_csv(data)


# -- export --------------------------------------------------------------------------------


def _procedures_for_export(queryset: QuerySet[Procedure] | None) -> QuerySet[Procedure]:
    queryset = Procedure.objects.all() if queryset is None else queryset
    versions = ProcedureVersion.objects.order_by("effective_from", "version").prefetch_related(
        "documents", "fees"
    )
    return queryset.order_by("code").prefetch_related(Prefetch("versions", queryset=versions))


def _number_for_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _version_dict(version: ProcedureVersion) -> dict:
    content = content_of(version)
    return {
        "version": version.version,
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        **{key: getattr(content, key) for key in VERSION_COLUMNS},
        "processing_time": _number_for_json(content.processing_time),
        "documents": [
            {
                "name": d.name,
                "form": d.form,
                "quantity": d.quantity,
                "mandatory": d.mandatory,
                "note": d.note,
            }
            for d in content.documents
        ],
        "fees": [
            {"name": f.name, "option": f.option, "amount": f.amount, "is_default": f.is_default}
            for f in content.fees
        ],
    }


def export_json(queryset: QuerySet[Procedure] | None = None) -> bytes:
    """Every procedure with its whole version history, oldest version first."""
    document = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "procedures": [
            {
                "code": procedure.code,
                "name": procedure.name,
                "field": procedure.field,
                "agency_level": procedure.agency_level,
                "versions": [_version_dict(v) for v in procedure.versions.all()],
            }
            for procedure in _procedures_for_export(queryset)
        ],
    }
    linked = [spec_of(item) for item in LinkedProcedure.objects.all()] if queryset is None else []
    if linked:
        document["linked_procedures"] = [
            {
                "code": spec.code,
                "name": spec.name,
                "description": spec.description,
                "members": [
                    {"procedure": m.procedure, "step": m.step, "feeds": list(m.feeds)}
                    for m in spec.members
                ],
            }
            for spec in linked
        ]
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def csv_rows(
    queryset: QuerySet[Procedure] | None = None, on_date: date | None = None
) -> Iterable[list[str]]:
    """Rows of the CSV export: the version in force on `on_date` and any later ones (a
    spreadsheet is for editing today's catalog; the history is in the JSON export)."""
    on = on_date or timezone.localdate()
    yield list(CSV_COLUMNS)
    for procedure in _procedures_for_export(queryset):
        versions = list(procedure.versions.all())
        current = [v for v in versions if _in_force(v, on)]
        keep = current[-1:] + [v for v in versions if v.effective_from > on]
        for version in keep:
            content = content_of(version)
            common = {
                "code": procedure.code,
                "name": procedure.name,
                "field": procedure.field,
                "agency_level": procedure.agency_level,
                "effective_from": version.effective_from.isoformat(),
                "processing_time": f"{content.processing_time.normalize():f}",
                "time_unit": content.time_unit,
                "next_day_after_15h": _yes_no(content.next_day_after_15h),
                "postal_allowed": _yes_no(content.postal_allowed),
                "postal_exclusion_reason": content.postal_exclusion_reason,
                "postal_check_allowed": _yes_no(content.postal_check_allowed),
                "result_type": content.result_type,
                "online_level": content.online_level,
                "legal_basis": content.legal_basis,
                "notes": content.notes,
            }
            for document in content.documents:
                yield _row(
                    common,
                    line="document",
                    item_name=document.name,
                    form=document.form,
                    quantity=str(document.quantity),
                    mandatory=_yes_no(document.mandatory),
                    note=document.note,
                )
            for fee in content.fees:
                yield _row(
                    common,
                    line="fee",
                    item_name=fee.name,
                    option=fee.option,
                    amount=str(fee.amount),
                    is_default=_yes_no(fee.is_default),
                )


def _in_force(version: ProcedureVersion, on: date) -> bool:
    return version.effective_from <= on and (
        version.effective_to is None or version.effective_to >= on
    )


def _row(common: dict[str, str], **item: str) -> list[str]:
    values = {**common, **item}
    return [_escape_formula(values.get(column, "")) for column in CSV_COLUMNS]


def export_csv(queryset: QuerySet[Procedure] | None = None, on_date: date | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows the Vietnamese letters."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_rows(queryset, on_date))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
