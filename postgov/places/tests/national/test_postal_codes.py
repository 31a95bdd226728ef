"""Postal codes as versioned data: validation of the whole file, nothing half-imported."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from postgov.audit.models import AuditEvent
from postgov.places.models import PostalCode, PostalCodeSet
from postgov.places.postal_codes import (
    PostalCodeImportError,
    import_postal_codes,
    lookup,
)

HEADER = "code,name,kind,province_code,commune_code,latitude,longitude\n"
GOOD = HEADER + (
    "48000,Tỉnh Quảng Trị (Quảng Trị cũ),province,44,,16.67,107.0\n"
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"
    "47100,Phường Đồng Hới,commune,44,18880,,\n"
)


def test_a_good_file_becomes_the_current_set(places):
    code_set = import_postal_codes(io.StringIO(GOOD), "QT 2025", date(2025, 7, 1), "test")
    assert code_set.is_current and not code_set.is_demo
    assert code_set.codes.count() == 3
    dong_ha = lookup("48100")
    assert (dong_ha.commune.name, dong_ha.province.code, dong_ha.kind) == (
        "Phường Đông Hà",
        "44",
        "commune",
    )
    # no coordinates given: the commune's centroid is the reference point
    dong_hoi = lookup("47100")
    assert (dong_hoi.latitude, dong_hoi.longitude) == (17.4522, 106.632)
    assert AuditEvent.objects.filter(action="places.postal_codes_imported").count() == 1


def test_a_newer_set_replaces_the_current_one_and_the_old_one_stays(places):
    first = import_postal_codes(io.StringIO(GOOD), "v1", "2025-07-01")
    second = import_postal_codes(
        io.BytesIO((HEADER + "48100,Phường Đông Hà (mới),commune,44,19333,,\n").encode()),
        "v2",
        "2026-01-01",
    )
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert lookup("48100").name == "Phường Đông Hà (mới)"
    assert lookup("47100") is None
    assert PostalCode.objects.filter(code_set=first).count() == 3


BAD = HEADER + (
    "48100,Phường Đông Hà,commune,44,19333,16.802,107.071\n"  # line 2: fine
    "4810,Thiếu số,commune,44,19333,,\n"  # 3: 4 digits
    "48100,Trùng,commune,44,19333,,\n"  # 4: duplicate of line 2
    "48200,Tỉnh lạ,province,99,,,\n"  # 5: unknown province
    "48300,Xã lạ,commune,44,99999,,\n"  # 6: unknown commune
    "48400,Sai tỉnh,commune,01,19333,,\n"  # 7: commune not in that province
    "48500,,commune,44,19333,,\n"  # 8: no name
    "48600,Loại lạ,village,44,,,\n"  # 9: unknown kind
    "48700,Tọa độ,commune,44,19333,north,107\n"  # 10: bad coordinates
    "48800,Thiếu xã,commune,44,,,\n"  # 11: commune kind without commune
    "48900,Thừa cột,province,44,,16,107,extra\n"  # 12: too many columns
)


def test_a_malformed_file_is_rejected_whole_with_line_numbers(places):
    with pytest.raises(PostalCodeImportError) as info:
        import_postal_codes(io.StringIO(BAD), "bad", "2025-07-01")
    errors = info.value.errors
    for line in range(3, 13):
        assert any(e.startswith(f"Dòng {line}:") for e in errors), line
    assert not any("Line" in e or " / " in e for e in errors)
    assert not any(e.startswith("Dòng 2:") for e in errors)
    assert "5 chữ số" in errors[0]
    assert any("trùng với dòng 2" in e for e in errors)
    with translation.override("en"), pytest.raises(PostalCodeImportError) as info:
        import_postal_codes(io.StringIO(BAD), "bad", "2025-07-01")
    english = info.value.errors
    assert english[0].startswith("Line 3: ") and "5 digits" in english[0]
    assert any("repeats line 2" in e for e in english)
    assert not any("Dòng" in e or " / " in e for e in english)
    assert not PostalCodeSet.objects.exists()
    assert not PostalCode.objects.exists()
    assert not AuditEvent.objects.filter(action="places.postal_codes_imported").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (HEADER.encode(), "no data rows"),
        (b"code;name;kind;province_code\n48100;x;commune;44\n", "semicolons"),
        (b"code,name\n48100,x\n", "header"),
        ("code,name,kind,province_code\n48100,Đông Hà,province,44\n".encode("cp1258"), "UTF-8"),
        (HEADER.encode() + b'48100,"unclosed,commune,44,19333,,\n', "Line 2: invalid CSV"),
        (HEADER.encode() + b'48100,"a"b,province,44,,,\n', "Line 2: invalid CSV"),
        (HEADER.encode() + b"48100,a\x00b,province,44,,,\n", "Line 2: contains a control"),
    ],
)
def test_unreadable_files_get_a_clear_message(places, content, message):
    with translation.override("en"), pytest.raises(PostalCodeImportError, match=message):
        import_postal_codes(io.BytesIO(content), "bad", "2025-07-01")
    assert not PostalCodeSet.objects.exists()


def test_set_name_and_date_are_checked(places):
    with pytest.raises(PostalCodeImportError, match="Ngày hiệu lực .* YYYY-MM-DD"):
        import_postal_codes(io.StringIO(GOOD), "x", "01/07/2025")
    with translation.override("en"), pytest.raises(PostalCodeImportError, match="name"):
        import_postal_codes(io.StringIO(GOOD), "  ", "2025-07-01")


def test_a_failure_while_writing_leaves_nothing_behind(places, monkeypatch):
    from postgov.places import postal_codes

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(postal_codes, "record", broken)
    with pytest.raises(RuntimeError):
        import_postal_codes(io.StringIO(GOOD), "x", "2025-07-01")
    assert not PostalCodeSet.objects.exists() and not PostalCode.objects.exists()


def test_the_command_imports_and_reports(places, tmp_path, capsys):
    path = tmp_path / "codes.csv"
    path.write_text(GOOD, encoding="utf-8")
    call_command("import_postal_codes", str(path), "--valid-from", "2025-07-01", "--demo")
    assert "3 postal codes imported" in capsys.readouterr().out
    assert PostalCodeSet.objects.get().is_demo


def test_the_command_shows_every_problem(places, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("import_postal_codes", str(path))
    assert "Dòng 3:" in str(info.value) and "Dòng 12:" in str(info.value)
    assert str(info.value).startswith("Tệp bị từ chối:") and "Line" not in str(info.value)
    assert not PostalCodeSet.objects.exists()


def test_the_command_needs_an_existing_file(places, tmp_path):
    with pytest.raises(CommandError, match="Không thấy tệp"):
        call_command("import_postal_codes", str(tmp_path / "missing.csv"))
