"""Deduplication pages: the queue of candidate duplicates of a project (for its verifiers
and managers), one candidate side by side with its scans (merge, not the same person,
undo), and for managers the run and the threshold. Views check access and call
`registers.dedup_actions`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.audit.actions import record as audit
from postgov.identity.access import role_required
from postgov.registers import dedup_actions
from postgov.registers.fields import shown
from postgov.registers.models import DuplicateCandidate, Membership, Project, Record, localised

Role = Membership.Role
PAGE_SIZE = 25
REVIEWERS = (Role.VERIFIER, Role.MANAGER)


def _roles(request, project: Project) -> set[str]:
    return set(
        Membership.objects.filter(project=project, user=request.user).values_list("role", flat=True)
    )


def _project(request, pk: int, *roles: str) -> tuple[Project, set[str]]:
    """The project if the user holds one of `roles` in it, else 404: a project's existence
    is not shown to people outside it."""
    project = Project.objects.filter(pk=pk).select_related("province").first()
    if project is None:
        raise Http404
    held = _roles(request, project)
    if not held & set(roles):
        raise Http404
    return project, held


def masked_id(number: str) -> str:
    """Only the last four digits: enough to tell two people apart in a list."""
    number = str(number or "")
    return "•" * max(0, len(number) - 4) + number[-4:]


def _summary(record: Record, keys) -> dict[str, str]:
    values = record.values
    return {
        "pk": str(record.pk),
        "name": str(values.get(keys.name, "")) if keys.name else "",
        "birth": str(values.get(keys.birth_date, "")) if keys.birth_date else "",
        "id": masked_id(values.get(keys.id_number, "")) if keys.id_number else "",
    }


@require_GET
@role_required()
def queue(request, pk: int):
    project, held = _project(request, pk, *REVIEWERS)
    status = request.GET.get("status", DuplicateCandidate.Status.OPEN)
    if status not in DuplicateCandidate.Status.values:
        status = DuplicateCandidate.Status.OPEN
    candidates = DuplicateCandidate.objects.filter(project=project, status=status).prefetch_related(
        Prefetch("records", queryset=Record.objects.order_by("pk"))
    )
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    keys = dedup_actions.keys_for(project)
    rows = [{"candidate": c, "records": [_summary(r, keys) for r in c.records.all()]} for c in page]
    counts = {
        s: DuplicateCandidate.objects.filter(project=project, status=s).count()
        for s in DuplicateCandidate.Status.values
    }
    return render(
        request,
        "registers/dedup_queue.html",
        {
            "project": project,
            "is_manager": Role.MANAGER in held,
            "linkage": dedup_actions.linkage(project),
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": [
                (value, label, counts[value]) for value, label in DuplicateCandidate.Status.choices
            ],
        },
    )


@require_POST
@role_required()
def run(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    try:
        job = dedup_actions.start(project, by=request.user, request=request)
    except dedup_actions.DedupError as exc:
        messages.error(request, str(exc))
        return redirect("registers:dedup", project.pk)
    return redirect("registers:job", job.pk)


@require_POST
@role_required()
def threshold(request, pk: int):
    project, _held = _project(request, pk, Role.MANAGER)
    raw = request.POST.get("threshold", "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.5 <= value < 1:
        messages.error(request, _("Enter a match probability between 0.5 and 0.999."))
    else:
        dedup_actions.set_threshold(project, value, by=request.user, request=request)
        messages.success(request, _("Threshold saved; it applies from the next run."))
    return redirect("registers:dedup", project.pk)


def _candidate(request, pk: int) -> tuple[DuplicateCandidate, set[str]]:
    candidate = DuplicateCandidate.objects.select_related("project").filter(pk=pk).first()
    if candidate is None:
        raise Http404
    held = _roles(request, candidate.project)
    if not held & set(REVIEWERS):
        raise Http404
    return candidate, held


@require_http_methods(["GET", "POST"])
@role_required()
def review(request, pk: int):
    candidate, _held = _candidate(request, pk)
    project = candidate.project
    records = list(
        candidate.records.select_related("schema").prefetch_related("pages").order_by("pk")
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "merge":
                survivor = int(request.POST.get("survivor") or records[0].pk)
                chosen = {
                    key[len("value_") :]: int(value)
                    for key, value in request.POST.items()
                    if key.startswith("value_") and value.isdigit()
                }
                dedup_actions.merge(
                    candidate.pk,
                    survivor_pk=survivor,
                    chosen=chosen,
                    by=request.user,
                    request=request,
                )
                messages.success(request, _("Merged: one record stays in the register."))
            elif action == "separate":
                dedup_actions.separate(candidate.pk, by=request.user, request=request)
                messages.success(request, _("Kept apart: these are different people."))
            elif action == "undo":
                dedup_actions.undo(candidate.pk, by=request.user, request=request)
                messages.success(request, _("Decision undone; the records are as they were."))
            else:
                messages.error(request, _("Choose merge, not the same person or undo."))
        except (dedup_actions.DedupError, ValueError) as exc:
            messages.error(
                request,
                str(exc)
                if isinstance(exc, dedup_actions.DedupError)
                else _("Pick the record that stays."),
            )
        return redirect("registers:duplicate", candidate.pk)
    with transaction.atomic():
        for row in records:
            audit("registers.record_viewed", request=request, obj=row, details={"as": "dedup"})
    schema = records[0].schema.fields if records else []
    differing = set(dedup_actions.differing_keys(schema, records))
    fields = [
        {
            "key": f["key"],
            "label": localised(f["label"]),
            "differs": f["key"] in differing,
            "cells": [
                {"record": r.pk, "text": shown(f, str(r.values.get(f["key"], "")))} for r in records
            ],
        }
        for f in schema
    ]
    decision = (
        candidate.decisions.filter(undone_at__isnull=True).select_related("decided_by").first()
    )
    history = candidate.decisions.select_related("decided_by", "undone_by")
    return render(
        request,
        "registers/dedup_review.html",
        {
            "project": project,
            "candidate": candidate,
            "records": records,
            "fields": fields,
            "decision": decision,
            "absorbed": set(decision.absorbed.values_list("pk", flat=True)) if decision else set(),
            "history": history,
            "is_open": candidate.status == DuplicateCandidate.Status.OPEN,
        },
    )
