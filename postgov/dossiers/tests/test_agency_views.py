"""The agency's pages: access (agency A never sees agency B's dossiers), the inbox sorted
by due date with counts, actions with their forms, the hand-over of a manifest."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from postgov.dossiers.carriage import manifests
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from tests.agency_helpers import at, handed_over, move, outbound_item, sealed
from tests.signing import data_url, scribble

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

INBOX = reverse("dossiers:agency_inbox")


def dossier_urls(dossier, event_id=1):
    return [
        reverse("dossiers:agency_dossier", args=[dossier.pk]),
        reverse("dossiers:agency_action", args=[dossier.pk, "accept"]),
        reverse("dossiers:agency_action", args=[dossier.pk, "refuse"]),
    ]


def test_it_checks_access(client, world, clerk_a, outsider, officer_b, auditor):
    dossier = handed_over(world)
    event = dossier.events.get(action="hand_over")
    urls = [INBOX, *dossier_urls(dossier)]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    for person in (clerk_a, outsider, auditor):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403, (person, url)
    client.force_login(officer_b)  # another agency: its inbox, but not A's dossier
    assert dossier.code not in client.get(INBOX).content.decode()
    for url in dossier_urls(dossier):
        assert client.get(url).status_code == 404
    assert client.post(dossier_urls(dossier)[1]).status_code == 404
    form = reverse("dossiers:form_pdf", args=[dossier.pk, event.pk])
    assert client.get(form).status_code == 404
    client.force_login(outsider)
    assert client.get(form).status_code == 404


def test_the_inbox_is_sorted_by_due_date_with_counts_and_days_left(client, world):
    later = handed_over(world, at("2026-11-30 10:00"))
    sooner = handed_over(world, at("2026-11-25 10:00"))
    waiting = sealed(world)
    move(waiting, "dispatch", world.postman_a)
    sealed(world, agency=world.agency_b)
    client.force_login(world.agency_receiver)
    body = client.get(INBOX).content.decode()
    assert body.index(sooner.code) < body.index(later.code) < body.index(waiting.code)
    assert "pg-deadline" in body
    response = client.get(INBOX, {"tab": "incoming"})
    assert response.context["tabs"][1][2] == 3  # incoming: 2 handed over + 1 in transit
    assert client.get(INBOX, {"tab": "nonsense", "page": "x"}).status_code == 200


def test_overdue_and_due_soon_tabs(client, world):
    overdue = handed_over(world, at("2026-01-05 10:00"))
    fresh = handed_over(world)
    client.force_login(world.agency_officer)
    body = client.get(INBOX, {"tab": "overdue"}).content.decode()
    assert overdue.code in body and fresh.code not in body


def test_accept_in_one_click_then_supplement_with_form_02(client, world):
    dossier = handed_over(world)
    client.force_login(world.agency_receiver)
    response = client.post(reverse("dossiers:agency_action", args=[dossier.pk, "accept"]))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == State.ACCEPTED
    url = reverse("dossiers:agency_action", args=[dossier.pk, "request_supplement"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"missing": ""})
    assert bad.status_code == 400
    response = client.post(url, {"missing": "Giấy chứng sinh bản chính\nTờ khai có chữ ký"})
    assert response.status_code == 302 and "?form=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "Mẫu 02" in page
    event = dossier.events.get(action="request_supplement")
    pdf = client.get(reverse("dossiers:form_pdf", args=[dossier.pk, event.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_a_step_on_the_page_carries_its_documents_and_refuses_a_wrong_type(client, world):
    dossier = handed_over(world)
    client.force_login(world.agency_receiver)
    url = reverse("dossiers:agency_action", args=[dossier.pk, "refuse"])
    wrong = SimpleUploadedFile("letter.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(
        url, {"reason_code": "NOT_COMPETENT", "note": "Sai thẩm quyền", "files": wrong}
    )
    assert response.status_code == 400 and "Sai thẩm quyền" in response.content.decode()
    assert not dossier.attachments.exists()
    letter = SimpleUploadedFile(
        "Công văn.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"
    )
    response = client.post(url, {"reason_code": "NOT_COMPETENT", "files": letter})
    assert response.status_code == 302
    attachment = dossier.attachments.get()
    assert attachment.event.action == "refuse" and attachment.original_name == "Công văn.pdf"


def test_a_refused_step_keeps_what_was_typed(client, world):
    dossier = handed_over(world)
    client.force_login(world.agency_officer)
    url = reverse("dossiers:agency_action", args=[dossier.pk, "extend"])  # not yet accepted
    response = client.post(url, {"new_due": "2026-12-30T10:00", "note": "Cần xác minh thêm"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Cần xác minh thêm" in body and "alert-danger" in body


def test_unknown_action_is_404(client, world):
    dossier = handed_over(world)
    client.force_login(world.agency_officer)
    assert (
        client.get(reverse("dossiers:agency_action", args=[dossier.pk, "hand_over"])).status_code
        == 404
    )


def test_the_receiver_confirms_a_presented_manifest(client, world):
    dossier = sealed(world)
    access = Access.for_user(world.postman_a)
    manifest = manifests.new_manifest(
        point=world.point_a, agency=world.agency_a, user=world.postman_a, access=access
    )
    line = manifests.scan(
        manifest.pk, outbound_item(dossier).item_id, user=world.postman_a, access=access
    )
    manifests.dispatch(manifest.pk, user=world.postman_a, access=access)
    url = reverse("carriage:agency_manifest", args=[manifest.pk])
    client.force_login(world.officer_b)
    assert client.get(url).status_code == 404
    client.force_login(world.agency_receiver)
    assert client.get(url).status_code == 200
    manifests.present(manifest.pk, user=world.postman_a, access=access, signature=scribble())
    page = client.get(url).content.decode()
    assert outbound_item(dossier).item_id in page
    bad = client.post(url, {f"check_{line.pk}": "discrepancy", f"fee_{line.pk}": "50000"})
    assert (
        bad.status_code == 400
        and "differs" in bad.content.decode()
        or "khác" in bad.content.decode()
    )
    unsigned = client.post(
        url, {f"check_{line.pk}": "ok", f"fee_{line.pk}": "49.000", "unsigned_note": "quên"}
    )
    assert unsigned.status_code == 400
    assert "Hãy ký trên màn hình để xác nhận bàn giao" in unsigned.content.decode()
    assert (
        'value="49000"' in unsigned.content.decode() and 'value="quên"' in unsigned.content.decode()
    )
    signed = {"signature": data_url(scribble())}
    response = client.post(url, {f"check_{line.pk}": "ok", f"fee_{line.pk}": "50.000", **signed})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == State.HANDED_OVER and dossier.fees_handed_over == 50_000
    record = client.get(reverse("carriage:agency_manifest_record", args=[manifest.pk]))
    assert record.status_code == 200 and record.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["clerk_a", "postman_a"])
def test_post_office_staff_print_form_01_for_the_citizen(client, world, who):
    dossier = handed_over(world)
    event = dossier.events.get(action="hand_over")
    client.force_login(getattr(world, who))
    response = client.get(reverse("dossiers:form_pdf", args=[dossier.pk, event.pk]))
    assert response.status_code == 200


def test_attached_documents_are_listed_and_downloaded_by_the_agency_only(
    client, world, clerk_a, officer_b
):
    from postgov.dossiers.agency.actions import ResultFile, Who, act

    dossier = handed_over(world)
    pdf = b"%PDF-1.4\n%%EOF\n"
    act(
        dossier.pk,
        "refuse",
        Who(via={"channel": "api"}),
        reason_code="NOT_COMPETENT",
        files=[ResultFile("Công văn từ chối.pdf", pdf)],
    )
    attachment = dossier.attachments.get()
    url = reverse("dossiers:agency_attachment", args=[dossier.pk, attachment.pk])
    assert client.get(url).status_code == 302
    client.force_login(clerk_a)
    assert client.get(url).status_code == 403
    client.force_login(officer_b)
    assert client.get(url).status_code == 404
    client.force_login(world.agency_receiver)
    page = client.get(reverse("dossiers:agency_dossier", args=[dossier.pk])).content.decode()
    assert "Công văn từ chối.pdf" in page and url in page
    download = client.get(url)
    assert download.status_code == 200 and download.content == pdf
