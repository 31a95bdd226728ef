"""Loading the national administrative units from vietnamadminunits."""

import json
import shutil
import sqlite3

import pytest
from django.core.management import call_command

from postgov.audit.models import AuditEvent
from postgov.lib.text import fold
from postgov.places.loading import DatasetError, dataset_dir, load_admin_units
from postgov.places.models import (
    AdminUnitsLoad,
    Commune,
    CommuneSuccession,
    LegacyCommune,
    LegacyDistrict,
    LegacyProvince,
    Province,
)


def test_counts_match_the_2025_reform(places):
    assert Province.objects.count() == 34
    assert Commune.objects.count() == 3321
    assert LegacyProvince.objects.count() == 63
    assert LegacyDistrict.objects.count() == 696
    assert LegacyCommune.objects.count() == 10035
    assert places.unmapped == []
    assert not LegacyCommune.objects.filter(successions__isnull=True).exists()


def test_new_quang_tri_is_old_quang_binh_plus_old_quang_tri(places):
    quang_tri = Province.objects.get(code="44")
    assert quang_tri.name == "Tỉnh Quảng Trị"
    assert quang_tri.name_folded == "quang tri"
    assert quang_tri.communes.count() == 78
    assert sorted(quang_tri.predecessors.values_list("name", flat=True)) == [
        "Tỉnh Quảng Bình",
        "Tỉnh Quảng Trị",
    ]
    dong_ha = Commune.objects.get(code="19333")
    assert (dong_ha.name, dong_ha.short_name, dong_ha.kind) == (
        "Phường Đông Hà",
        "Đông Hà",
        "phuong",
    )
    assert dong_ha.name_folded == "phuong dong ha"
    assert Commune.objects.get(name="Đặc khu Cồn Cỏ").kind == Commune.Kind.SPECIAL_ZONE


def test_legacy_names_have_their_type_in_the_usual_case(places):
    assert LegacyDistrict.objects.get(code="450").name == "Thành phố Đồng Hới"
    phuong_1 = LegacyCommune.objects.get(code="19333")
    assert (phuong_1.name, phuong_1.district.name) == ("Phường 1", "Thành phố Đông Hà")


def test_every_old_commune_maps_with_exactly_one_default(places):
    defaults = CommuneSuccession.objects.filter(is_default=True)
    assert (
        defaults.count()
        == CommuneSuccession.objects.values("legacy_district", "legacy_commune").distinct().count()
    )
    assert CommuneSuccession.objects.filter(is_default=False).exists()  # some were split


def test_island_districts_without_wards_map_to_their_special_zone(places):
    con_co = CommuneSuccession.objects.get(legacy_district__code="471", legacy_commune=None)
    assert con_co.commune.name == "Đặc khu Cồn Cỏ"
    assert CommuneSuccession.objects.filter(legacy_commune=None).count() == 5


def test_loading_the_same_files_again_stops_early(places):
    again = load_admin_units()
    assert again.already_loaded and not again.changed
    assert "already loaded" in again.summary()
    assert AdminUnitsLoad.objects.count() == 1
    assert AuditEvent.objects.filter(action="places.admin_units_loaded").count() == 1


def test_loading_twice_changes_nothing(places):
    before = list(Commune.objects.order_by("code").values())
    again = load_admin_units(force=True)
    assert not again.already_loaded and not again.changed
    assert again.tables["communes"].unchanged == 3321
    assert again.tables["successions"].unchanged == CommuneSuccession.objects.count()
    assert list(Commune.objects.order_by("code").values()) == before
    assert AdminUnitsLoad.objects.count() == 1


def test_tables_changed_since_the_last_load_are_compared_again(places):
    CommuneSuccession.objects.filter(legacy_commune__code="19333").delete()
    again = load_admin_units()
    assert not again.already_loaded
    assert again.tables["successions"].created == 1
    assert CommuneSuccession.objects.get(legacy_commune__code="19333").commune.code == "19333"


def test_a_package_update_renames_and_remaps(places, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(dataset_dir(), data)
    with sqlite3.connect(data / "dataset.db") as conn:
        conn.execute(
            "UPDATE admin_units SET ward = 'Phường Đông Hà Mới', wardShort = 'Đông Hà Mới' "
            "WHERE wardCode = '19333'"
        )
    mapping = json.loads((data / "converter_2025.json").read_text())
    quang_tri = mapping["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhquangtri"]
    quang_tri["phuongdongha"].remove("tinhquangtri_thanhphodongha_phuong1")
    quang_tri["phuongnamdongha"].append("tinhquangtri_thanhphodongha_phuong1")
    (data / "converter_2025.json").write_text(json.dumps(mapping))

    report = load_admin_units(data)

    assert report.tables["communes"].updated == 1
    event = AuditEvent.objects.filter(action="places.admin_units_loaded").latest("seq")
    assert event.details["communes"] == "0 new, 1 updated, 3320 unchanged"
    dong_ha = Commune.objects.get(code="19333")
    assert (dong_ha.name, dong_ha.name_folded) == ("Phường Đông Hà Mới", fold("Phường Đông Hà Mới"))
    assert report.tables["successions"].created == 1
    assert report.tables["successions"].removed == 1
    successor = CommuneSuccession.objects.get(legacy_commune__code="19333")
    assert successor.commune.name == "Phường Nam Đông Hà"


def test_a_broken_data_set_fails_loudly_and_changes_nothing(places, tmp_path):
    with pytest.raises(DatasetError, match="cannot read"):
        load_admin_units(tmp_path)
    assert Commune.objects.count() == 3321


def test_the_command_prints_a_summary(places, capsys):
    call_command("load_admin_units")
    assert "already loaded" in capsys.readouterr().out
    call_command("load_admin_units", "--force")
    out = capsys.readouterr().out
    assert "vietnamadminunits" in out and "3321 unchanged" in out
