"""Training classes, their trainees and practice cases, the marking of practice work
against each case's script, and resetting a class (decision 0019)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.audit.actions import record
from postgov.catalog.models import ProcedureVersion
from postgov.dossiers import actions as dossiers
from postgov.dossiers.models import Dossier, DossierEvent
from postgov.dossiers.practice import SESSION_KEY
from postgov.identity.access import Access
from postgov.identity.models import Role, User
from postgov.lib.locking import lock_one
from postgov.places.models import ServicePoint
from postgov.training.models import Mistake, PracticeCase, Trainee, TrainingClass
from postgov.training.scenarios import MistakeKind, Outcome, ScenarioKind, script

TRAINEE_ROLES = (Role.CLERK, Role.POSTMAN)


class TrainingError(Exception):
    """A step that cannot be done; the message says why, in the page's language."""


def may_train_at(access: Access, point: ServicePoint) -> bool:
    """A point's supervisor or the province's administrator may run its classes."""
    return access.can_act_at_point(point.pk, Role.SUPERVISOR) or (
        point.commune.province_id in access.province_ids(Role.PROVINCIAL_ADMIN)
    )


def may_run(access: Access, training_class: TrainingClass) -> bool:
    return may_train_at(access, training_class.service_point)


def eligible_trainees(province_id: int) -> QuerySet[User]:
    """Clerks and postmen of the province, the staff a class may train."""
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__active=True,
            role_assignments__role__in=TRAINEE_ROLES,
            role_assignments__service_point__commune__province_id=province_id,
        )
        .distinct()
        .order_by("full_name", "username")
    )


def open_class(
    *, point: ServicePoint, name: str, actor: Any, access: Access, request: HttpRequest | None
) -> TrainingClass:
    if not may_train_at(access, point):
        raise PermissionDenied
    name = " ".join(name.split())[:120]
    if not name:
        raise TrainingError(_("Give the class a name."))
    with transaction.atomic():
        training_class = TrainingClass.objects.create(
            name=name,
            service_point=point,
            province_id=point.commune.province_id,
            trainer=actor,
            opened_at=timezone.now(),
        )
        record(
            "training.class_opened",
            request=request,
            actor=actor,
            obj=training_class,
            service_point_id=point.pk,
            details={"name": name},
        )
    return training_class


def close_class(
    class_id: int, *, actor: Any, access: Access, request: HttpRequest | None
) -> TrainingClass:
    with transaction.atomic():
        training_class = lock_one(TrainingClass, class_id)
        if not may_run(access, training_class):
            raise PermissionDenied
        if training_class.closed_at is None:
            training_class.closed_at = timezone.now()
            training_class.save(update_fields=["closed_at"])
            record(
                "training.class_closed",
                request=request,
                actor=actor,
                obj=training_class,
                service_point_id=training_class.service_point_id,
            )
    return training_class


def add_trainee(
    class_id: int, user_id: int, *, actor: Any, access: Access, request: HttpRequest | None
) -> Trainee:
    with transaction.atomic():
        training_class = lock_one(TrainingClass, class_id)
        if not may_run(access, training_class):
            raise PermissionDenied
        if not training_class.is_open:
            raise TrainingError(_("This class is closed."))
        user = eligible_trainees(training_class.province_id).filter(pk=user_id).first()
        if user is None:
            raise TrainingError(_("Only the province's clerks and postmen can join a class."))
        trainee, created = Trainee.objects.get_or_create(
            training_class=training_class, user=user, defaults={"added_at": timezone.now()}
        )
        if created:
            record(
                "training.trainee_added",
                request=request,
                actor=actor,
                obj=training_class,
                service_point_id=training_class.service_point_id,
                details={"trainee": user.get_username()},
            )
    return trainee


def procedure_for(
    kind: str, province_id: int, on: datetime | None = None
) -> ProcedureVersion | None:
    """A procedure in force that fits the script: one that cannot go by post for that
    scenario, else one that can, with a mandatory document to leave out and an agency of
    the province competent for it."""
    today = timezone.localdate(on)
    in_force = ProcedureVersion.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=today),
        effective_from__lte=today,
    ).select_related("procedure")
    if kind == ScenarioKind.NOT_BY_POST:
        return in_force.filter(postal_allowed=False).order_by("procedure__code").first()
    return (
        in_force.filter(
            postal_allowed=True,
            documents__mandatory=True,
            procedure__competences__province_id=province_id,
        )
        .distinct()
        .order_by("procedure__code")
        .first()
    )


