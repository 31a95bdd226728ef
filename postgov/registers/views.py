"""The digitisation workroom: projects, members, schemas and uploads for the project
manager; the keying page for operators; the verifier's page. Staff only (and so with the
second factor); each project's pages only for its members. Views check access and call
`registers.actions`."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import record as audit
from postgov.identity.access import Access, role_required
from postgov.places.models import Province
from postgov.registers import (
    actions,
    comparison,
    dashboard,
    jobs,
    keying_form,
    keying_modes,
    schemas,
    search,
    sources,
    stats,
)
from postgov.registers.fields import check_record, shown
from postgov.registers.forms import MemberForm, ProjectForm, SchemaForm, UploadForm
from postgov.registers.models import (
    DuplicateCandidate,
    Job,
    Keying,
    Membership,
    Page,
    Project,
    Record,
    localised,
)

Role = Membership.Role


def _roles(request, project: Project) -> set[str]:
    # order_by(): a membership's default order joins its project, needlessly here.
    return set(
        Membership.objects.filter(project=project, user=request.user)
        .order_by()
        .values_list("role", flat=True)
    )


def _project(request, pk: int, *roles: str) -> tuple[Project, set[str]]:
    """The project if the user is a member (with one of `roles` when given), else 404:
    a project's existence is not shown to people outside it."""
    project = Project.objects.filter(pk=pk).select_related("province").first()
    if project is None:
        raise Http404
    held = _roles(request, project)
    if not held or (roles and not held & set(roles)):
        raise Http404
    return project, held


# For the pages of the other modules of this app (imports, exports).
member_project = _project
member_roles = _roles


def _provinces(access: Access):
    return access.administered(Province.objects.order_by("name"), "pk")


@require_GET
@role_required()
def projects(request):
    mine = Project.objects.filter(members__user=request.user).distinct().select_related("province")
    return render(
        request,
        "registers/projects.html",
        {"projects": mine, "can_create": _provinces(request.access).exists()},
    )


