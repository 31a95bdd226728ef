"""At hand-over the applicant with an e-mail address gets Form 01 (receipt and appointment
slip) as a PDF attachment; without one, only the SMS goes."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from postgov.dossiers.citizen_notices import email_receipt
from postgov.notify.actions import queue_message
from postgov.notify.models import Message, MessageAttachment
from postgov.notify.tasks import send_message
from tests.agency_helpers import handed_over

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock


def test_the_hand_over_e_mail_carries_form_01(world):
    dossier = handed_over(world, applicant_email="an@example.vn")
    event = dossier.events.get(action="hand_over")
    queued = DBTaskResult.objects.filter(task_path__endswith="email_receipt")
    assert queued.count() == 1  # queued in the hand-over's transaction, rendered later
    assert email_receipt.call(dossier.pk, event.pk) == "queued"
    message = Message.objects.get(template="dossier_hand_over", channel="email")
    assert dossier.code in message.subject and dossier.code in message.body
    attachment = message.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == f"mau-01-{dossier.code}-{event.pk}.pdf"
    assert bytes(attachment.content).startswith(b"%PDF")
    assert send_message.call(message.pk) == Message.Status.SENT
    sent = mail.outbox[-1]
    assert sent.to == ["an@example.vn"]
    [(filename, content, content_type)] = sent.attachments
    assert filename == attachment.filename and content_type == "application/pdf"
    assert content.startswith(b"%PDF")


def test_no_e_mail_address_no_e_mail(world):
    dossier = handed_over(world, applicant_email="")
    assert not DBTaskResult.objects.filter(task_path__endswith="email_receipt").exists()
    event = dossier.events.get(action="hand_over")
    assert email_receipt.call(dossier.pk, event.pk) == "nothing to send"
    assert not Message.objects.filter(channel="email").exists()


def test_an_sms_cannot_carry_a_file(db):
    with pytest.raises(ValueError):
        queue_message(
            "sms", "0912345678", "test", {"code": "1", "minutes": 5}, attachments=[("a", b"x", "")]
        )
    assert not MessageAttachment.objects.exists()
