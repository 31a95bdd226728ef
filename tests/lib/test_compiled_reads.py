"""A row read by primary key with its SELECT kept (`postgov.lib.compiled_reads`) is the row
Django's own queryset gives, converters included (dates, UUIDs, booleans)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from postgov.identity.models import User
from postgov.lib import compiled_reads
from postgov.notify.models import Message

pytestmark = pytest.mark.django_db


def columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_user_read_on_every_request_is_the_one_django_reads(world):
    user = User.objects.create_user(
        "kept-read", password="không-đoán-được-9", full_name="Hoàng Thị Đọc"
    )
    user.birth_date, user.verified_at = date(1990, 3, 15), timezone.now()
    user.save()
    for _ in range(2):  # built at the first read, kept for the second
        kept = User.objects.get(pk=user.pk)
        assert isinstance(kept, User) and not kept._state.adding
        assert columns(kept) == columns(User._base_manager.filter(pk=user.pk).get())
    assert kept.check_password("không-đoán-được-9")


def test_a_missing_row_is_none_and_does_not_exist():
    assert compiled_reads.by_pk(User, 987654) is None
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=987654)


def test_other_lookups_go_through_django(world):
    user = User.objects.create_user("kept-read-2", password="không-đoán-được-9")
    assert User.objects.get(username="kept-read-2") == user
    assert User.objects.get(pk=user.pk, is_active=True) == user


def test_another_models_columns_convert_as_django_does():
    message = Message.objects.create(
        channel="sms", recipient="+84912000001", template="t", body="Mã hồ sơ: 000.00.01"
    )
    assert columns(compiled_reads.by_pk(Message, message.pk)) == columns(
        Message.objects.get(pk=message.pk)
    )
