"""The volumes page: access and scope, filters and bad input in both languages, the SVG
charts, and its CSV and XLSX exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.identity.access import Access
from postgov.reports import months
from postgov.reports.models import DailyLegs, DailyVolume
from postgov.reports.volumes import volume_report
from tests.factories import make_procedure

pytestmark = pytest.mark.clock

VOLUMES = reverse("reports:volumes")
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def rows(world):
    procedure = make_procedure().procedure
    for day, point, agency, sealed in [
        (date(2026, 11, 3), world.point_a, world.agency_a, 4),
        (date(2026, 11, 4), world.point_a, world.agency_a, 2),
        (date(2026, 11, 4), world.point_b, world.agency_b, 7),
        (date(2026, 10, 20), world.point_a, world.agency_a, 5),
    ]:
        DailyVolume.objects.create(
            day=day,
            province=world.province,
            point=point,
            procedure=procedure,
            agency=agency,
            sealed=sealed,
            delivered=1,
            procedure_fees=sealed * 8_000,
            total_due=sealed * 60_000,
        )
        DailyLegs.objects.create(
            day=day,
            province=world.province,
            point=point,
            procedure=procedure,
            agency=agency,
            segment="outbound",
            on_time=3,
            late=1,
        )
    # Made directly, so their months are summed here as `update_day` would.
    months.update_months([date(2026, 10, 20), date(2026, 11, 3)])
    return procedure


def test_it_checks_access(client, world, clerk_a, postman_a, outsider):
    assert client.get(VOLUMES).status_code == 302
    for person in (clerk_a, postman_a, outsider):
        client.force_login(person)
        assert client.get(VOLUMES).status_code == 403, person
        assert client.get(VOLUMES, {**NOVEMBER, "export": "csv"}).status_code == 403


def test_a_supervisor_sees_their_office_and_the_province_sees_both(client, world, rows):
    client.force_login(world.supervisor_a)
    report = client.get(VOLUMES, NOVEMBER).context["report"]
    assert report.total.figures["sealed"] == 6 and not report.by_month
    assert report.total.on_time == 6 and report.total.late == 2
    client.force_login(world.provincial_admin)
    assert client.get(VOLUMES, NOVEMBER).context["report"].total.figures["sealed"] == 13
    only_b = client.get(VOLUMES, {**NOVEMBER, "point": world.point_b.pk})
    assert only_b.context["report"].total.figures["sealed"] == 7
    client.force_login(world.officer_b)
    assert client.get(VOLUMES, NOVEMBER).context["report"].total.figures["sealed"] == 7


def test_the_month_shortcut_and_months_for_long_periods(client, world, rows):
    client.force_login(world.provincial_admin)
    report = client.get(VOLUMES, {"month": "2026-10"}).context["report"]
    assert (report.date_from, report.date_to) == (date(2026, 10, 1), date(2026, 10, 31))
    assert report.total.figures["sealed"] == 5
    long = client.get(VOLUMES, {"date_from": "2026-06-01", "date_to": "2026-11-30"})
    report = long.context["report"]
    assert report.by_month and [b.label for b in report.buckets][-2:] == ["10/2026", "11/2026"]
    assert [b.figures["sealed"] for b in report.buckets][-2:] == [5, 13]
    procedure = client.get(VOLUMES, {**NOVEMBER, "procedure": rows.code})
    assert procedure.context["report"].total.figures["sealed"] == 13


def test_the_charts_are_accessible_svg_without_style_attributes(client, world, rows):
    client.force_login(world.supervisor_a)
    body = client.get(VOLUMES, NOVEMBER, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.count("<svg") == 12  # eleven figures (three of postal orders) and the rate
    assert 'role="img"' in body and "<title" in body and "<desc" in body
    assert "<script" not in body.split("<svg", 1)[1].rsplit("</svg>", 1)[0]
    assert " style=" not in body.split("<svg", 1)[1].rsplit("</svg>", 1)[0]
    assert "Received" in body and "Legs ended on time" in body


@pytest.mark.parametrize(
    ("language", "reversed_message", "point_message", "empty_message"),
    [
        (
            "en",
            "The end of the period is before its start.",
            "This post office is not one whose figures you see.",
            "Choose a period: a month, or a start and an end.",
        ),
        (
            "vi",
            "Ngày kết thúc trước ngày bắt đầu.",
            "Bưu cục này không thuộc phạm vi số liệu bạn được xem.",
            "Chọn kỳ báo cáo: một tháng, hoặc ngày đầu và ngày cuối.",
        ),
    ],
)
def test_bad_filters_give_a_message_in_the_pages_language(
    client, world, rows, language, reversed_message, point_message, empty_message
):
    client.force_login(world.supervisor_a)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    reversed_period = client.get(
        VOLUMES, {"date_from": "2026-11-30", "date_to": "2026-11-01"}, **headers
    )
    assert reversed_period.status_code == 200 and reversed_period.context["report"] is None
    assert reversed_period_message_in(reversed_period, reversed_message)
    foreign = client.get(VOLUMES, {**NOVEMBER, "point": world.point_b.pk}, **headers)
    assert point_message in foreign.content.decode() and foreign.context["report"] is None
    unknown = client.get(VOLUMES, {**NOVEMBER, "point": "99999999"}, **headers)
    assert point_message in unknown.content.decode()
    empty = client.get(VOLUMES, {"date_from": "", "date_to": ""}, **headers)
    assert empty_message in empty.content.decode()
    garbage = client.get(VOLUMES, {"month": "tháng mười", "point": "x" * 40}, **headers)
    assert garbage.status_code == 200 and garbage.context["report"] is None
    export = client.get(
        VOLUMES, {"date_from": "2026-11-30", "date_to": "2026-11-01", "export": "csv"}
    )
    assert export["Content-Type"].startswith("text/html")


def reversed_period_message_in(response, message: str) -> bool:
    return message in response.content.decode()


def test_csv_and_xlsx_exports_carry_the_table_and_are_audited(client, world, rows):
    client.force_login(world.supervisor_a)
    response = client.get(VOLUMES, {**NOVEMBER, "export": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["Period", "Received"]
    assert len(lines) == 1 + 30 + 1  # a line a day and the total
    assert lines[3][1] == "4" and lines[4][1] == "2"  # 3 and 4 November
    assert lines[-1][0] == "Total" and lines[-1][1] == "6" and lines[-1][-1] == "75.0"
    response = client.get(VOLUMES, {**NOVEMBER, "export": "xlsx"}, HTTP_ACCEPT_LANGUAGE="vi")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[2][0] == "Kỳ" and values[-1][1] == 6
    assert AuditEvent.objects.filter(action="reports.volumes_exported").count() == 2


def test_the_monthly_report_to_the_province_is_a_vietnamese_pdf(client, world, rows):
    pdf_url = reverse("reports:volumes_pdf")
    client.force_login(world.clerk_a)
    assert client.get(pdf_url, {"month": "2026-11"}).status_code == 403
    client.force_login(world.provincial_admin)
    response = client.get(pdf_url, {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # cells wrap
    assert "BÁO CÁO KẾT QUẢ TIẾP NHẬN" in text and "Tháng 11/2026" in text
    assert world.province.name in text
    assert world.point_a.name in text and world.point_b.name in text
    assert world.agency_a.name in text and world.agency_b.name in text
    assert "Số hồ sơ tiếp nhận: 13" in text and "Theo cơ quan giải quyết" in text
    assert "104.000 ₫" in text  # the fees of the month: 13 × 8.000
    assert "Số hồ sơ tiếp nhận theo ngày" in text
    bad = client.get(pdf_url, {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert bad.status_code == 200 and "Ngày kết thúc trước ngày bắt đầu." in bad.content.decode()


def test_a_long_period_reads_each_roll_up_table_in_one_statement(world, rows):
    """A year cutting months at both edges: the volumes and the legs each in one statement
    (whole months, a month less its days outside the period, edge days: united)."""
    access = Access.for_user(world.provincial_admin)
    with CaptureQueriesContext(connection) as queries:
        report = volume_report(access, date(2025, 11, 15), date(2026, 11, 14))
    read = [q["sql"] for q in queries.captured_queries if "reports_" in q["sql"]]
    assert len(read) == 2, read
    assert sum("reports_monthlyvolume" in sql and "reports_dailyvolume" in sql for sql in read) == 1
    assert sum("reports_monthlylegs" in sql and "reports_dailylegs" in sql for sql in read) == 1
    # October whole, November's 3rd and 4th inside the period, read as days or as the month
    # less its 15th to 30th: the same figures either way.
    assert [b.figures["sealed"] for b in report.buckets][-2:] == [5, 13]
    assert (report.total.on_time, report.total.late) == (12, 4)
