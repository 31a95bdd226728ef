"""Reading the catalog: which version is in force, and finding procedures by name."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, TypedDict

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from postgov.catalog.models import Procedure, ProcedureVersion
from postgov.lib.text import search_terms

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# A query is typed by a person; more words than this is noise (or an attack on the
# database with a thousand LIKE clauses).
MAX_SEARCH_WORDS = 8


def as_local_date(on: date | datetime | None) -> date:
    if on is None:
        return timezone.localdate()
    if isinstance(on, datetime):
        # A dossier received at 23:30 in Hà Nội is received on that local day, not the
        # UTC one.
        return timezone.localdate(on) if timezone.is_aware(on) else on.date()
    return on


def in_force_q(on: date, prefix: str = "") -> Q:
    """Versions in force on `on`: started on or before it, not ended before it.
    `effective_to` is the last day in force (inclusive)."""
    return Q(**{f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gte": on})
    )


def version_in_force(
    procedure: Procedure | int, on_date: date | datetime | None = None
) -> ProcedureVersion | None:
    """The version of `procedure` in force on `on_date` (today when omitted), or None when
    the procedure had no version then. When two versions overlap on one day (a same-day
    correction), the later version wins."""
    on = as_local_date(on_date)
    procedure_id = procedure.pk if isinstance(procedure, Procedure) else procedure
    return (
        ProcedureVersion.objects.filter(in_force_q(on), procedure_id=procedure_id)
        .order_by("-effective_from", "-version")
        .first()
    )


class InForce(TypedDict):
    """What `with_version_in_force` adds to each procedure."""

    current_version_id: int | None
    current_postal_allowed: bool | None


def with_version_in_force(
    queryset: QuerySet[Procedure], on_date: date | datetime | None = None
) -> QuerySet[WithAnnotations[Procedure, InForce]]:
    """Annotate each procedure with `current_version_id` and `current_postal_allowed` (None
    when nothing is in force), in one query, for lists."""
    on = as_local_date(on_date)
    current = ProcedureVersion.objects.filter(in_force_q(on), procedure=OuterRef("pk")).order_by(
        "-effective_from", "-version"
    )
    return queryset.annotate(
        current_version_id=Subquery(current.values("pk")[:1]),
        current_postal_allowed=Subquery(current.values("postal_allowed")[:1]),
    )


def search_procedures(query: str | None, queryset: QuerySet[Procedure] | None = None):
    """Procedures whose name, field or code contain every word of `query`, ignoring case
    and diacritics ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH" and "khai sinh" all find
    "Đăng ký khai sinh"). An empty query finds everything.

    `name_folded` is stored folded and lower-case, and the words are folded the same way,
    so a plain LIKE does the job on SQLite and PostgreSQL alike (no unaccent, no ILIKE)."""
    queryset = Procedure.objects.all() if queryset is None else queryset
    # A NUL matches nothing, and PostgreSQL refuses it in a query rather than say so.
    text = (query or "")[:200].replace("\x00", "")
    for word in search_terms(text)[:MAX_SEARCH_WORDS]:
        queryset = queryset.filter(name_folded__contains=word)
    return queryset


def known_fields() -> list[str]:
    """The fields present in the catalog, for filters."""
    return list(Procedure.objects.order_by("field").values_list("field", flat=True).distinct())
