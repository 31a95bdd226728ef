"""Linked packages: the catalog's rules, one intake, parts starting in order, a refusal
closing the parts that depend on it, a supplement shown on the package, one return."""

from __future__ import annotations

import json

import pytest

from postgov.catalog.actions import CatalogImportRejected, import_catalog_file
from postgov.catalog.linked import MemberSpec, member_problems
from postgov.catalog.models import LinkedProcedure
from postgov.delivery.models import PostalItem, ProofOfDelivery
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.carriage import manifests, returns
from postgov.dossiers.carriage.returns import Proof
from postgov.dossiers.linked import actions as linked_actions
from postgov.dossiers.linked.models import PackageStatus
from postgov.dossiers.linked.queries import Pressing, package_checklist, rollup
from postgov.dossiers.models import LegRecord
from postgov.dossiers.tests.linked_helpers import (
    BIRTH,
    INSURANCE,
    RESIDENCE,
    at_agency,
    linked_world,
    part,
    shared_key,
    take_in,
)
from postgov.dossiers.tracking.lookup import PACKAGE_CODE
from postgov.dossiers.workflow import State
from postgov.identity.access import Access
from tests.agency_helpers import move
from tests.signing import scribble

pytestmark = pytest.mark.clock


# -- the catalog ---------------------------------------------------------------------------


def test_a_linked_procedure_needs_two_members_and_feeds_go_forward():
    assert member_problems([MemberSpec("1.000001", 1)]) == [
        "A linked procedure needs at least two member procedures."
    ]
    backwards = member_problems(
        [MemberSpec("1.000001", 2, ("1.000002",)), MemberSpec("1.000002", 1)]
    )
    assert any("cannot feed 1.000002 (step 1)" in p for p in backwards)
    side_by_side = member_problems(
        [MemberSpec("1.000001", 1, ("1.000002",)), MemberSpec("1.000002", 1, ("1.000001",))]
    )
    assert any("only a later step" in p for p in side_by_side)
    assert any("circle" in p for p in side_by_side)
    assert member_problems([MemberSpec("1.000001", 1), MemberSpec("1.000001", 2)]) == [
        "Procedure 1.000001 is a member twice."
    ]
    assert (
        "not a member"
        in member_problems([MemberSpec("1.000001", 1, ("9.999999",)), MemberSpec("1.000002", 2)])[0]
    )
    assert (
        member_problems([MemberSpec("1.000001", 1, ("1.000002",)), MemberSpec("1.000002", 2)]) == []
    )


def test_the_catalog_file_carries_linked_procedures(world):
    linked_world(world)
    document = {
        "format": "postgov-catalog",
        "format_version": 1,
        "procedures": [],
        "linked_procedures": [
            {
                "code": "LT.X",
                "name": "Hai thủ tục",
                "members": [
                    {"procedure": BIRTH, "step": 1, "feeds": [RESIDENCE]},
                    {"procedure": RESIDENCE, "step": 2},
                ],
            }
        ],
    }
    import_catalog_file(json.dumps(document).encode(), "json")
    linked = LinkedProcedure.objects.get(code="LT.X")
    birth = linked.members.get(procedure__code=BIRTH)
    assert [m.procedure.code for m in birth.feeds.all()] == [RESIDENCE]
    document["linked_procedures"][0]["members"][0]["step"] = 3
    with pytest.raises(CatalogImportRejected) as rejected:
        import_catalog_file(json.dumps(document).encode(), "json")
    assert "a result feeds only a later step" in rejected.value.problems[0].en
    document["linked_procedures"][0]["members"][0] = {"procedure": "9.999999", "step": 1}
    with pytest.raises(CatalogImportRejected) as rejected:
        import_catalog_file(json.dumps(document).encode(), "json")
    assert "there is no procedure “9.999999”" in rejected.value.problems[0].en


# -- intake --------------------------------------------------------------------------------


