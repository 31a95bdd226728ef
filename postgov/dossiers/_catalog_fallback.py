"""TEMPORARY stand-ins for postgov.catalog.queries / tariffs (catalog branch, not merged
yet). Same names and behaviour; deleted when the catalog branch lands."""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from postgov.catalog.models import PostalTariff, Procedure, ProcedureVersion
from postgov.lib.text import search_terms


class TariffError(ValueError):
    def __init__(self, vi: str, en: str):
        self.vi, self.en = vi, en
        super().__init__(f"{vi} / {en}")


def _in_force(on, prefix=""):
    return Q(**{f"{prefix}effective_from__lte": on}) & (
        Q(**{f"{prefix}effective_to__isnull": True}) | Q(**{f"{prefix}effective_to__gte": on})
    )


def version_in_force(procedure, on_date=None):
    on = on_date or timezone.localdate()
    pid = procedure.pk if isinstance(procedure, Procedure) else procedure
    return (
        ProcedureVersion.objects.filter(_in_force(on), procedure_id=pid)
        .order_by("-effective_from", "-version")
        .first()
    )


def with_version_in_force(queryset, on_date=None):
    on = on_date or timezone.localdate()
    current = ProcedureVersion.objects.filter(_in_force(on), procedure=OuterRef("pk")).order_by(
        "-effective_from", "-version"
    )
    return queryset.annotate(
        current_version_id=Subquery(current.values("pk")[:1]),
        current_postal_allowed=Subquery(current.values("postal_allowed")[:1]),
    )


def search_procedures(query, queryset=None):
    queryset = Procedure.objects.all() if queryset is None else queryset
    for word in search_terms((query or "")[:200])[:8]:
        queryset = queryset.filter(name_folded__contains=word)
    return queryset


def tariff_in_force(province, on_date=None):
    on = on_date or timezone.localdate()
    valid = PostalTariff.objects.filter(valid_from__lte=on).order_by("-valid_from", "-pk")
    if province is not None:
        own = valid.filter(province=province).first()
        if own is not None:
            return own
    return valid.filter(province__isnull=True).first()


def postal_charge(tariff, zone, weight_g):
    bands = sorted((b for b in tariff.bands.all() if b.zone == zone), key=lambda b: b.max_weight_g)
    if not bands:
        raise TariffError("biểu cước không có mức cho vùng này", "no band for this zone")
    for band in bands:
        if weight_g <= band.max_weight_g:
            return band.amount
    raise TariffError("bưu gửi quá nặng", "the item is too heavy")
