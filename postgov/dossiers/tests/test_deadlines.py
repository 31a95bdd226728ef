"""Late, due soon, on time: one rule (clock.standing) behind every badge, inbox tab and
count, report and action — after office hours on the due day a dossier is late, on the
badge and in the tabs alike — and a result published after the due date is flagged late
and comes with Form 04, the apology and new appointment."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from postgov.dossiers.agency.actions import ApologyRequired, Who, act
from postgov.dossiers.agency.official_forms import render_event_form
from postgov.dossiers.clock import DUE_SOON, LATE, ON_TIME, Calendars, deadline, standing
from postgov.dossiers.models import LegRecord
from postgov.dossiers.workflow import SEGMENTS
from postgov.exchange.integration import create_api_key
from postgov.identity.access import Access
from postgov.reports.sla import check_sla
from tests.agency_helpers import at, handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

INBOX = reverse("dossiers:agency_inbox")
# Handed over on Monday 30/11/2026 at 10:00, three working days: due Thursday 03/12 17:00.
HANDED = "2026-11-30 10:00"
DUE = at("2026-12-03 17:00")


def officer(world) -> Who:
    return Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer))


@pytest.fixture
def accepted(world):
    dossier = handed_over(world, at(HANDED))
    assert dossier.due_at == DUE
    return move(dossier, "accept", world.agency_receiver, at=at("2026-11-30 11:00"))


def tab_codes(client, tab: str) -> str:
    return client.get(INBOX, {"tab": tab}).content.decode()


def tab_counts(client) -> dict[str, int]:
    return {key: count for key, _label, count in client.get(INBOX).context["tabs"]}


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-12-02 16:00", ON_TIME),  # a working day and an hour left
        ("2026-12-02 17:30", DUE_SOON),  # after hours the day before: one working day left
        ("2026-12-03 09:00", DUE_SOON),
        ("2026-12-03 17:00", DUE_SOON),  # the due moment itself
        ("2026-12-03 17:01", LATE),
        ("2026-12-03 19:00", LATE),  # after office hours on the due day: no time left
        ("2026-12-05 10:00", LATE),  # the weekend after
    ],
)
def test_one_rule_decides_late_due_soon_and_on_time(world, now, expected):
    calendar = Calendars().for_agency(world.agency_a)
    assert standing(DUE, at(now), calendar) == expected


def test_after_office_hours_on_the_due_day_the_badge_and_the_tabs_agree(client, world, accepted):
    with time_machine.travel(at("2026-12-03 19:00"), tick=False):
        client.force_login(world.agency_receiver)
        info = deadline(accepted)
        assert info.late and not info.due_soon
        counts = tab_counts(client)
        assert counts["overdue"] == 1 and counts["due_soon"] == 0
        overdue = tab_codes(client, "overdue")
        assert accepted.code in overdue and accepted.code not in tab_codes(client, "due_soon")
        # The badge beside it is red and says since when, not "0 days left".
        assert "text-bg-danger" in overdue and "quá hạn từ 17:00 03/12" in overdue
        assert "còn 0 ngày" not in overdue and "text-bg-warning pg-deadline" not in overdue
        page = client.get(reverse("dossiers:agency_dossier", args=[accepted.pk])).content
        assert "quá hạn từ 17:00 03/12" in page.decode()


def test_the_morning_of_the_due_day_it_is_due_soon_everywhere(client, world, accepted):
    with time_machine.travel(at("2026-12-03 09:00"), tick=False):
        client.force_login(world.agency_receiver)
        counts = tab_counts(client)
        assert counts["overdue"] == 0 and counts["due_soon"] == 1
        due_soon = tab_codes(client, "due_soon")
        assert accepted.code in due_soon and "hạn 17:00 hôm nay" in due_soon


def test_badge_and_tabs_never_disagree_around_the_due_date(client, world, accepted):
    moments = [DUE + timedelta(hours=hours) for hours in range(-48, 25, 3)]
    moments += [DUE + timedelta(minutes=m) for m in (-1, 0, 1, 30, 120)]
    for moment in sorted(moments):
        with time_machine.travel(moment, tick=False):
            client.logout()  # a session idle for hours has timed out: a fresh one
            client.force_login(world.agency_receiver)
            body = client.get(INBOX).content.decode()
            row = body[body.index(accepted.code) :]
            badge = row[row.index("pg-deadline") - 40 : row.index("pg-deadline")]
            in_overdue = accepted.code in tab_codes(client, "overdue")
            in_soon = accepted.code in tab_codes(client, "due_soon")
            assert in_overdue == ("text-bg-danger" in badge), moment
            assert in_soon == ("text-bg-warning" in badge), moment
            assert not (in_overdue and in_soon), moment


def test_the_sla_check_flags_what_the_inbox_shows(world, accepted):
    for now, flag in (("2026-12-02 16:00", ""), ("2026-12-03 09:00", "due_soon")):
        check_sla(at(now))
        assert LegRecord.objects.get(dossier=accepted, segment="agency").flag == flag
    check_sla(at("2026-12-03 19:00"))
    assert LegRecord.objects.get(dossier=accepted, segment="agency").flag == "overdue"


def test_the_dashboard_counts_overdue_legs_now_not_at_the_last_check(client, world, accepted):
    check_sla(at("2026-12-03 09:00"))  # flagged "due soon" in the morning
    with time_machine.travel(at("2026-12-03 19:00"), tick=False):
        client.force_login(world.agency_receiver)
        response = client.get(reverse("reports:dashboard"))
    agency = dict(zip([s.name for s in SEGMENTS], response.context["segments"], strict=True))
    assert (agency["agency"]["overdue"], agency["agency"]["due_soon"]) == (1, 0)


# -- a result after the due date ---------------------------------------------------------------


def test_a_late_result_needs_form_04_and_is_flagged_late(world, accepted):
    with time_machine.travel(at("2026-12-04 10:00"), tick=False):
        with pytest.raises(ApologyRequired, match="late"):
            act(accepted.pk, "result_ready", officer(world), documents=[{"name": "Giấy khai sinh"}])
        accepted.refresh_from_db()
        assert accepted.status == "accepted"
        dossier, event = act(
            accepted.pk,
            "result_ready",
            officer(world),
            documents=[{"name": "Giấy khai sinh"}],
            late_reason="Chờ xác minh của UBND xã nơi đăng ký thường trú",
            new_due=at("2026-12-09 17:00"),
        )
    assert dossier.status == "result_ready"
    assert event.details["late"] is True and event.details["due_at"].startswith("2026-12-03")
    apology = dossier.events.get(pk=event.details["apology_event"])
    assert apology.action == "extend" and apology.details["late"] is True
    assert apology.at <= event.at
    name, data = render_event_form(dossier, apology)
    assert name.startswith("mau-04-")
    from postgov.dossiers.tests.test_agency_forms import text_of

    text = text_of(data)
    assert "xin lỗi" in text and "Chờ xác minh của UBND xã" in text
    assert "17 giờ 00 phút, ngày 09/12/2026" in text
    assert LegRecord.objects.get(dossier=dossier, segment="agency").late is True


def test_a_result_on_time_needs_no_apology(world, accepted):
    with time_machine.travel(at("2026-12-03 16:00"), tick=False):
        dossier, event = act(
            accepted.pk, "result_ready", officer(world), documents=[{"name": "Giấy khai sinh"}]
        )
    assert "late" not in event.details and not dossier.events.filter(action="extend").exists()
    assert LegRecord.objects.get(dossier=dossier, segment="agency").late is False


def test_the_result_page_asks_for_form_04_when_late_and_keeps_what_was_typed(
    client, world, accepted
):
    url = reverse("dossiers:agency_action", args=[accepted.pk, "result_ready"])
    with time_machine.travel(at("2026-12-04 10:00"), tick=False):
        client.force_login(world.agency_officer)
        page = client.get(url).content.decode()
        assert 'data-testid="late-result"' in page and "Mẫu 04" in page
        assert 'name="late_reason"' in page and 'name="new_due"' in page
        missing = client.post(url, {"name_1": "Giấy khai sinh", "number_1": "12/2026"})
        assert missing.status_code == 400 and 'value="12/2026"' in missing.content.decode()
        done = client.post(
            url,
            {
                "name_1": "Giấy khai sinh",
                "late_reason": "Chờ xác minh",
                "new_due": "2026-12-09T17:00",
            },
        )
        assert done.status_code == 302
        shown = client.get(done["Location"]).content.decode()
    apology = accepted.events.get(action="extend")
    assert done["Location"].endswith(f"?form={apology.pk}")
    assert "Mở Mẫu 04 (PDF)" in shown and "sau hạn giải quyết" in shown


def test_the_agency_api_asks_for_form_04_with_a_late_result(client, world, accepted):
    key = create_api_key(world.agency_a, "Một cửa điện tử tỉnh")[1]
    path = f"/api/v1/agency/dossiers/{accepted.code}/results"
    body = {
        "documents": [{"name": "Giấy khai sinh"}],
        "files": [{"name": "kq.pdf", "content_base64": base64.b64encode(b"%PDF-1.4\n").decode()}],
    }

    def post(payload):
        return client.post(
            path, data=json.dumps(payload), content_type="application/json", HTTP_X_API_KEY=key
        )

    with time_machine.travel(at("2026-12-04 10:00"), tick=False):
        assert (
            client.get(f"/api/v1/agency/dossiers/{accepted.code}", HTTP_X_API_KEY=key).json()[
                "deadline"
            ]
            == "late"
        )
        refused = post(body)
        assert refused.status_code == 422 and "04" in refused.content.decode()
        done = post({**body, "late_reason": "Chờ xác minh", "new_due": "2026-12-09T17:00:00"})
    assert done.status_code == 200
    forms = [e["form"] for e in done.json()["events"]]
    assert forms.count("04") == 1 and done.json()["status"] == "result_ready"
