"""The nearest-point search against a brute-force scan, and opening hours."""

from __future__ import annotations

import random
from datetime import datetime

import pytest

from postgov.lib.text import fold
from postgov.places import nearby
from postgov.places.models import ServicePoint


def _generate(commune, count: int, seed: int) -> list[ServicePoint]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        # Clustered like the network: most points near towns, a few far out.
        if rng.random() < 0.8:
            lat = rng.gauss(16.8, 0.15)
            lon = rng.gauss(107.1, 0.15)
        else:
            lat, lon = rng.uniform(8.5, 23.3), rng.uniform(102.2, 109.4)
        name = f"Bưu cục {index}"
        rows.append(
            ServicePoint(
                code=f"G{index:05d}",
                name=name,
                kind=ServicePoint.Kind.POST_OFFICE_3,
                address="1 Lê Lợi",
                commune=commune,
                latitude=lat,
                longitude=lon,
                name_folded=fold(name),
            )
        )
    # A point without coordinates and a closed one: never found.
    rows.append(ServicePoint(code="NOPOS", name="x", kind="po3", address="", commune=commune))
    rows.append(
        ServicePoint(
            code="CLOSED", name="y", kind="po3", address="", commune=commune,
            latitude=16.8, longitude=107.1, active=False,
        )
    )  # fmt: skip
    return ServicePoint.objects.bulk_create(rows)


def _brute_force(points, lat, lon, limit):
    rows = sorted(
        (nearby.haversine_km(lat, lon, p.latitude, p.longitude), p.code)
        for p in points
        if p.active and p.latitude is not None
    )
    return rows[:limit]


@pytest.mark.parametrize("limit", [1, 5, 12])
def test_nearest_finds_what_a_scan_of_every_point_finds(world, limit):
    points = _generate(world.commune_a, 400, seed=limit)
    rng = random.Random(99)
    origins = [(rng.uniform(8.0, 23.5), rng.uniform(102.0, 110.0)) for _ in range(15)]
    origins += [(16.8, 107.1), (16.81, 107.09), (23.39, 105.3), (8.6, 104.7)]
    for lat, lon in origins:
        found = nearby.nearest(lat, lon, limit)
        expected = _brute_force(points, lat, lon, limit)
        assert [p.code for _d, p in found] == [code for _d, code in expected]
        assert [round(d, 9) for d, _p in found] == [round(d, 9) for d, _c in expected]


def test_nearest_returns_fewer_when_there_are_fewer(world):
    _generate(world.commune_a, 3, seed=1)
    assert (
        len(nearby.nearest(10.0, 106.0, 10))
        == 3
        + ServicePoint.objects.filter(active=True, latitude__isnull=False)
        .exclude(code__startswith="G")
        .count()
    )


def test_haversine_is_the_great_circle_distance():
    # Hà Nội to Thành phố Hồ Chí Minh: about 1,140 km.
    assert 1130 < nearby.haversine_km(21.0285, 105.8542, 10.7769, 106.7009) < 1150
    assert nearby.haversine_km(16.8, 107.1, 16.8, 107.1) == 0


LEVEL_1 = "Thứ Hai–Thứ Bảy 07:00–19:00; Chủ nhật 07:00–11:30"
LEVEL_3 = "Thứ Hai–Thứ Sáu 07:30–11:30, 13:30–17:00; Thứ Bảy 07:30–11:30"


def test_opening_hours_are_read_as_the_network_writes_them():
    week = nearby.parse_hours(LEVEL_3)
    assert week is not None
    assert len(week[0]) == 2 and len(week[5]) == 1 and 6 not in week
    assert nearby.parse_hours("mon-fri 08:00-17:00") is not None
    assert nearby.parse_hours("") is None
    assert nearby.parse_hours("theo thông báo") is None


@pytest.mark.parametrize(
    ("hours", "moment", "expected"),
    [
        (LEVEL_1, datetime(2026, 12, 4, 10, 0), True),  # a Friday morning
        (LEVEL_1, datetime(2026, 12, 4, 19, 0), False),  # closing time
        (LEVEL_1, datetime(2026, 12, 6, 11, 0), True),  # Sunday morning
        (LEVEL_3, datetime(2026, 12, 4, 12, 0), False),  # lunch break
        (LEVEL_3, datetime(2026, 12, 6, 9, 0), False),  # Sunday
        (LEVEL_1, datetime(2026, 9, 2, 10, 0), False),  # National Day
        (LEVEL_1, datetime(2027, 1, 1, 10, 0), False),  # New Year's Day
        ("theo thông báo", datetime(2026, 12, 4, 10, 0), None),
    ],
)
def test_open_now_follows_the_hours_and_the_legal_holidays(hours, moment, expected):
    assert nearby.open_now(hours, moment) is expected
