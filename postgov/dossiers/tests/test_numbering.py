"""Dossier codes and S10 item IDs under concurrent intakes."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from postgov.delivery.actions import next_item_id, next_item_ids
from postgov.dossiers.numbering import SealNumbers, next_dossier_code, seal_numbers
from postgov.lib.s10 import is_valid

UNIT = "000.00.01.H44"


def test_codes_follow_circular_01_2018():
    assert next_dossier_code(UNIT, date(2026, 11, 26)) == "000.00.01.H44-261126-0001"
    assert next_dossier_code(UNIT, date(2026, 11, 26)) == "000.00.01.H44-261126-0002"
    # Each unit and each day has its own sequence.
    assert next_dossier_code("000.01.19333.H44", date(2026, 11, 26)).endswith("-0001")
    assert next_dossier_code(UNIT, date(2026, 11, 27)).endswith("-261127-0001")


pytestmark = pytest.mark.django_db


def test_item_ids_are_valid_and_never_repeat():
    ids = [next_item_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(is_valid(i) for i in ids)


class RolledBack(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_get_no_duplicate_and_no_gap():
    day = date(2026, 11, 26)
    committed: list[str] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(8)

    def intake_clerk(worker: int) -> None:
        try:
            start.wait()
            for n in range(25):
                try:
                    with transaction.atomic():
                        code = next_dossier_code(UNIT, day)
                        next_item_id()
                        # Some intakes fail after taking a number (a printer error, a
                        # cancelled payment): their number must come back.
                        if (worker + n) % 7 == 0:
                            raise RolledBack
                    with guard:
                        committed.append(code)
                except RolledBack:
                    pass
        except BaseException as exc:  # noqa: BLE001 — reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=intake_clerk, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in committed)
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
    assert [int(i[2:10]) for i in (one, two, three)] == [1, 2, 3]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_seals_at_many_points_share_the_agency_series_without_deadlock():
    """Each clerk at their own point: the point's series and the agency's shared one are
    moved in one statement, point first; nothing deadlocks, nothing repeats or skips."""
    day = date(2026, 11, 26)
    taken: list[SealNumbers] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(6)

    def clerk(worker: int) -> None:
        try:
            start.wait()
            for n in range(20):
                try:
                    with transaction.atomic():
                        numbers = seal_numbers(
                            unit_code=UNIT,
                            point_code=f"P{worker}",
                            day=day,
                            seal=True,
                            receipt=True,
                        )
                        next_item_ids(2)
                        if (worker + n) % 5 == 0:
                            raise RolledBack
                    with guard:
                        taken.append(numbers)
                except RolledBack:
                    pass
        except BaseException as exc:  # noqa: BLE001 — reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    def serials(values):
        return sorted(int(v.rsplit("-", 1)[1]) for v in values)

    assert serials(t.code for t in taken) == list(range(1, len(taken) + 1))
    for worker in range(6):
        mine = [t for t in taken if t.seal_number.startswith(f"NP-P{worker}-")]
        assert serials(t.seal_number for t in mine) == list(range(1, len(mine) + 1))
        assert serials(t.receipt_number for t in mine) == list(range(1, len(mine) + 1))