def assign_case(
    trainee_id: int, kind: str, *, actor: Any, access: Access, request: HttpRequest | None
) -> PracticeCase:
    if kind not in ScenarioKind.values:
        raise TrainingError(_("Choose a scenario."))
    with transaction.atomic():
        trainee = lock_one(Trainee, trainee_id)
        training_class = trainee.training_class
        if not may_run(access, training_class):
            raise PermissionDenied
        if not training_class.is_open:
            raise TrainingError(_("This class is closed."))
        version = procedure_for(kind, training_class.province_id)
        if version is None:
            raise TrainingError(_("The catalog has no procedure in force for this scenario."))
        case = PracticeCase.objects.create(
            trainee=trainee, scenario=kind, procedure_version=version, assigned_at=timezone.now()
        )
        record(
            "training.case_assigned",
            request=request,
            actor=actor,
            obj=training_class,
            service_point_id=training_class.service_point_id,
            details={"trainee": trainee.user.get_username(), "scenario": kind},
        )
    return case


def _own_case(case_id: int, actor: Any) -> PracticeCase:
    case = lock_one(PracticeCase, case_id)
    if case.trainee.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not case.trainee.training_class.is_open:
        raise TrainingError(_("This class is closed."))
    return case


def start_case(case_id: int, *, actor: Any, request: HttpRequest | None) -> PracticeCase:
    """The trainee calls the scripted citizen to the counter: the next practice seal is
    marked against this case. One case at a time."""
    with transaction.atomic():
        case = _own_case(case_id, actor)
        if case.status not in (PracticeCase.Status.ASSIGNED, PracticeCase.Status.STARTED):
            raise TrainingError(_("This case is finished."))
        PracticeCase.objects.filter(
            trainee__user=actor, status=PracticeCase.Status.STARTED
        ).exclude(pk=case.pk).update(status=PracticeCase.Status.ASSIGNED)
        case.status = PracticeCase.Status.STARTED
        case.save(update_fields=["status"])
        record(
            "training.case_started",
            request=request,
            actor=actor,
            obj=case.trainee.training_class,
            details={"case": case.pk, "scenario": case.scenario},
        )
    return case


def _add_mistakes(case: PracticeCase, kinds: list[str], at: datetime) -> list[Mistake]:
    unique = list(dict.fromkeys(kinds))
    return Mistake.objects.bulk_create([Mistake(case=case, kind=k, at=at) for k in unique])


def turn_away(case_id: int, *, note: str, actor: Any, request: HttpRequest | None) -> PracticeCase:
    """The trainee does not seal and tells the citizen what to do instead."""
    note = " ".join(note.split())[:300]
    if not note:
        raise TrainingError(_("Write what you told the citizen."))
    with transaction.atomic():
        case = _own_case(case_id, actor)
        if case.status not in (PracticeCase.Status.ASSIGNED, PracticeCase.Status.STARTED):
            raise TrainingError(_("This case is finished."))
        now = timezone.now()
        case.status = PracticeCase.Status.TURNED_AWAY
        case.turn_away_note = note
        case.finished_at = now
        case.save(update_fields=["status", "turn_away_note", "finished_at"])
        mistakes = []
        if script(case.scenario).expected == Outcome.SEAL:
            mistakes = _add_mistakes(case, [MistakeKind.TURNED_AWAY], now)
        record(
            "training.case_turned_away",
            request=request,
            actor=actor,
            obj=case.trainee.training_class,
            details={
                "case": case.pk,
                "scenario": case.scenario,
                "mistakes": [m.kind for m in mistakes],
            },
        )
    return case


def mistakes_of(case: PracticeCase, dossier: Dossier) -> list[str]:
    """What the trainee did wrong in sealing this dossier for this case's script."""
    plan = script(case.scenario)
    found: list[str] = []
    if case.scenario == ScenarioKind.NOT_BY_POST:
        # The screens refuse the procedure itself; sealing anything for this citizen means
        # it went by post under another name.
        found.append(MistakeKind.NOT_BY_POST)
    if not plan.all_documents:
        mandatory = [
            d
            for d in dossier.documents.select_related("required").order_by("position")
            if d.required is not None and d.required.mandatory
        ]
        if not mandatory or mandatory[-1].present:
            found.append(MistakeKind.MISSING_DOCUMENT)
    if plan.exemption_card and dossier.exemption_id is None:
        found.append(MistakeKind.CHARGED_EXEMPT)
    if plan.card_number_not_theirs and dossier.applicant_id_number == plan.card_number_not_theirs:
        found.append(MistakeKind.WRONG_ID)
    if plan.expected == Outcome.TURN_AWAY and not found:
        found.append(
            {
                str(ScenarioKind.MISSING_DOCUMENT): str(MistakeKind.MISSING_DOCUMENT),
                str(ScenarioKind.WRONG_QR): str(MistakeKind.WRONG_ID),
            }.get(case.scenario, MistakeKind.NOT_BY_POST)
        )
    return found


