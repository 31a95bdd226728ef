"""The citizen's messages after sealing go out through the worker, and the logs carry no
phone number or name."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.core.management import call_command

from postgov.notify.models import Message
from tests.factories import make_intake_catalog

from .intake_helpers import ready, seal


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_sealing_sms_and_email(world, caplog):
    version = make_intake_catalog(world)
    sealed, _ = seal(ready(world, version, email="an@example.vn"))
    with caplog.at_level(logging.INFO):
        call_command("db_worker", batch=True, queue_name="*", no_startup_delay=True, verbosity=0)
    statuses = set(
        Message.objects.filter(object_id=str(sealed.pk)).values_list("status", flat=True)
    )
    assert statuses == {Message.Status.SENT}
    assert mail.outbox[0].subject == f"PostGov — Hồ sơ {sealed.code} đã được tiếp nhận"
    assert "Cấp bản sao trích lục hộ tịch" in mail.outbox[0].body
    assert "0912345678" not in caplog.text and "Nguyễn Văn An" not in caplog.text
