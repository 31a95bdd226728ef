"""The training pages: the classes a trainer runs and a trainee belongs to, a class's
page with each trainee's cases and mistakes, a case's script card, the practice switch."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.dossiers.practice import practice_class
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.places.models import ServicePoint
from postgov.training import actions
from postgov.training.models import PracticeCase, Trainee, TrainingClass
from postgov.training.scenarios import SCRIPTS, Outcome, ScenarioKind

TRAINING_ROLES = (Role.CLERK, Role.POSTMAN, Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _trainer_points(access):
    return ServicePoint.objects.filter(
        Q(pk__in=access.point_ids(Role.SUPERVISOR))
        | Q(commune__province_id__in=access.province_ids(Role.PROVINCIAL_ADMIN)),
        active=True,
    ).order_by("name")


def _run(request, pk: int) -> TrainingClass:
    training_class = get_object_or_404(
        TrainingClass.objects.select_related("service_point__commune", "trainer"), pk=pk
    )
    if not actions.may_run(request.access, training_class):
        raise PermissionDenied
    return training_class


@role_required(*TRAINING_ROLES)
@require_http_methods(["GET", "POST"])
def classes(request):
    points = list(_trainer_points(request.access))
    name = ""
    if request.method == "POST":
        if not points:
            raise PermissionDenied
        name = request.POST.get("name", "")
        point = next((p for p in points if p.pk == _int(request.POST.get("point"))), None)
        if point is None:
            messages.error(request, _("Choose the post office of the class."))
        else:
            try:
                training_class = actions.open_class(
                    point=point,
                    name=name,
                    actor=request.user,
                    access=request.access,
                    request=request,
                )
            except actions.TrainingError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("training:class", pk=training_class.pk)
    point_ids = [p.pk for p in points]
    running = TrainingClass.objects.filter(Q(service_point_id__in=point_ids)).select_related(
        "service_point", "trainer"
    )
    memberships = (
        Trainee.objects.filter(user=request.user)
        .select_related("training_class__service_point")
        .prefetch_related("cases__mistakes", "cases__procedure_version__procedure")
    )
    return render(
        request,
        "training/classes.html",
        {
            "points": points,
            "running": running[:100],
            "memberships": memberships,
            "name": name,
            "in_training": practice_class(request),
        },
    )


@role_required(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
@require_GET
def class_page(request, pk: int):
    training_class = _run(request, pk)
    trainees = training_class.trainees.select_related("user").prefetch_related(
        "cases__mistakes", "cases__procedure_version__procedure"
    )
    joined = {t.user_id for t in trainees}
    candidates = [
        u for u in actions.eligible_trainees(training_class.province_id) if u.pk not in joined
    ]
    return render(
        request,
        "training/class.html",
        {
            "training_class": training_class,
            "trainees": trainees,
            "candidates": candidates[:200],
            "scenarios": ScenarioKind.choices,
        },
    )


def _class_step(request, pk: int, step) -> None:
    try:
        step()
    except actions.TrainingError as exc:
        messages.error(request, str(exc))


@role_required(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
@require_POST
def add_trainee(request, pk: int):
    training_class = _run(request, pk)
    user_id = _int(request.POST.get("user"))
    if user_id is None:
        messages.error(request, _("Choose a member of staff."))
    else:
        _class_step(
            request,
            pk,
            lambda: actions.add_trainee(
                training_class.pk,
                user_id,
                actor=request.user,
                access=request.access,
                request=request,
            ),
        )
    return redirect("training:class", pk=pk)


@role_required(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
@require_POST
def assign_case(request, pk: int):
    training_class = _run(request, pk)
    trainee_id = _int(request.POST.get("trainee"))
    trainee = training_class.trainees.filter(pk=trainee_id).first() if trainee_id else None
    if trainee is None:
        messages.error(request, _("Choose a trainee."))
    else:
        _class_step(
            request,
            pk,
            lambda: actions.assign_case(
                trainee.pk,
                request.POST.get("scenario", ""),
                actor=request.user,
                access=request.access,
                request=request,
            ),
        )
    return redirect("training:class", pk=pk)


@role_required(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
@require_POST
def reset_class(request, pk: int):
    training_class = _run(request, pk)
    deleted = actions.reset_class(
        training_class.pk, actor=request.user, access=request.access, request=request
    )
    messages.success(
        request,
        _("The class starts again: %(count)d practice dossier(s) deleted.") % {"count": deleted},
    )
    return redirect("training:class", pk=pk)


@role_required(Role.SUPERVISOR, Role.PROVINCIAL_ADMIN)
@require_POST
def close_class(request, pk: int):
    training_class = _run(request, pk)
    actions.close_class(
        training_class.pk, actor=request.user, access=request.access, request=request
    )
    messages.success(request, _("The class is closed."))
    return redirect("training:class", pk=pk)


def _own_case(request, pk: int) -> PracticeCase:
    case = get_object_or_404(
        PracticeCase.objects.select_related(
            "trainee__training_class", "procedure_version__procedure"
        ).prefetch_related("mistakes"),
        pk=pk,
        trainee__user=request.user,
    )
    return case


@role_required(*actions.TRAINEE_ROLES)
@require_GET
def case_page(request, pk: int):
    case = _own_case(request, pk)
    plan = SCRIPTS[case.scenario]
    documents = list(case.procedure_version.documents.order_by("position"))
    mandatory = [d for d in documents if d.mandatory]
    left_out = mandatory[-1].pk if mandatory and not plan.all_documents else None
    return render(
        request,
        "training/case.html",
        {
            "case": case,
            "plan": plan,
            "brought": [d for d in documents if d.pk != left_out],
            "in_training": practice_class(request) == case.trainee.training_class_id,
            "finished": case.status
            in (PracticeCase.Status.SEALED, PracticeCase.Status.TURNED_AWAY),
            "turn_away": Outcome.TURN_AWAY,
        },
    )


@role_required(*actions.TRAINEE_ROLES)
@require_POST
def start_case(request, pk: int):
    case = _own_case(request, pk)
    try:
        actions.enter_training(case.trainee.training_class_id, actor=request.user, request=request)
        actions.start_case(case.pk, actor=request.user, request=request)
    except actions.TrainingError as exc:
        messages.error(request, str(exc))
        return redirect("training:case", pk=pk)
    return redirect("dossiers:intake_start")


@role_required(*actions.TRAINEE_ROLES)
@require_POST
def turn_away(request, pk: int):
    case = _own_case(request, pk)
    try:
        actions.turn_away(
            case.pk, note=request.POST.get("note", ""), actor=request.user, request=request
        )
    except actions.TrainingError as exc:
        messages.error(request, str(exc))
    return redirect("training:case", pk=pk)


@role_required(*actions.TRAINEE_ROLES)
@require_POST
def enter(request, pk: int):
    actions.enter_training(pk, actor=request.user, request=request)
    messages.success(request, _("You are in training: what you receive now is practice."))
    return redirect("training:classes")


@role_required()
@require_POST
def leave(request):
    actions.leave_training(actor=request.user, request=request)
    messages.success(request, _("You left training: your work is real again."))
    return redirect("training:classes")
