"""Dossier codes and S10 item IDs under concurrent intakes."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from postgov.delivery.actions import next_item_id, next_item_ids
from postgov.delivery.models import ItemSerial
from postgov.dossiers.numbering import (
    SealNumbers,
    next_dossier_code,
    next_manifest_code,
    seal_numbers,
)
from postgov.lib.s10 import is_valid, make_item_id

UNIT = "000.00.01.H44"


def test_codes_follow_circular_01_2018():
    assert next_dossier_code(UNIT, date(2026, 11, 26)) == "000.00.01.H44-261126-0001"
    assert next_dossier_code(UNIT, date(2026, 11, 26)) == "000.00.01.H44-261126-0002"
    # Each unit and each day has its own sequence.
    assert next_dossier_code("000.01.19333.H44", date(2026, 11, 26)).endswith("-0001")
    assert next_dossier_code(UNIT, date(2026, 11, 27)).endswith("-261127-0001")


def test_manifests_have_their_own_numbers():
    day = date(2026, 11, 26)
    assert next_manifest_code("481000", day, outbound=True) == "BK-481000-261126-0001"
    assert next_manifest_code("481000", day, outbound=True) == "BK-481000-261126-0002"
    # The return trips of the same point, and the dossier codes, count on their own.
    assert next_manifest_code("481000", day, outbound=False) == "TK-481000-261126-0001"
    assert next_dossier_code("481000", day) == "481000-261126-0001"


pytestmark = pytest.mark.django_db


def test_item_ids_are_valid_and_never_repeat():
    ids = [next_item_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(is_valid(i) for i in ids)


class RolledBack(Exception):
    pass


def clerks_at_once(clerks: int, intakes: int, intake, fails_every: int) -> list:
    """`clerks` threads, each doing `intakes` transactions of `intake(worker)` at the same
    moment; some fail after taking their numbers (a printer error, a cancelled payment)
    and must give them back. Returns what the committed ones took."""
    taken: list = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(clerks)

    def clerk(worker: int) -> None:
        try:
            start.wait()
            for n in range(intakes):
                try:
                    with transaction.atomic():
                        result = intake(worker)
                        if (worker + n) % fails_every == 0:
                            raise RolledBack
                    with guard:
                        taken.append(result)
                except RolledBack:
                    pass
        except BaseException as exc:  # noqa: BLE001 — reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(w,)) for w in range(clerks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return taken


def serials(values) -> list[int]:
    return sorted(int(v.rsplit("-", 1)[1]) for v in values)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_no_duplicate_and_no_gap():
    day = date(2026, 11, 26)

    def intake(worker: int) -> str:
        code = next_dossier_code(UNIT, day)
        next_item_id()
        return code

    numbers = serials(clerks_at_once(8, 25, intake, fails_every=7))
    assert len(numbers) == len(set(numbers)), "duplicate dossier codes"
    assert numbers == list(range(1, len(numbers) + 1)), "gap in the day's sequence"


def test_a_seal_takes_its_numbers_from_three_series_at_once():
    day = date(2026, 11, 26)
    first = seal_numbers(unit_code=UNIT, point_code="P1", day=day, seal=True, receipt=True)
    assert first == SealNumbers(f"{UNIT}-261126-0001", "NP-P1-261126-0001", "BL-P1-261126-0001")
    # No fee, a pre-numbered seal: those series do not move.
    second = seal_numbers(unit_code=UNIT, point_code="P1", day=day, seal=False, receipt=False)
    assert second == SealNumbers(f"{UNIT}-261126-0002", "", "")
    third = seal_numbers(unit_code=UNIT, point_code="P2", day=day, seal=True, receipt=True)
    assert third == SealNumbers(f"{UNIT}-261126-0003", "NP-P2-261126-0001", "BL-P2-261126-0001")


def test_item_ids_taken_together_are_consecutive():
    one, two = next_item_ids(2)
    three = next_item_id()
    first = int(one[2:10])
    assert [int(i[2:10]) for i in (one, two, three)] == [first, first + 1, first + 2]


def test_a_new_indicator_continues_after_its_counter_row():
    """Switching to the sequence (or configuring an indicator later) never gives a serial
    the old counter row already gave."""
    ItemSerial.objects.create(service_indicator="QX", last_value=500)
    assert next_item_ids(2, "QX") == [make_item_id("QX", 501), make_item_id("QX", 502)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_seals_at_many_points_share_the_agency_series_without_deadlock():
    """Each clerk at their own point: the point's series and the agency's shared one are
    moved in one statement, point first; nothing deadlocks, nothing repeats or skips."""
    day = date(2026, 11, 26)

    def intake(worker: int) -> tuple[SealNumbers, list[str]]:
        numbers = seal_numbers(
            unit_code=UNIT, point_code=f"P{worker}", day=day, seal=True, receipt=True
        )
        return numbers, next_item_ids(2)

    results = clerks_at_once(6, 20, intake, fails_every=5)
    items = [i for _, ids in results for i in ids]
    assert len(items) == len(set(items)) and all(is_valid(i) for i in items)
    taken = [numbers for numbers, _ in results]
    assert serials(t.code for t in taken) == list(range(1, len(taken) + 1))
    for worker in range(6):
        mine = [t for t in taken if t.seal_number.startswith(f"NP-P{worker}-")]
        assert serials(t.seal_number for t in mine) == list(range(1, len(mine) + 1))
        assert serials(t.receipt_number for t in mine) == list(range(1, len(mine) + 1))
