"""A signed-in citizen's own dossiers ("my dossiers"), found by the ID number a counter
verified on their account (`identity.access.own_dossiers`). Each page that shows them is
in the audit trail, as every view of someone's dossier is.

The parts of a linked package (decision 0024) are listed under their package (its code,
name and rolled-up state), where the first of them falls in the list's order; the
packages and their parts are read for the whole page at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from postgov.audit.actions import record
from postgov.dossiers.linked.models import PackagePart
from postgov.dossiers.linked.queries import Rollup, rollup_of
from postgov.dossiers.models import Dossier
from postgov.dossiers.tracking import lookup as tracking
from postgov.identity.access import own_dossiers, verified_id_number

PAGE_SIZE = 20


def masked_id(number: str) -> str:
    """Only the last three digits, as the account page shows its own."""
    return "*" * max(0, len(number) - 3) + number[-3:]


def _mine(request):
    return own_dossiers(request.user, tracking.tracked_dossiers())


@dataclass
class Row:
    """A line of the list: a dossier on its own, or a package with its parts."""

    dossier: Dossier | None = None
    package: Rollup | None = None
    parts: list[Dossier] = field(default_factory=list)


def _order_key(dossier: Dossier) -> tuple[datetime, int]:
    # The list's order (newest sealed first), as a key that sorts the other way.
    return (dossier.sealed_at or datetime.min.replace(tzinfo=UTC), dossier.pk)


def rows_of(dossiers: list[Dossier], own: set[int]) -> list[Row]:
    """The page's lines. A package's parts come from the prefetch, all of them, under the
    line of its first part; a package whose first part was on an earlier page is not
    shown again. `own` are the citizen's dossiers among the parts (all of them, since
    one intake took them in for one applicant, unless a part is practice work)."""
    rows: list[Row] = []
    seen: set[int] = set()
    first = _order_key(dossiers[0]) if dossiers else None
    now = timezone.now()
    for dossier in dossiers:
        part = getattr(dossier, "package_part", None)
        if part is None:
            rows.append(Row(dossier=dossier))
            continue
        package = part.package
        if package.pk in seen:
            continue
        seen.add(package.pk)
        parts = list(package.parts.all())
        members = [p.dossier for p in parts if p.dossier_id in own or p.dossier_id == dossier.pk]
        if first is not None and any(_order_key(d) > first for d in members):
            continue  # listed on an earlier page
        view = rollup_of(package, parts, now)
        rows.append(
            Row(package=view, parts=[v.dossier for v in view.parts if v.dossier in members])
        )
    return rows


def _with_packages(queryset):
    return queryset.select_related("package_part__package__linked_procedure").prefetch_related(
        Prefetch(
            "package_part__package__parts",
            queryset=PackagePart.objects.select_related(
                "dossier__procedure_version__procedure", "dossier__agency"
            ).prefetch_related("fed_by"),
        )
    )


@login_required
@require_GET
def my_dossiers(request):
    user = request.user
    number = verified_id_number(user)
    context = {"verified": bool(number), "declared": bool(user.declared_id_number)}
    if number:
        mine = _mine(request)
        page = Paginator(_with_packages(mine.order_by("-sealed_at", "-id")), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        dossiers = list(page.object_list)
        part_ids = [
            p.dossier_id
            for d in dossiers
            if getattr(d, "package_part", None) is not None
            for p in d.package_part.package.parts.all()
        ]
        own = set(mine.filter(pk__in=part_ids).values_list("pk", flat=True)) if part_ids else set()
        rows = rows_of(dossiers, own)
        context.update(page_obj=page, rows=rows, masked_id=masked_id(number))
        shown = [d.pk for row in rows for d in ([row.dossier] if row.dossier else row.parts)]
        record(
            "citizen.dossiers_viewed",
            request=request,
            obj=user,
            details={"page": page.number, "dossiers": shown},
        )
    response = render(request, "dossiers/my_dossiers.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_dossier(request, pk: int):
    dossier = _mine(request).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    result = tracking.describe(dossier)
    # The account proves the applicant: the receipt and appointment slip is theirs.
    result.form_token = tracking.form_token(dossier)
    record(
        "citizen.dossier_viewed",
        request=request,
        obj=dossier,
        agency_id=dossier.agency_id,
        details={"code": dossier.code},
    )
    response = render(
        request,
        "dossiers/my_dossier.html",
        {
            "result": result,
            "dossier": dossier,
            "owner": {
                "name": dossier.applicant_name,
                "masked_id": masked_id(dossier.applicant_id_number),
            },
        },
    )
    response["Cache-Control"] = "no-store"
    return response