@require_http_methods(["GET", "POST"])
@role_required()
def project_new(request):
    provinces = _provinces(request.access)
    if not provinces.exists():
        raise PermissionDenied
    form = ProjectForm(request.POST or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ready = schemas.ready_schema(data["schema"])
        project = actions.create_project(
            by=request.user,
            name=data["name"],
            kind=ready["kind"],
            province=data["province"],
            commune=data["commune"],
            fields=ready["fields"],
            keying_mode=data["keying_mode"],
            sample_percent=data["sample_percent"],
            request=request,
        )
        messages.success(request, _("Project created."))
        return redirect("registers:project", project.pk)
    return render(request, "registers/project_new.html", {"form": form})


@require_GET
@role_required()
def project(request, pk: int):
    project, held = _project(request, pk)
    operators, by_field = comparison.agreement_tables(project)
    schema = project.current_schema()
    labels = {f["key"]: localised(f["label"]) for f in (schema.fields if schema else [])}
    for tally in by_field:
        tally.name = labels.get(tally.name, tally.name)
    only_me = None if held & {Role.MANAGER, Role.VERIFIER} else request.user.pk
    counts = {status: 0 for status in Record.Status.values}
    for status in project.records.values_list("status", flat=True):
        counts[status] += 1
    return render(
        request,
        "registers/project.html",
        {
            "project": project,
            "held": held,
            "is_manager": Role.MANAGER in held,
            "schema": schema,
            "counts": [(Record.Status(s).label, n) for s, n in counts.items()],
            "members": project.members.select_related("user"),
            "batches": project.batches.all()[:50],
            "jobs": project.jobs.order_by("-created_at")[:10],
            "operators": operators,
            "by_field": by_field,
            # Managers and verifiers see every operator's work; an operator sees their own.
            "operator_totals": stats.operator_totals(project, operator_id=only_me),
            "operator_days": stats.operator_days(project, operator_id=only_me),
            "pause_seconds": stats.PAUSE_SECONDS,
            "member_form": MemberForm(),
            "open_duplicates": DuplicateCandidate.objects.filter(
                project=project, status=DuplicateCandidate.Status.OPEN
            ).count(),
        },
    )


@require_GET
@role_required()
def project_dashboard(request, pk: int):
    """The project manager's figures, each a chart with its table."""
    project, _held = _project(request, pk, Role.MANAGER)
    board = dashboard.figures(project)
    charts = dashboard.all_charts(board)
    return render(
        request,
        "registers/dashboard.html",
        {
            "project": project,
            "board": board,
            "charts": charts,
            "stages": list(dashboard.stage_labels().values()),
            "error_sections": [
                (
                    _("Errors per field"),
                    charts["field_errors"],
                    board.fields,
                    pgettext("a schema field", "Field"),
                ),
                (
                    _("Errors per operator"),
                    charts["operator_errors"],
                    board.operator_errors,
                    _("Operator"),
                ),
            ],
            "duplicates": [
                (DuplicateCandidate.Status(s).label, n) for s, n in board.duplicates.items()
            ],
        },
    )


@require_POST
@role_required()
def member_add(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    form = MemberForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["username"]
        if not Access.for_user(user).is_staff_member:
            messages.error(
                request,
                _("Only staff members (signed in with a second factor) can join a project."),
            )
        else:
            actions.add_member(
                project, user=user, role=form.cleaned_data["role"], by=request.user, request=request
            )
            messages.success(request, _("Member added."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    return redirect("registers:project", project.pk)


@require_http_methods(["GET", "POST"])
@role_required()
def schema(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    current = project.current_schema()
    initial = json.dumps(current.fields if current else [], ensure_ascii=False, indent=1)
    form = SchemaForm(request.POST or None, initial={"fields_json": initial})
    if request.method == "POST" and form.is_valid():
        version = actions.save_schema(
            project, form.cleaned_data["fields_json"], by=request.user, request=request
        )
        messages.success(request, _("Schema saved as version %(n)s.") % {"n": version.number})
        return redirect("registers:project", project.pk)
    return render(
        request, "registers/schema.html", {"project": project, "form": form, "current": current}
    )


@require_http_methods(["GET", "POST"])
@role_required()
def upload(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = actions.receive_upload(
                project,
                uploaded=data["file"],
                label=data["label"],
                pages_per_record=data["pages_per_record"],
                by=request.user,
                request=request,
            )
        except sources.SourceError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("registers:job", job.pk)
    return render(
        request,
        "registers/upload.html",
        {"project": project, "form": form, "pdf_ok": sources.pdftoppm_available()},
    )


# -- background jobs ----------------------------------------------------------------------


def _job(request, pk: int) -> Job:
    """A job of a project the user manages, or one they started; else 404."""
    job = Job.objects.filter(pk=pk).select_related("project").first()
    if job is None:
        raise Http404
    held = _roles(request, job.project)
    if Role.MANAGER not in held and not (held and job.created_by_id == request.user.pk):
        raise Http404
    return job


@require_GET
@role_required()
def job(request, pk: int):
    """The job's progress; htmx polls the bar alone until the job ends."""
    found = _job(request, pk)
    context = {"job": found, "stalled": jobs.stalled(found)}
    if request.headers.get("HX-Request"):
        return render(request, "registers/_job.html", context)
    return render(request, "registers/job.html", context)


@require_POST
@role_required()
def job_restart(request, pk: int):
    found = _job(request, pk)
    try:
        jobs.restart(found.pk, by=request.user, request=request)
    except jobs.JobFailed as exc:
        messages.error(request, str(exc))
    return redirect("registers:job", found.pk)


# -- keying -------------------------------------------------------------------------------


@require_POST
@role_required()
def keying_next(request, pk: int):
    project, _held = _project(request, pk, Role.OPERATOR)
    keying = actions.next_keying(project, request.user, request=request)
    if keying is None:
        messages.info(request, _("Nothing is left to key in this project for you."))
        return redirect("registers:project", project.pk)
    return redirect("registers:keying", keying.pk)


def _own_keying(request, pk: int) -> Keying:
    """The user's own keying in a project where they are an operator, with its record and
    project, in one query (asked for at every field save); else 404. The schema's fields
    come from `schemas.fields_of`."""
    keying = (
        Keying.objects.filter(
            pk=pk,
            operator=request.user,
            record__project__members__user=request.user,
            record__project__members__role=Role.OPERATOR,
        )
        .select_related("record__project")
        .order_by()  # by primary key: the default order joins the batch
        .first()
    )
    if keying is None:
        raise Http404
    return keying


def _keying_fields(keying: Keying, errors: dict, *, open_: bool = True):
    again = keying_modes.pending_keys(keying)
    return keying_form.fields_html(
        keying.record.schema_id,
        keying.values,
        errors,
        again=again,
        again_message=keying_modes.differs_message() if again else "",
        open_=open_,
    )


@require_GET
@role_required()
def keying(request, pk: int):
    keying = _own_keying(request, pk)
    record_ = keying.record
    with transaction.atomic():
        audit("registers.record_viewed", request=request, obj=record_, details={"as": "operator"})
    errors: dict[str, str] = {}
    if keying.values:
        _clean, errors = check_record(
            schemas.fields_of(record_.schema_id), keying.values, record_.project.province_id
        )
        errors = {k: v for k, v in errors.items() if keying.values.get(k)}
    return render(
        request,
        "registers/keying.html",
        {
            "keying": keying,
            "record": record_,
            "project": record_.project,
            "pages": record_.pages.order_by("number"),
            "fields": _keying_fields(keying, errors, open_=keying.status == Keying.Status.OPEN),
            "open": keying.status == Keying.Status.OPEN,
            "ocr_texts": search.prefill(record_),
        },
    )


def _number(text: str | None) -> int:
    """A count the keying page reports; anything else counts as nothing."""
    try:
        return max(0, int(str(text or "0")[:12]))
    except ValueError:
        return 0


@require_POST
@role_required()
def keying_field(request, pk: int):
    keying = _own_keying(request, pk)
    key = request.POST.get("key", "")
    try:
        checked = actions.save_value(
            keying,
            key,
            request.POST.get("value", ""),
            operator=request.user,
            keystrokes=_number(request.POST.get("keystrokes")),
            active=_number(request.POST.get("active_ms")) / 1000,
            paused=_number(request.POST.get("paused_ms")) / 1000,
        )
    except actions.KeyingClosed as exc:
        return JsonResponse({"saved": False, "closed": str(exc)}, status=409)
    except KeyError:
        return JsonResponse({"saved": False, "error": _("Unknown field.")}, status=400)
    answer = {"saved": True, "value": checked.value, "error": checked.error}
    if key in keying_modes.pending_keys(keying):
        answer["again"] = True  # to be keyed again: the page empties the field
    return JsonResponse(answer)


@require_POST
@role_required()
def keying_submit(request, pk: int):
    try:
        keying, errors = actions.submit_own_keying(
            pk,
            request.POST.dict(),  # the action takes the schema's fields from it
            operator=request.user,
            request=request,
            effort=(
                _number(request.POST.get("keystrokes")),
                _number(request.POST.get("active_ms")) / 1000,
                _number(request.POST.get("paused_ms")) / 1000,
            ),
        )
    except Keying.DoesNotExist:
        raise Http404 from None
    except actions.KeyingClosed as exc:
        messages.error(request, str(exc))
        return redirect("registers:project", exc.keying.record.project_id)
    record_ = keying.record
    if errors:
        # the keying as the action left it: what was typed is kept, the record still open
        return render(
            request,
            "registers/keying.html",
            {
                "keying": keying,
                "record": record_,
                "project": record_.project,
                "pages": record_.pages.order_by("number"),
                "fields": _keying_fields(keying, errors),
                "open": True,
                "has_errors": True,
                "ocr_texts": search.prefill(record_),
            },
            status=422,
        )
    following = actions.next_keying(record_.project, request.user, request=request)
    if following is None:
        messages.success(request, _("Saved. Nothing else is left to key for you."))
        return redirect("registers:project", record_.project_id)
    messages.success(request, _("Saved. Here is the next record."))
    return redirect("registers:keying", following.pk)


# -- adjudication -------------------------------------------------------------------------


@require_POST
@role_required()
def adjudicate_next(request, pk: int):
    project, _held = _project(request, pk, Role.VERIFIER)
    row = actions.next_adjudication(project, request.user)
    if row is None:
        messages.info(request, _("No record is waiting for a verifier."))
        return redirect("registers:project", project.pk)
    return redirect("registers:adjudicate", row.pk)


@require_http_methods(["GET", "POST"])
@role_required()
def adjudicate(request, pk: int):
    row = Record.objects.filter(pk=pk).select_related("schema", "project").first()
    if row is None or Role.VERIFIER not in _roles(request, row.project):
        raise Http404
    if not actions.may_adjudicate(row, request.user):
        raise PermissionDenied
    errors: dict = {}
    answers: dict = {}
    if request.method == "POST":
        keys = comparison.keys_to_decide(row)
        answers = {
            k: (request.POST.get(f"choice_{k}", ""), request.POST.get(f"value_{k}", ""))
            for k in keys
        }
        errors = actions.settle(row.pk, answers, verifier=request.user, request=request)
        if not errors:
            following = actions.next_adjudication(row.project, request.user)
            messages.success(request, _("Record settled."))
            _say_if_duplicate(request, row)
            if following is None:
                return redirect("registers:project", row.project_id)
            return redirect("registers:adjudicate", following.pk)
    else:
        with transaction.atomic():
            audit("registers.record_viewed", request=request, obj=row, details={"as": "verifier"})
    first, second = comparison.entries(row)
    fields = {f["key"]: f for f in row.schema.fields}
    rows = []
    if row.status == Record.Status.ADJUDICATION and first and second:
        for key in comparison.keys_to_decide(row):
            f = fields[key]
            choice, typed = answers.get(key, ("", ""))
            rows.append(
                {
                    "key": key,
                    "label": localised(f["label"]),
                    "entry_1": first.values.get(key, ""),
                    "entry_2": second.values.get(key, ""),
                    "shown_1": shown(f, first.values.get(key, "")),
                    "shown_2": shown(f, second.values.get(key, "")),
                    "choice": choice,
                    "typed": typed,
                    "error": errors.get(key, ""),
                }
            )
    return render(
        request,
        "registers/adjudicate.html",
        {
            "record": row,
            "project": row.project,
            "pages": row.pages.order_by("number"),
            "rows": rows,
            "general_error": errors.get(""),
            "decisions": [
                (
                    localised(fields[d.field_key]["label"])
                    if d.field_key in fields
                    else d.field_key,
                    shown(fields[d.field_key], d.value) if d.field_key in fields else d.value,
                    d.decided_by,
                )
                for d in row.decisions.select_related("decided_by")
            ],
        },
        status=422 if errors else 200,
    )


def _say_if_duplicate(request, row: Record) -> None:
    """The settling found a likely duplicate (dedup_actions.check_settled): say so on the
    verifier's next page, with the way to the pair."""
    candidate = (
        DuplicateCandidate.objects.filter(records=row, status=DuplicateCandidate.Status.OPEN)
        .order_by("-pk")
        .first()
    )
    if candidate is None:
        return
    others = [pk for pk in candidate.records.values_list("pk", flat=True) if pk != row.pk]
    messages.warning(
        request,
        format_html(
            '{} <a href="{}" class="alert-link" id="duplicate-link">{}</a>',
            _(
                "Record %(n)s may be the same person as record %(other)s, already in the "
                "register (match probability %(p)s %%)."
            )
            % {
                "n": row.pk,
                "other": ", ".join(str(pk) for pk in others),
                "p": round(candidate.probability * 100, 1),
            },
            reverse("registers:duplicate", args=[candidate.pk]),
            _("Compare them"),
        ),
    )


# -- scans --------------------------------------------------------------------------------


@require_GET
@role_required()
def page_image(request, pk: int, size: str):
    page = Page.objects.filter(pk=pk).select_related("record__project").first()
    if page is None or not _roles(request, page.record.project) or size not in ("full", "thumb"):
        raise Http404
    file = page.image if size == "full" else page.thumbnail
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