# The simulated agency's answer to a practice dossier, by the first mistake it would meet.
AGENCY_ANSWERS: dict[str, str] = {
    MistakeKind.MISSING_DOCUMENT: "request_supplement",
    MistakeKind.WRONG_ID: "refuse",
    MistakeKind.NOT_BY_POST: "refuse",
}


def mark_practice(dossier: Dossier, event: DossierEvent) -> None:
    """AFTER_PRACTICE hook: a practice seal finishes the trainee's case at the counter,
    with the mistakes it shows and the simulated agency's answer."""
    if event.action != "seal" or event.actor_id is None:
        return
    case = (
        PracticeCase.objects.select_related("trainee__training_class")
        .filter(
            trainee__user_id=event.actor_id,
            trainee__training_class_id=dossier.practice_class_id,
            status=PracticeCase.Status.STARTED,
        )
        .first()
    )
    if case is None:
        return
    found = mistakes_of(case, dossier)
    case.status = PracticeCase.Status.SEALED
    case.dossier_id = dossier.pk
    case.dossier_code = dossier.code or ""
    case.finished_at = event.at
    case.agency_answer = next(
        (AGENCY_ANSWERS[k] for k in found if k in AGENCY_ANSWERS), "result_ready"
    )
    case.save(
        update_fields=["status", "dossier_id", "dossier_code", "finished_at", "agency_answer"]
    )
    _add_mistakes(case, found, event.at)
    record(
        "training.case_sealed",
        actor=event.actor,
        obj=case.trainee.training_class,
        details={
            "case": case.pk,
            "code": case.dossier_code,
            "scenario": case.scenario,
            "mistakes": found,
        },
    )


def reset_class(class_id: int, *, actor: Any, access: Access, request: HttpRequest | None) -> int:
    """Delete the class's practice dossiers and mistakes and hand its cases out afresh.
    Nothing real is touched: only dossiers marked practice for this class go."""
    with transaction.atomic():
        training_class = lock_one(TrainingClass, class_id)
        if not may_run(access, training_class):
            raise PermissionDenied
        deleted = dossiers.delete_practice(training_class.pk, actor=actor, request=request)
        cases = PracticeCase.objects.filter(trainee__training_class=training_class)
        mistakes, _by_model = Mistake.objects.filter(case__in=cases).delete()
        cases.update(
            status=PracticeCase.Status.ASSIGNED,
            dossier_id=None,
            dossier_code="",
            turn_away_note="",
            agency_answer="",
            finished_at=None,
        )
        record(
            "training.class_reset",
            request=request,
            actor=actor,
            obj=training_class,
            service_point_id=training_class.service_point_id,
            details={"dossiers": deleted, "mistakes": mistakes},
        )
    return deleted


def session_class(user: Any, class_id: int) -> TrainingClass | None:
    """The open class this user trains in, for the practice switch."""
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return None
    return (
        TrainingClass.objects.filter(pk=class_id, closed_at__isnull=True, trainees__user_id=user_id)
        .select_related("service_point")
        .first()
    )


def enter_training(class_id: int, *, actor: Any, request: HttpRequest) -> TrainingClass:
    training_class = session_class(actor, class_id)
    if training_class is None:
        raise PermissionDenied
    with transaction.atomic():
        request.session[SESSION_KEY] = training_class.pk
        record("training.entered", request=request, actor=actor, obj=training_class)
    return training_class


def leave_training(*, actor: Any, request: HttpRequest) -> None:
    class_id = request.session.pop(SESSION_KEY, None)
    if class_id is not None:
        with transaction.atomic():
            record(
                "training.left",
                request=request,
                actor=actor,
                object_type="training.trainingclass",
                object_id=class_id,
            )
