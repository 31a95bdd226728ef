"""Clerks sealing at the same time on PostgreSQL: one code each, no duplicate, no gap, one
S10 item each, whatever the interleaving."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from postgov.audit.actions import verify_chain
from postgov.delivery.models import PostalItem
from postgov.dossiers.models import Dossier
from postgov.lib.s10 import is_valid

from .intake_helpers import ready, seal


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_seals_number_without_duplicates_or_gaps(world, version):
    drafts = [ready(world, version, name=f"Người nộp {n}") for n in range(24)]
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def clerk(mine):
        try:
            start.wait()
            for dossier in mine:
                seal(dossier)
                seal(dossier)  # a double submit on top
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(drafts[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    codes = sorted(Dossier.objects.values_list("code", flat=True))
    assert [int(c.rsplit("-", 1)[1]) for c in codes] == list(range(1, 25))
    items = list(PostalItem.objects.values_list("item_id", flat=True))
    assert len(items) == len(set(items)) == 48 and all(is_valid(i) for i in items)
    checked, problems = verify_chain()
    assert checked > 24 and problems == []
