"""National portal sync through the adapter to the simulator, over real HTTP: the dossier
at the hand-over, then its progress, in order; retries; the report of what is not synced."""

from __future__ import annotations

from datetime import datetime

import pytest

from postgov.dossiers.agency.actions import Who, act
from postgov.exchange import portal
from postgov.exchange.models import PortalSyncItem
from postgov.exchange.portal_simulator import PortalSimulator
from postgov.identity.access import Access
from postgov.lib.workingtime import VIETNAM
from tests.agency_helpers import at, handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


@pytest.fixture
def simulator(settings):
    sim = PortalSimulator(username="postgov", password="secret-pw")
    url, stop = sim.serve()
    settings.PORTAL_URL = url
    settings.PORTAL_USERNAME = "postgov"
    settings.PORTAL_PASSWORD = "secret-pw"
    yield sim
    stop()


def test_dates_are_yyyymmddhhmmss_in_vietnam_time():
    moment = datetime(2026, 11, 30, 3, 0, tzinfo=VIETNAM).astimezone(
        datetime.now().astimezone().tzinfo
    )
    assert portal.portal_date(moment) == "20261130030000"
    assert portal.portal_date(None) == ""


def test_a_dossier_and_its_progress_reach_the_portal(world, simulator):
    dossier = handed_over(world, at("2026-11-30 10:00"))
    move(dossier, "accept", world.agency_receiver)
    act(
        dossier.pk,
        "request_supplement",
        Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer)),
        missing=["Tờ khai"],
    )
    services = list(
        PortalSyncItem.objects.filter(dossier=dossier).values_list("service", flat=True)
    )
    assert services == ["DongBoHoSoMC", "CapNhatTienDoHoSoMC", "CapNhatTienDoHoSoMC"]
    assert portal.sync_dossier.call(dossier.pk) == "3 synced"
    record = simulator.record(dossier.code)
    assert record["NgayTiepNhan"] == "20261130100000"
    assert record["NgayHenTra"] == "20261203170000"
    assert record["KenhThucHien"] == "3" and record["MaTTHC"] == "1.001193"
    assert [step["TrangThai"] for step in record["TienDo"]] == ["2", "5"]
    assert record["TrangThaiHoSo"] == "5"
    assert portal.adapter().lookup(dossier.code)[0]["MaHoSo"] == dossier.code


def test_failures_are_retried_in_order_and_reported(world, simulator):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    simulator.fail_next = 1
    assert portal.sync_dossier.call(dossier.pk).startswith("stopped after 0")
    report = portal.not_synced_report()
    assert report["counts"] == {"retrying": 1, "pending": 1}
    first = PortalSyncItem.objects.filter(dossier=dossier).order_by("id").first()
    assert first.status == "retrying" and first.next_attempt_at and first.last_error == "HTTP 5xx"
    assert portal.sync_dossier.call(dossier.pk) == "2 synced"
    assert portal.not_synced_report()["counts"] == {}


def test_the_simulator_refuses_bad_records(simulator):
    adapter = portal.adapter()
    with pytest.raises(portal.PortalError) as refused:
        adapter.push(
            "CapNhatTienDoHoSoMC",
            [{"MaHoSo": "X", "TrangThai": "4", "ThoiDiemXuLy": "20261130100000"}],
        )
    assert "chưa được đồng bộ" in refused.value.portal_message
    with pytest.raises(portal.PortalError) as refused:
        adapter.push(
            "DongBoHoSoMC",
            [
                {
                    "MaHoSo": "X",
                    "MaTTHC": "1",
                    "TenTTHC": "T",
                    "ChuHoSo": "A",
                    "NgayTiepNhan": "30/11/2026",
                    "DonViXuLy": "D",
                    "TrangThaiHoSo": "1",
                    "HinhThuc": "1",
                }
            ],
        )
    assert "sai định dạng" in refused.value.portal_message
    assert str(refused.value) == "message refused by the portal"


def test_without_a_portal_messages_wait_and_are_reported(world, settings):
    settings.PORTAL_URL = ""
    dossier = handed_over(world)
    assert portal.sync_dossier.call(dossier.pk) == "portal not configured"
    report = portal.not_synced_report([world.province.pk])
    assert report["counts"] == {"pending": 1}
    assert list(report["items"])[0].dossier == dossier