def test_one_intake_makes_one_package_with_a_part_per_member(world):
    linked = linked_world(world)
    checklist = package_checklist(linked)
    shared = [line for line in checklist if line.key == shared_key()]
    assert len(shared) == 1 and len(shared[0].procedures) == 3
    package = take_in(world, linked)
    assert PACKAGE_CODE.match(package.code) and package.code.startswith("LK.TESTA-")
    parts = {p.dossier.procedure_version.procedure.code: p for p in package.parts.all()}
    assert parts[BIRTH].dossier.status == State.SEALED and parts[BIRTH].lead
    assert parts[RESIDENCE].dossier.status == State.WAITING
    assert parts[INSURANCE].dossier.status == State.WAITING
    assert {f.pk for f in parts[RESIDENCE].fed_by.all()} == {parts[BIRTH].pk}
    # One total, the sum of the parts, with its lines; the return's postage once.
    assert package.total_due == sum(p.dossier.total_due for p in parts.values())
    assert sum(line["amount"] for line in package.fee_lines) == package.total_due
    assert [line["kind"] for line in package.fee_lines].count("postage_back") == 1
    # One return item: the lead part's.
    returns_items = PostalItem.objects.filter(
        dossier__package_part__package=package, leg=PostalItem.Leg.RETURN
    )
    assert returns_items.count() == 1
    # Every document handed in once is on every part's checklist as present.
    for p in parts.values():
        assert all(d.present for d in p.dossier.documents.all())
    # A waiting part counts against no one: no leg is open for it.
    assert not LegRecord.objects.filter(dossier=parts[RESIDENCE].dossier).exists()
    # A double submit finds the same package.
    again = linked_actions.take_in(
        linked_actions.PackageIntake(
            token=package.intake_token,
            linked=linked,
            point=world.point_a,
            applicant=None,  # not read: the token finds the package first
        ),
        actor=world.clerk_a,
        access=Access.for_user(world.clerk_a),
    )
    assert again.pk == package.pk


def test_a_missing_mandatory_document_refuses_the_whole_package(world):
    linked = linked_world(world)
    with pytest.raises(linked_actions.IntakeError) as refused:
        take_in(world, linked, present={shared_key()})
    assert any("Missing" in p for p in refused.value.problems)
    assert not linked.packages.exists()


# -- sequencing ----------------------------------------------------------------------------


def test_the_parts_fed_by_a_result_start_when_it_is_ready(world):
    package = take_in(world, linked_world(world))
    birth = at_agency(world, part(package, BIRTH).dossier)
    assert part(package, RESIDENCE).dossier.status == State.WAITING
    move(birth, "result_ready", world.agency_officer)
    residence, insurance = part(package, RESIDENCE), part(package, INSURANCE)
    assert residence.dossier.status == State.SEALED
    assert insurance.dossier.status == State.SEALED
    assert residence.inputs[0]["code"] == birth.code and residence.started_at is not None
    started = residence.dossier.events.get(action="start_part")
    assert started.details["inputs"] == [birth.code]
    # From here it is a dossier like any other: carried, handed over, its clock running.
    residence_dossier = at_agency(world, residence.dossier)
    assert residence_dossier.due_at is not None
    assert LegRecord.objects.filter(dossier=residence_dossier, segment="agency").exists()
    view = rollup(package)
    assert view.state == Pressing.IN_PROGRESS
    assert view.due_at == min(
        v.due_at for v in view.parts if v.status not in ("result_ready",) and v.due_at
    )


def test_a_refusal_closes_the_parts_that_depend_on_it(world):
    package = take_in(world, linked_world(world))
    birth = move(part(package, BIRTH).dossier, "dispatch", world.postman_a)
    birth = move(birth, "hand_over", world.agency_receiver)
    move(birth, "refuse", world.agency_receiver, note="Giấy chứng sinh không hợp lệ")
    for code in (RESIDENCE, INSURANCE):
        closed = part(package, code).dossier
        assert closed.status == State.NOT_PROCESSED
        event = closed.events.get(action="close_unprocessed")
        assert birth.code in event.note and "Giấy chứng sinh" in event.note
    view = rollup(package)
    assert {v.status for v in view.parts} == {State.REFUSED, State.NOT_PROCESSED}
    assert all(v.reason for v in view.parts)
    package.refresh_from_db()
    # The refusal letter still comes back to the citizen.
    assert package.status == PackageStatus.RETURNING


