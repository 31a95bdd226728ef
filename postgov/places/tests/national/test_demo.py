"""The Quảng Trị demo data of places."""

import csv

from postgov.lib import vpostcode
from postgov.places.demo import DEMO_POINTS, DEMO_POSTAL_CODES, load_demo
from postgov.places.models import Commune, PostalCode, PostalCodeSet, ServicePoint
from postgov.places.postal_codes import lookup, vpostcode_of_point


def test_the_demo_loads_once_and_twice_changes_nothing(places):
    summary = load_demo()
    assert "20 created" in summary and "imported" in summary
    assert "\n" not in summary
    points = list(ServicePoint.objects.order_by("code").values())
    codes = list(PostalCode.objects.order_by("code").values())

    again = load_demo()
    assert "0 created, 0 updated, 20 unchanged" in again
    assert "already there" in again and "admin units already loaded" in again
    assert list(ServicePoint.objects.order_by("code").values()) == points
    assert list(PostalCode.objects.order_by("code").values()) == codes
    assert PostalCodeSet.objects.count() == 1


def test_the_codes_the_other_demos_rely_on(places):
    load_demo()
    first = ServicePoint.objects.get(code="QT-001")
    assert (first.name, first.kind, first.commune.name) == (
        "Bưu điện tỉnh Quảng Trị",
        ServicePoint.Kind.POST_OFFICE_1,
        "Phường Đồng Hới",
    )
    second = ServicePoint.objects.get(code="QT-002")
    assert (second.name, second.kind, second.commune.name) == (
        "Bưu điện Đông Hà",
        ServicePoint.Kind.POST_OFFICE_1,
        "Phường Đông Hà",
    )


def test_the_network_spans_both_old_provinces_with_every_kind(places):
    load_demo()
    points = ServicePoint.objects.select_related("commune__province")
    assert points.count() >= 12
    assert {p.commune.province.code for p in points} == {"44"}
    assert {p.kind for p in points} == set(ServicePoint.Kind.values)
    prefixes = {p.postal_code[:2] for p in points}
    assert prefixes == {"47", "48"}
    assert all(p.is_demo and p.opening_hours and p.address for p in points)


def test_every_point_has_a_postal_code_of_its_commune_and_a_vpostcode(places):
    load_demo()
    for point in ServicePoint.objects.all():
        postal_code = lookup(point.postal_code)
        assert postal_code is not None, point.code
        assert postal_code.commune_id == point.commune_id, point.code
        code = vpostcode_of_point(point)
        assert len(code) == 12 and code.startswith(point.postal_code), point.code
        lat, lon = vpostcode.decode(code, (postal_code.latitude, postal_code.longitude))
        assert abs(lat - point.latitude) < 3e-5 and abs(lon - point.longitude) < 4e-5


def test_the_demo_csv_covers_the_province_with_commune_centroids(places):
    with DEMO_POSTAL_CODES.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    communes = {c.code: c for c in Commune.objects.filter(province__code="44")}
    commune_rows = [r for r in rows if r["kind"] == "commune"]
    assert len(commune_rows) == len(communes) == 78
    for row in commune_rows:
        commune = communes[row["commune_code"]]
        assert (float(row["latitude"]), float(row["longitude"])) == (
            commune.latitude,
            commune.longitude,
        )
    assert {r["code"] for r in rows if r["kind"] == "province"} == {"47000", "48000"}
    assert {p.postal_code for p in DEMO_POINTS} <= {r["code"] for r in rows}


def test_a_real_current_set_is_not_replaced_by_the_demo(places):
    import io

    from postgov.places.postal_codes import import_postal_codes

    real = import_postal_codes(
        io.StringIO("code,name,kind,province_code\n48000,Quảng Trị,province,44\n"),
        "official",
        "2026-01-01",
    )
    load_demo()
    real.refresh_from_db()
    assert real.is_current
    assert not PostalCodeSet.objects.filter(is_demo=True).exists()


def test_points_an_admin_took_over_are_left_alone(places):
    load_demo()
    ServicePoint.objects.filter(code="QT-003").update(is_demo=False, name="Bưu điện Thành cổ")
    load_demo()
    assert ServicePoint.objects.get(code="QT-003").name == "Bưu điện Thành cổ"
