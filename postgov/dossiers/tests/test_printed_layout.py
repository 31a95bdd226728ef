"""Printed forms lay out long texts without printing one line over another: a table row
grows with the longest of its cells, whatever the length of a document's name, and so do
the labelled fields, the signatures and the addresses of a label.

The text positions are read back from the PDF (tests/pdf_layout.py): two lines that start
at the same place across the page closer than their font size are printed over each
other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postgov.delivery.models import Manifest
from postgov.dossiers.agency.actions import Who, act
from postgov.dossiers.agency.official_forms import OfficialForm, render_event_form
from postgov.dossiers.carriage.handover_record import handover_record_pdf, item_label_pdf
from postgov.dossiers.carriage.manifests import (
    Check,
    confirm_handover,
    dispatch,
    new_manifest,
    present,
    scan,
)
from postgov.dossiers.intake import printing
from postgov.dossiers.models import DossierDocument
from postgov.identity.access import Access
from tests.agency_helpers import at, move, outbound_item, sealed
from tests.pdf_layout import crowded_lines
from tests.signing import scribble

from .intake_helpers import draft, pay, seal, tick_all

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

KEEP = os.environ.get("PG_FORMS_DIR")  # PG_FORMS_DIR=var/forms to look at them

LONG_NAME = "Bản chụp giấy tờ tùy thân (thẻ căn cước công dân hoặc hộ chiếu)"
MORE = "của người đi đăng ký khai sinh cho trẻ em theo quy định của pháp luật về hộ tịch"


def growing_names() -> list[str]:
    """The long name with one more word each time: one of them ends just where a cell's
    text wraps, the case a row measured at the wrong width gets wrong."""
    words = MORE.split()
    return [" ".join([LONG_NAME, *words[:n]]) for n in range(len(words) + 1)]


def assert_nothing_overprinted(name: str, data: bytes) -> None:
    if KEEP:
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        Path(KEEP, name).write_bytes(data)
    crowded = crowded_lines(data)
    assert not crowded, f"{name}: lines printed over each other: {crowded[:3]}"


def test_a_table_row_is_as_tall_as_its_longest_cell():
    for name in growing_names():
        pdf = OfficialForm("test")
        pdf.table(
            ["STT", "Tên giấy tờ", "Hình thức", "Số trang"],
            [8, 62, 18, 12],
            [["1", name, "Bản sao", "1"], ["2", "Giấy chứng sinh", "Bản sao", "1"]],
        )
        assert_nothing_overprinted("table.pdf", pdf.render())


@pytest.fixture
def long_dossier(world):
    """Handed over to the agency with documents whose names wrap, a long procedure name
    and a long address."""
    dossier = sealed(
        world,
        applicant_name="Tôn Nữ Thị Phương Thảo Nguyên",
        applicant_address=(
            "Số 128 đường Nguyễn Trãi, khu phố 5, phường Đông Hà, tỉnh Quảng Trị "
            "(gần chợ Đông Hà, đối diện trường tiểu học)"
        ),
    )
    version = dossier.procedure_version
    version.procedure.name = (
        "Đăng ký khai sinh kết hợp đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới "
        "6 tuổi (liên thông thủ tục hành chính)"
    )
    version.procedure.save(update_fields=["name"])
    for position, name in enumerate(growing_names(), start=1):
        DossierDocument.objects.create(
            dossier=dossier, position=position, name=name, present=True, form="copy", pages=2
        )
    dossier = move(dossier, "dispatch", world.postman_a)
    return move(dossier, "hand_over", world.agency_receiver, at=at("2026-11-30 10:00"))


def test_forms_01_to_05_keep_every_line_apart(world, long_dossier):
    dossier = long_dossier
    officer = Who(actor=world.agency_officer, access=Access.for_user(world.agency_officer))
    events = [dossier.events.get(action="hand_over")]
    move(dossier, "accept", world.agency_receiver)
    _, supplement = act(dossier.pk, "request_supplement", officer, missing=growing_names())
    events.append(supplement)
    move(dossier, "supplement_received", world.agency_receiver)
    _, extension = act(
        dossier.pk,
        "extend",
        officer,
        new_due=at("2026-12-18 16:00"),
        note=" ".join(growing_names()[:3]),
        at=at("2026-12-02 09:00"),
    )
    events.append(extension)
    _, stop = act(dossier.pk, "stop", officer, reason_code="LEGAL", note=growing_names()[-1])
    events.append(stop)
    for event in events:
        dossier.refresh_from_db()
        assert_nothing_overprinted(*render_event_form(dossier, event))


def test_the_refusal_keeps_every_line_apart(world, long_dossier):
    receiver = Who(actor=world.agency_receiver, access=Access.for_user(world.agency_receiver))
    _, event = act(
        long_dossier.pk, "refuse", receiver, reason_code="OTHER", note=growing_names()[-1]
    )
    long_dossier.refresh_from_db()
    assert_nothing_overprinted(*render_event_form(long_dossier, event))


def test_the_counter_forms_and_labels_keep_every_line_apart(world, version):
    for position, required in enumerate(version.documents.all()):
        required.name = growing_names()[position * 4 % len(growing_names())]
        required.save(update_fields=["name"])
    dossier = draft(
        world,
        version,
        name="Tôn Nữ Thị Phương Thảo Nguyên",
        address="Số 128 đường Nguyễn Trãi, khu phố 5, gần chợ Đông Hà, đối diện trường tiểu học",
    )
    guidance = printing.render(printing.load(dossier.pk), "guidance")
    assert_nothing_overprinted("guidance.pdf", guidance)
    tick_all(dossier)
    dossier = pay(
        dossier,
        return_address="Số 45 đường Hùng Vương, khu phố 3, tổ dân phố 7, gần cổng chợ phường",
        return_commune=world.commune_a,
    )
    dossier, _ = seal(dossier)
    loaded = printing.load(dossier.pk)
    for which in ("slip", "receipt", "label", "all"):
        assert_nothing_overprinted(f"{which}.pdf", printing.render(loaded, which))
    for item in loaded.items.all():
        assert_nothing_overprinted(f"{item.item_id}.pdf", item_label_pdf(item))


def test_the_handover_record_keeps_every_line_apart(world):
    postman = world.postman_a
    who = {"user": postman, "access": Access.for_user(postman)}
    dossiers = [
        sealed(world, applicant_name="Tôn Nữ Thị Phương Thảo Nguyên " * (n % 3 + 1))
        for n in range(4)
    ]
    manifest = new_manifest(point=world.point_a, agency=world.agency_a, **who)
    for dossier in dossiers:
        scan(manifest.pk, outbound_item(dossier).item_id, **who)
    dispatch(manifest.pk, **who)
    present(manifest.pk, signature=scribble(), **who)
    lines = Manifest.objects.get(pk=manifest.pk).items.all()
    confirm_handover(
        manifest.pk,
        {line.pk: Check("discrepancy", note=growing_names()[line.pk % 5]) for line in lines},
        user=world.agency_receiver,
        access=Access.for_user(world.agency_receiver),
        signature=scribble(),
    )
    assert_nothing_overprinted(
        "record.pdf", handover_record_pdf(Manifest.objects.get(pk=manifest.pk))
    )