def test_a_supplement_at_one_part_pauses_it_and_shows_on_the_package(world):
    package = take_in(world, linked_world(world))
    birth = at_agency(world, part(package, BIRTH).dossier)
    move(birth, "result_ready", world.agency_officer)
    residence = at_agency(world, part(package, RESIDENCE).dossier)
    move(residence, "request_supplement", world.agency_officer, note="Thiếu giấy tờ chỗ ở")
    view = rollup(package)
    assert view.state == Pressing.NEEDS_CITIZEN
    needing = [v for v in view.parts if v.needs]
    assert [v.dossier.pk for v in needing] == [residence.pk]
    assert needing[0].needs == "Thiếu giấy tờ chỗ ở"
    assert part(package, INSURANCE).dossier.status == State.SEALED  # not paused


# -- one return ----------------------------------------------------------------------------


def _collect(world, dossier):
    manifest = manifests.new_manifest(
        point=world.point_a,
        agency=world.agency_a,
        user=world.postman_a,
        access=Access.for_user(world.postman_a),
        direction="return",
    )
    manifests.scan(
        manifest.pk, dossier.code, user=world.postman_a, access=Access.for_user(world.postman_a)
    )
    manifests.collect(manifest.pk, user=world.postman_a, access=Access.for_user(world.postman_a))
    return manifest


def test_all_results_come_back_in_one_delivery_with_one_proof(world):
    package = take_in(world, linked_world(world))
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    birth = at_agency(world, part(package, BIRTH).dossier)
    move(birth, "result_ready", world.agency_officer)
    _collect(world, birth)
    with pytest.raises(TransitionError, match="one delivery"):
        returns.out_for_delivery(birth.pk, user=postman, access=access)
    lines = []
    for code in (RESIDENCE, INSURANCE):
        dossier = at_agency(world, part(package, code).dossier)
        move(dossier, "result_ready", world.agency_officer)
        lines.append(_collect(world, dossier).items.get())
    # Every result travels in the package's one item.
    lead_item = birth.items.get(leg=PostalItem.Leg.RETURN)
    assert {line.item_id for line in lines} == {lead_item.pk}
    package.refresh_from_db()
    assert package.status == PackageStatus.RETURNING
    linked_actions.out_for_delivery(package.pk, user=postman, access=access)
    proof = Proof("Nguyễn Văn An", "1234", "self", signature=scribble())
    package, pod = linked_actions.deliver(package.pk, proof, user=postman, access=access)
    assert package.status == PackageStatus.DELIVERED
    assert {p.dossier.status for p in package.parts.all()} == {State.DELIVERED}
    assert ProofOfDelivery.objects.filter(dossier__package_part__package=package).count() == 1
    assert rollup(package).state == Pressing.DELIVERED


def test_a_part_cannot_be_delivered_on_its_own(world):
    package = take_in(world, linked_world(world))
    postman, access = world.postman_a, Access.for_user(world.postman_a)
    for code in (BIRTH, RESIDENCE, INSURANCE):
        dossier = at_agency(world, part(package, code).dossier)
        move(dossier, "result_ready", world.agency_officer)
        move(dossier, "collect_result", postman)
    linked_actions.out_for_delivery(package.pk, user=postman, access=access)
    residence = part(package, RESIDENCE).dossier
    with pytest.raises(TransitionError, match="as a whole"):
        returns.deliver(
            residence.pk,
            Proof("Nguyễn Văn An", "1234", "self", signature=scribble()),
            user=postman,
            access=access,
        )


def test_a_waiting_part_cannot_be_loaded_for_its_agency(world):
    package = take_in(world, linked_world(world))
    waiting = part(package, RESIDENCE).dossier
    who = {"user": world.postman_a, "access": Access.for_user(world.postman_a)}
    manifest = manifests.new_manifest(point=world.point_a, agency=world.agency_a, **who)
    item = waiting.items.get(leg=PostalItem.Leg.OUTBOUND)
    with pytest.raises(manifests.ManifestError, match="not waiting to go to the agency"):
        manifests.scan(manifest.pk, item.item_id, **who)
