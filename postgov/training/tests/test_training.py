"""Training classes: a trainee's practice at the real counter screens stays practice —
its own numbers, no message, webhook or portal sync, out of every list and report — and
is marked against its script; a class can be reset without touching real work."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from postgov.audit.models import AuditEvent
from postgov.catalog import catalog_access
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import TransitionError, perform, visible_dossiers
from postgov.dossiers.models import DailySequence, Dossier, DossierEvent
from postgov.dossiers.practice import SESSION_KEY
from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.dossiers.tests.test_views_intake import applicant_post, checklist_post, fees_post
from postgov.dossiers.tracking.lookup import tracked_dossiers
from postgov.exchange.integration import create_api_key
from postgov.exchange.models import PortalSyncItem, WebhookDelivery, WebhookEndpoint
from postgov.identity.access import Access
from postgov.notify.actions import queue_message
from postgov.notify.models import Message
from postgov.reports import rollups
from postgov.training import actions
from postgov.training.models import Mistake, PracticeCase, TrainingClass
from postgov.training.scenarios import SCRIPTS, MistakeKind, ScenarioKind
from tests.clients import PostGovClient
from tests.factories import make_dossier, make_procedure

pytestmark = pytest.mark.clock


def open_class(world, name="Lớp giao dịch viên mới"):
    trainer = world.supervisor_a
    access = Access.for_user(trainer)
    training_class = actions.open_class(
        point=world.point_a, name=name, actor=trainer, access=access, request=None
    )
    actions.add_trainee(
        training_class.pk, world.clerk_a.pk, actor=trainer, access=access, request=None
    )
    return training_class


def hand_out(world, training_class, kind) -> PracticeCase:
    trainee = training_class.trainees.get(user=world.clerk_a)
    return actions.assign_case(
        trainee.pk,
        kind,
        actor=world.supervisor_a,
        access=Access.for_user(world.supervisor_a),
        request=None,
    )


def practice_intake(client, world, version, case, *, applicant=None, present=None, fees=None):
    """The trainee calls the case to the counter and goes through the real wizard."""
    plan = SCRIPTS[case.scenario]
    response = client.post(reverse("training:start_case", args=[case.pk]))
    assert response["Location"] == reverse("dossiers:intake_start")
    values = {"name": plan.citizen_name, "phone": plan.phone, **(applicant or {})}
    response = client.post(
        reverse("dossiers:intake_start"), applicant_post(world, version, **values)
    )
    dossier = Dossier.objects.filter(practice=True).latest("pk")
    client.post(response["Location"], checklist_post(dossier, **(present or {})))
    client.post(
        reverse("dossiers:intake_fees", args=[dossier.pk]), fees_post(dossier, **(fees or {}))
    )
    sealed = client.post(reverse("dossiers:intake_confirm", args=[dossier.pk]), {"seal_number": ""})
    assert sealed.status_code == 302, sealed.content.decode()[:2000]
    dossier.refresh_from_db()
    case.refresh_from_db()
    return dossier


@pytest.fixture
def as_trainee(client, clerk_a):
    client.force_login(clerk_a)
    return client


def test_a_practice_intake_through_the_real_screens_never_leaves_training(
    as_trainee, client, world, version
):
    WebhookEndpoint.objects.create(
        agency=world.agency_a, url="https://agency.example/hook", approved_at=timezone.now()
    )
    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.COMPLETE)
    before = rollups.compute_day(timezone.localdate())
    manager = PostGovClient()
    manager.force_login(world.provincial_admin)

    def dashboard():
        context = manager.get(reverse("reports:dashboard")).context
        return context["by_leg"], context["segments"]

    dashboard_before = dashboard()

    dossier = practice_intake(as_trainee, world, version, case)

    assert dossier.practice and dossier.practice_class_id == training_class.pk
    assert dossier.status == "sealed"
    today = timezone.localdate()
    assert dossier.code == f"TR-TEST-A-{today:%y%m%d}-0001"
    # No real number: no agency sequence moved, no S10 serial, no real receipt.
    assert not DailySequence.objects.filter(unit_code=world.agency_a.unit_code).exists()
    assert not PostalItem.objects.filter(dossier=dossier).exists()
    assert dossier.receipt_number.startswith("TR-")
    # Nothing reaches a phone, a mailbox, an agency's system or the national portal.
    assert not Message.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert not PortalSyncItem.objects.exists()
    assert not dossier.legs.exists()
    # Out of every list, count and report the real work reads.
    assert rollups.compute_day(today) == before
    assert dashboard() == dashboard_before
    for person in (
        world.clerk_a,
        world.supervisor_a,
        world.provincial_admin,
        world.agency_receiver,
    ):
        assert not visible_dossiers(Access.for_user(person)).filter(pk=dossier.pk).exists()
    assert not tracked_dossiers().filter(pk=dossier.pk).exists()
    # The trainee sees it while in training, with the banner, and not once out of it.
    page = as_trainee.get(reverse("dossiers:dossier", args=[dossier.pk])).content.decode()
    assert dossier.code in page and 'id="training-banner"' in page
    day = as_trainee.get(reverse("dossiers:today")).content.decode()
    assert dossier.code in day
    printed = as_trainee.get(reverse("dossiers:print", args=[dossier.pk, "all"]))
    assert printed.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.content)).pages)
    assert "BẢN TẬP HUẤN" in text and dossier.code in text
    # It never goes on the road to an agency.
    with pytest.raises(TransitionError):
        perform(dossier.pk, "dispatch", actor=world.clerk_a, access=Access.for_user(world.clerk_a))
    as_trainee.post(reverse("training:leave"))
    assert as_trainee.get(reverse("dossiers:dossier", args=[dossier.pk])).status_code == 404
    assert dossier.code not in as_trainee.get(reverse("dossiers:today")).content.decode()
    assert 'id="training-banner"' not in as_trainee.get(reverse("dossiers:today")).content.decode()
    # Neither the agency's system through its API nor the receiver's inbox lists it.
    key = create_api_key(world.agency_a, "Một cửa điện tử")[1]
    listed = client.get("/api/v1/agency/dossiers", HTTP_X_API_KEY=key).json()["items"]
    assert dossier.code not in [d["code"] for d in listed]
    # The receiver's inbox does not list it.
    client.force_login(world.agency_receiver)
    inbox = client.get(reverse("dossiers:agency_inbox") + "?tab=all").content.decode()
    assert dossier.code not in inbox
    # Marked: sealed as the script wanted, answered by the practice agency.
    assert case.status == PracticeCase.Status.SEALED and case.dossier_code == dossier.code
    assert not case.mistakes.exists()
    assert case.agency_answer == "result_ready"

    # The same steps for real do all of this, so the checks above can fail.
    real = seal(ready(world, version))[0]
    assert real.code.startswith(world.agency_a.unit_code)
    assert Message.objects.exists() and WebhookDelivery.objects.filter(dossier=real).exists()
    assert rollups.compute_day(today) != before
    assert dashboard() != dashboard_before
    listed = client.get("/api/v1/agency/dossiers", HTTP_X_API_KEY=key).json()["items"]
    assert real.code in [d["code"] for d in listed]


def test_notify_refuses_a_message_about_practice_work(world, version):
    practice = make_dossier(world, practice=True)
    real = make_dossier(world)
    assert queue_message("sms", "+84912345678", "dossier_sealed", {}, about=practice) is None
    assert not Message.objects.exists()
    context = {"code": "X", "item": "X", "procedure": "P", "point": "B", "total_text": "0"}
    assert queue_message("sms", "+84912345678", "dossier_sealed", context, about=real)


@pytest.mark.parametrize(
    ("kind", "applicant", "present", "fees", "mistakes", "answer"),
    [
        (
            ScenarioKind.MISSING_DOCUMENT,
            {},
            {},
            {},
            [MistakeKind.MISSING_DOCUMENT],
            "request_supplement",
        ),
        (ScenarioKind.EXEMPT, {}, {}, {}, [MistakeKind.CHARGED_EXEMPT], "result_ready"),
        (
            ScenarioKind.WRONG_QR,
            {"id_number": "045089009966", "birth_date": "08/10/1989"},
            {},
            {},
            [MistakeKind.WRONG_ID],
            "refuse",
        ),
        # The procedure itself is refused by the screens: received under another name.
        (ScenarioKind.NOT_BY_POST, {}, {}, {}, [MistakeKind.NOT_BY_POST], "refuse"),
    ],
)
def test_each_scripted_mistake_is_found_at_the_seal(
    as_trainee, world, version, kind, applicant, present, fees, mistakes, answer
):
    training_class = open_class(world)
    case = hand_out(world, training_class, kind)
    practice_intake(
        as_trainee, world, version, case, applicant=applicant, present=present, fees=fees
    )
    assert list(case.mistakes.values_list("kind", flat=True)) == mistakes
    assert case.agency_answer == answer
    assert AuditEvent.objects.filter(action="training.case_sealed").exists()
    client_page = as_trainee.get(reverse("training:case", args=[case.pk])).content.decode()
    assert str(MistakeKind(mistakes[0]).label) not in ("",)
    assert "text-danger" in client_page


def test_the_exempt_citizen_recorded_as_exempt_is_no_mistake(as_trainee, world, version):
    from postgov.catalog.models import ExemptCategory

    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.EXEMPT)
    exempt = ExemptCategory.objects.get(code="NCC")
    practice_intake(
        as_trainee,
        world,
        version,
        case,
        fees={"exemption": str(exempt.pk), "exemption_note": SCRIPTS[case.scenario].exemption_card},
    )
    assert not case.mistakes.exists()


def test_the_screens_refuse_the_procedure_that_cannot_go_by_post(as_trainee, world, version):
    from postgov.catalog.models import ProcedureVersion

    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.NOT_BY_POST)
    excluded = ProcedureVersion.objects.get(postal_allowed=False)
    assert case.procedure_version == excluded
    as_trainee.post(reverse("training:start_case", args=[case.pk]))
    page = as_trainee.post(reverse("dossiers:intake_start"), applicant_post(world, excluded))
    assert page.status_code == 200 and not Dossier.objects.exists()
    # Turning the citizen away is what the script expects: no mistake.
    as_trainee.post(reverse("training:turn_away", args=[case.pk]), {"note": "Mời anh đến UBND"})
    case.refresh_from_db()
    assert case.status == PracticeCase.Status.TURNED_AWAY and not case.mistakes.exists()


def test_turning_away_a_complete_dossier_is_a_mistake_and_needs_a_note(as_trainee, world, version):
    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.COMPLETE)
    page = as_trainee.post(
        reverse("training:turn_away", args=[case.pk]), {"note": " "}, follow=True
    )
    case.refresh_from_db()
    assert case.status == PracticeCase.Status.ASSIGNED
    assert "Ghi lại" in page.content.decode() or "Write what" in page.content.decode()
    as_trainee.post(reverse("training:turn_away", args=[case.pk]), {"note": "Thiếu giấy"})
    assert list(case.mistakes.values_list("kind", flat=True)) == [MistakeKind.TURNED_AWAY]


def test_the_trainer_sees_each_trainees_mistakes(as_trainee, client, world, version):
    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.EXEMPT)
    practice_intake(as_trainee, world, version, case)
    client.force_login(world.supervisor_a)
    page = client.get(reverse("training:class", args=[training_class.pk])).content.decode()
    assert case.dossier_code in page
    assert "Thu tiền của công dân được miễn" in page


def test_reset_deletes_the_class_practice_and_nothing_real(as_trainee, client, world, version):
    training_class = open_class(world)
    other_class = open_class(world, "Lớp khác")
    case = hand_out(world, training_class, ScenarioKind.MISSING_DOCUMENT)
    practice = practice_intake(as_trainee, world, version, case)
    elsewhere = make_dossier(world, practice=True, practice_class_id=other_class.pk)
    real = seal(ready(world, version))[0]
    real_events = DossierEvent.objects.filter(dossier=real).count()
    assert Mistake.objects.exists()

    client.force_login(world.supervisor_a)
    client.post(reverse("training:reset", args=[training_class.pk]))

    assert not Dossier.objects.filter(pk=practice.pk).exists()
    assert not Mistake.objects.exists()
    assert Dossier.objects.filter(pk=elsewhere.pk).exists()
    real.refresh_from_db()
    assert (
        real.status == "sealed" and DossierEvent.objects.filter(dossier=real).count() == real_events
    )
    case.refresh_from_db()
    assert case.status == PracticeCase.Status.ASSIGNED and case.dossier_code == ""
    assert AuditEvent.objects.filter(action="training.class_reset").exists()
    assert AuditEvent.objects.filter(action="dossier.practice_deleted").exists()


def test_reset_removes_the_practice_scans_from_storage(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    training_class = open_class(world)
    practice = make_dossier(world, practice=True, practice_class_id=training_class.pk)
    real = make_dossier(world)
    kept, gone = (
        dossier.scans.create(
            file=ContentFile(b"%PDF-1.7", name="scan.pdf"),
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
            uploaded_by=world.clerk_a,
        )
        for dossier in (real, practice)
    )
    assert default_storage.exists(gone.file.name)

    client.force_login(world.supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("training:reset", args=[training_class.pk]))

    assert not default_storage.exists(gone.file.name)
    assert default_storage.exists(kept.file.name)


def test_only_trainers_run_a_class_and_only_the_trainee_sees_a_case(
    client, world, version, clerk_b
):
    training_class = open_class(world)
    case = hand_out(world, training_class, ScenarioKind.COMPLETE)
    page = reverse("training:class", args=[training_class.pk])
    for stranger in (world.clerk_a, world.agency_officer, world.outsider, world.auditor):
        client.force_login(stranger)
        assert client.get(page).status_code == 403
        assert client.post(reverse("training:reset", args=[training_class.pk])).status_code == 403
    client.force_login(world.provincial_admin)
    assert client.get(page).status_code == 200
    client.force_login(clerk_b)
    assert client.get(reverse("training:case", args=[case.pk])).status_code == 404
    assert client.post(reverse("training:start_case", args=[case.pk])).status_code == 404
    # Not a member: the practice switch is refused.
    assert client.post(reverse("training:enter", args=[training_class.pk])).status_code == 403
    # A supervisor of another point cannot open a class at this one.
    with pytest.raises(actions.PermissionDenied):
        actions.open_class(
            point=world.point_a,
            name="x",
            actor=clerk_b,
            access=Access.for_user(clerk_b),
            request=None,
        )
    # Agency staff cannot be trainees.
    with pytest.raises(actions.TrainingError):
        actions.add_trainee(
            training_class.pk,
            world.agency_officer.pk,
            actor=world.supervisor_a,
            access=Access.for_user(world.supervisor_a),
            request=None,
        )


def test_closing_the_class_ends_the_practice_switch(as_trainee, client, world, version):
    training_class = open_class(world)
    as_trainee.post(reverse("training:enter", args=[training_class.pk]))
    assert as_trainee.session[SESSION_KEY] == training_class.pk
    actions.close_class(
        training_class.pk,
        actor=world.supervisor_a,
        access=Access.for_user(world.supervisor_a),
        request=None,
    )
    page = as_trainee.get(reverse("dossiers:intake_start")).content.decode()
    assert 'id="training-banner"' not in page
    assert SESSION_KEY not in as_trainee.session
    assert TrainingClass.objects.get().closed_at is not None


def test_practice_dossiers_do_not_make_a_procedure_frequent(world):
    cache.clear()
    practised = make_procedure("9.000001", "Thủ tục luyện tập")
    real = make_procedure("9.000002", "Thủ tục thật")
    for _ in range(3):
        make_dossier(world, procedure_version=practised, practice=True)
    make_dossier(world, procedure_version=real)

    first = catalog_access.frequent_procedures(world.point_a.pk)[0]

    assert first.pk == real.procedure_id
