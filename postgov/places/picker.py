"""Picking a commune among the 3,300 of the country without sending them all: a text field
resolved on the server (it works without JavaScript), and a small search that suggests
communes as the user types (static/js/commune-picker.js)."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from postgov.lib.text import fold, search_terms
from postgov.places.models import Commune

MAX_SUGGESTIONS = 20
MAX_TEXT = 200


def label(commune: Commune) -> str:
    """'Phường Đông Hà, Tỉnh Quảng Trị': what the field shows and what it resolves."""
    return f"{commune.name}, {commune.province.name}"


def _province_words(text: str) -> str:
    """'Tỉnh Quảng Trị' -> 'quang tri': how provinces are folded (their short names)."""
    folded = fold(text)
    for prefix in ("tinh ", "thanh pho ", "tp "):
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def suggestions(query: str) -> QuerySet[Commune]:
    """Communes whose name holds every word typed (words after a comma: the province's
    name), diacritics optional; at most MAX_SUGGESTIONS."""
    name, _sep, province = query[:MAX_TEXT].partition(",")
    name_terms, province_terms = search_terms(name), search_terms(_province_words(province))
    if not name_terms:
        return Commune.objects.none()
    rows = Commune.objects.select_related("province")
    for term in name_terms:
        if province_terms:
            rows = rows.filter(name_folded__contains=term)
        else:  # "dong ha quang tri": a word may be the province's
            rows = rows.filter(
                Q(name_folded__contains=term) | Q(province__name_folded__contains=term)
            )
    for term in province_terms:
        rows = rows.filter(province__name_folded__contains=term)
    return rows.order_by("name_folded", "province__name_folded")[:MAX_SUGGESTIONS]


def resolve(text: str) -> list[Commune]:
    """The communes a typed text names: 'Phường Đông Hà, Tỉnh Quảng Trị', 'Đông Hà, Quảng
    Trị', 'phuong dong ha'. Whole names only (with or without 'xã', 'phường'), so that a
    fragment never picks a commune the user did not mean."""
    name, _sep, province = text[:MAX_TEXT].partition(",")
    name, province = fold(name), _province_words(province)
    if not name:
        return []
    rows = Commune.objects.select_related("province").filter(
        Q(name_folded=name) | Q(name_folded__endswith=" " + name)
    )
    if province:
        rows = rows.filter(province__name_folded=province)
    found = list(rows[:MAX_SUGGESTIONS])
    exact = [c for c in found if c.name_folded == name]
    return exact or found


class CommuneInput(forms.TextInput):
    """A text field the commune picker script turns into a search with suggestions."""

    def __init__(self, attrs=None):
        super().__init__(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "data-commune-search": reverse_lazy("places:commune_search"),
                "placeholder": _("Type the name, e.g. Đông Hà"),
                **(attrs or {}),
            }
        )


class CommuneField(forms.Field):
    """A commune typed by its name (the page's script suggests names as one types). The
    number of a commune (what the former list posted) is still accepted."""

    widget = CommuneInput
    default_error_messages = {
        "none": _(
            "No commune is called “%(text)s”. Type part of its name and pick it from the list."
        ),
        "several": _(
            "Several communes are called “%(text)s”: add the province, e.g. “%(example)s”."
        ),
    }

    def __init__(self, *, max_length: int = MAX_TEXT, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)
        if self.help_text == "":
            self.help_text = _("Commune or ward, then the province. Diacritics are optional.")

    def prepare_value(self, value):
        if isinstance(value, Commune):
            return label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            commune = Commune.objects.select_related("province").filter(pk=value).first()
            return label(commune) if commune else ""
        return value

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, int) or text.isascii() and text.isdigit():
            commune = Commune.objects.select_related("province").filter(pk=int(text)).first()
            if commune is None:
                raise forms.ValidationError(self.error_messages["none"], params={"text": text})
            return commune
        if len(text) > self.max_length or "\x00" in text:
            raise forms.ValidationError(self.error_messages["none"], params={"text": text[:40]})
        found = resolve(text)
        if not found:
            raise forms.ValidationError(self.error_messages["none"], params={"text": text})
        if len(found) > 1:
            raise forms.ValidationError(
                self.error_messages["several"], params={"text": text, "example": label(found[0])}
            )
        return found[0]

    def has_changed(self, initial, data):
        initial_pk = initial.pk if isinstance(initial, Commune) else initial
        try:
            current = self.to_python(data)
        except forms.ValidationError:
            return True
        return str(initial_pk or "") != str(current.pk if current else "")
