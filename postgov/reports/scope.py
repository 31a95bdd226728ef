"""Whose figures a person sees in the reports: a national administrator sees every
province's; everyone else what `Access.scope` gives them (their points, their agencies, the
provinces they oversee). Decided here once, so that every report scopes the same way."""

from __future__ import annotations

from django.db.models import QuerySet

from postgov.dossiers.actions import visible_dossiers
from postgov.dossiers.models import Dossier
from postgov.dossiers.orders.actions import visible_orders
from postgov.dossiers.orders.models import PostalOrder
from postgov.identity.access import Access


def nationwide(access: Access) -> bool:
    """Whether the person's reports cover the whole country."""
    return access.is_national_admin


def scoped_rollups(access: Access, queryset: QuerySet) -> QuerySet:
    """Roll-up rows (keyed by province, point and, for dossiers, agency) one may see."""
    if nationwide(access):
        return queryset
    fields = {f.name for f in queryset.model._meta.get_fields()}
    return access.scope(
        queryset,
        point_field="point" if "point" in fields else None,
        agency_field="agency" if "agency" in fields else None,
        province_field="province",
    )


def report_dossiers(access: Access) -> QuerySet[Dossier]:
    """The real dossiers whose figures one sees (never practice ones)."""
    if nationwide(access):
        return Dossier.objects.filter(practice=False)
    return visible_dossiers(access)


def report_orders(access: Access) -> QuerySet[PostalOrder]:
    if nationwide(access):
        return PostalOrder.objects.all()
    return visible_orders(access)
