"""Uploading scans: good files become records with thumbnails; bad ones give a clear
message in the page's language and leave nothing behind."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from postgov.registers import actions, jobs, sources
from postgov.registers.models import Batch, Job, Page, Project, Record
from postgov.registers.tests.conftest import pdf_bytes, png_file


def upload(client, project, file, per_record=1, language="en"):
    return client.post(
        reverse("registers:upload", args=[project.pk]),
        {"file": file, "label": "Quyển 2", "pages_per_record": per_record},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def run_jobs() -> None:
    """What the worker does: run every queued job."""
    for pk in Job.objects.filter(state=Job.State.QUEUED).values_list("pk", flat=True):
        jobs.run_job.call(pk)


def job_page(client, response, language="en") -> str:
    assert response.status_code == 302, response
    return client.get(response.url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes(1))).pages:
        writer.add_page(page)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_becomes_one_record_per_page_with_thumbnails(client, project, world):
    client.force_login(world.provincial_admin)
    file = SimpleUploadedFile("so.pdf", pdf_bytes(3), content_type="application/pdf")
    response = upload(client, project, file)
    assert "waiting" in job_page(client, response)
    assert not Batch.objects.exists()  # the worker makes the records
    run_jobs()
    job = Job.objects.get()
    assert (job.state, job.done, job.total) == ("done", 3, 3)
    assert 'value="100"' in job_page(client, response)
    batch = Batch.objects.get(project=project)
    assert job.result == {"batch": batch.pk, "pages": 3, "records": 3}
    assert batch.pages == 3 and batch.records.count() == 3
    page = Page.objects.first()
    assert page.image.read().startswith(b"\x89PNG") and page.thumbnail.size < page.image.size
    image = client.get(reverse("registers:page_image", args=[page.pk, "thumb"]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("broken.pdf", b"%PDF-1.4\nthis is not a pdf", "This PDF is damaged"),
        ("locked.pdf", None, "protected by a password"),
        ("broken.png", b"\x89PNG\r\n\x1a\nbroken", "This image file is damaged"),
    ],
)
def test_damaged_files_fail_their_job_and_nothing_is_kept(
    client, project, world, settings, name, content, message
):
    client.force_login(world.provincial_admin)
    data = encrypted_pdf() if content is None else content
    response = upload(client, project, SimpleUploadedFile(name, data))
    run_jobs()
    assert Job.objects.get().state == "failed"
    assert message in job_page(client, response)
    in_vietnamese = job_page(client, response, language="vi")
    assert "alert-danger" in in_vietnamese and message not in in_vietnamese
    assert not Batch.objects.exists() and not Record.objects.exists() and not Page.objects.exists()
    media = settings.MEDIA_ROOT
    assert not [p for p in media.rglob("*") if p.is_file()]  # the kept upload is gone too


def test_a_file_that_is_no_scan_is_refused_at_once(client, project, world):
    client.force_login(world.provincial_admin)
    response = upload(client, project, SimpleUploadedFile("notes.txt", b"hello"))
    assert response.status_code == 200
    assert "not a PDF, TIFF, JPEG or PNG" in response.content.decode()
    assert not Job.objects.exists()


def test_a_job_whose_worker_died_can_be_started_again(client, project, world):
    client.force_login(world.provincial_admin)
    response = upload(client, project, png_file())
    job = Job.objects.get()
    restart = reverse("registers:job_restart", args=[job.pk])
    client.post(restart, HTTP_ACCEPT_LANGUAGE="en")
    assert "Only a job that stopped answering" in job_page(client, response)
    # The worker took it, then died before it reported again.
    Job.objects.filter(pk=job.pk).update(
        state="running", heartbeat_at=timezone.now() - jobs.STALLED_AFTER - timedelta(minutes=1)
    )
    assert "stopped answering" in job_page(client, response)
    client.post(restart)
    run_jobs()
    assert Job.objects.get().state == "done" and Record.objects.count() == 1


def test_a_job_is_shown_only_to_its_project_manager_and_starter(client, project, world):
    client.force_login(world.provincial_admin)
    upload(client, project, png_file())
    url = reverse("registers:job", args=[Job.objects.get().pk])
    for user in (world.clerk_a, world.agency_officer, world.auditor):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url + "restart/").status_code == 404
    client.force_login(world.outsider)
    assert client.get(url).status_code == 403


def test_the_message_follows_the_page_language(client, project, world):
    client.force_login(world.provincial_admin)
    response = upload(client, project, SimpleUploadedFile("a.txt", b"hello"), language="vi")
    assert "không phải PDF, TIFF, JPEG hay PNG" in response.content.decode()


def test_without_pdftoppm_a_pdf_gets_a_clear_message(client, project, world):
    client.force_login(world.provincial_admin)
    response = upload(client, project, SimpleUploadedFile("a.pdf", pdf_bytes(1)))
    with mock.patch.object(sources.shutil, "which", return_value=None):
        run_jobs()
    assert "poppler-utils" in job_page(client, response)
    assert not Record.objects.exists()


def test_only_the_project_manager_uploads(client, project, world):
    client.force_login(world.clerk_a)  # an operator of the project
    assert upload(client, project, png_file()).status_code == 404
    assert not Record.objects.exists()


def test_people_outside_the_project_see_none_of_it(client, project, world, batch):
    page = Page.objects.first()
    record = page.record
    keying = actions.next_keying(project, world.clerk_a)
    for user in (world.agency_officer, world.auditor):  # staff, not members
        client.force_login(user)
        for url in (
            reverse("registers:project", args=[project.pk]),
            reverse("registers:keying", args=[keying.pk]),
            reverse("registers:adjudicate", args=[record.pk]),
            reverse("registers:page_image", args=[page.pk, "full"]),
            reverse("registers:schema", args=[project.pk]),
        ):
            assert client.get(url).status_code == 404, url
    client.force_login(world.outsider)
    assert client.get(reverse("registers:projects")).status_code == 403


def test_a_provincial_administrator_creates_a_project_and_manages_it(client, world):
    client.force_login(world.provincial_admin)
    form = reverse("registers:project_new")
    wrong = client.post(
        form,
        {
            "name": "Sổ BHXH",
            "schema": "social_insurance",
            "province": world.province.pk,
            "commune": "Nowhere",
            "keying_mode": "blind_double",
            "sample_percent": 10,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == 200 and "No commune is called" in wrong.content.decode()
    made = client.post(
        form,
        {
            "name": "Sổ BHXH",
            "schema": "social_insurance",
            "province": world.province.pk,
            "commune": "Đông Hà",
            "keying_mode": "blind_double",
            "sample_percent": 10,
        },
    )
    project = Project.objects.get(name="Sổ BHXH")
    assert made.url == reverse("registers:project", args=[project.pk])
    assert project.commune == world.commune_a and project.current_schema().number == 1
    member = client.post(
        reverse("registers:member_add", args=[project.pk]),
        {"username": "clerk_b", "role": "operator"},
    )
    assert member.status_code == 302
    assert project.members.filter(user=world.clerk_b, role="operator").exists()
    client.post(
        reverse("registers:member_add", args=[project.pk]),
        {"username": "citizen", "role": "operator"},
    )
    assert not project.members.filter(user=world.citizen).exists()  # staff only
    # A clerk may not create projects.
    client.force_login(world.clerk_a)
    assert client.get(form).status_code == 403
