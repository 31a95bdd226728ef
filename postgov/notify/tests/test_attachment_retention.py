"""E-mail attachments carry citizens' papers: emptied once their message is done and old."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from postgov.audit.models import AuditEvent
from postgov.notify.actions import purge_attachments, queue_message
from postgov.notify.models import Message, MessageAttachment

pytestmark = pytest.mark.django_db

PDF = ("form-01.pdf", b"%PDF-1.7 Nguyen Van An", "application/pdf")


def message(status, *, age_days):
    queued = queue_message("email", "an@example.vn", "dossier_sealed", CONTEXT, attachments=[PDF])
    then = timezone.now() - timedelta(days=age_days)
    Message.objects.filter(pk=queued.pk).update(
        status=status, created_at=then, sent_at=then if status == Message.Status.SENT else None
    )
    return queued


CONTEXT = {
    "code": "000.00.44.H56-261126-0001",
    "item": "HC000000011VN",
    "procedure": "Đăng ký khai sinh",
    "point": "Bưu điện Đông Hà",
    "total_text": "68.000 ₫",
    "expected": None,
    "track_url": "http://127.0.0.1:8000/track/?code=HC000000011VN",
}


def test_old_sent_and_given_up_messages_lose_their_files_but_keep_the_record(settings):
    settings.MESSAGE_ATTACHMENT_DAYS = 30
    old_sent = message(Message.Status.SENT, age_days=31)
    old_failed = message(Message.Status.FAILED, age_days=31)
    recent = message(Message.Status.SENT, age_days=5)
    waiting = message(Message.Status.RETRYING, age_days=40)

    assert purge_attachments() == 2

    for done in (old_sent, old_failed):
        kept = MessageAttachment.objects.get(message=done)
        assert bytes(kept.content) == b"" and kept.purged_at is not None
        assert kept.filename == "form-01.pdf" and kept.size == len(PDF[1]) and kept.sha256
    for untouched in (recent, waiting):
        assert bytes(MessageAttachment.objects.get(message=untouched).content) == PDF[1]
    event = AuditEvent.objects.get(action="notify.attachments_purged")
    assert event.details["count"] == 2
    # Nothing more to do: no second event.
    assert purge_attachments() == 0
    assert AuditEvent.objects.filter(action="notify.attachments_purged").count() == 1


def test_the_scheduled_job_runs_it():
    from postgov.reports.sla import check_sla

    message(Message.Status.SENT, age_days=400)
    assert check_sla().housekeeping["message_attachments_purged"] == 1
