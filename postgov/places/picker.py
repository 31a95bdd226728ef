"""Picking a commune among the 3,300 of the country without sending them all: a text field
resolved on the server (it works without JavaScript), and a small search that suggests
communes as the user types (static/js/commune-picker.js)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
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


KINDS = ("xa ", "phuong ", "dac khu ")


def suggestions(query: str) -> list[Commune]:
    """Communes whose name holds the words typed (words after a comma: the province's
    name), diacritics optional; at most MAX_SUGGESTIONS. Names holding the words as typed
    come first, the commune of exactly that name before the others; then names holding
    them in any order, or with some in the province's name ("dong ha quang tri")."""
    name, _sep, province = query[:MAX_TEXT].partition(",")
    name_terms, province_terms = search_terms(name), search_terms(_province_words(province))
    if not name_terms:
        return []
    rows = Commune.objects.select_related("province")
    for term in province_terms:
        rows = rows.filter(province__name_folded__contains=term)
    phrase = " ".join(name_terms)
    close = sorted(
        rows.filter(name_folded__contains=phrase)[: MAX_SUGGESTIONS * 5],
        key=lambda c: (
            c.name_folded not in {phrase, *(kind + phrase for kind in KINDS)},
            len(c.name_folded),
            c.name_folded,
            c.province.name_folded,
        ),
    )[:MAX_SUGGESTIONS]
    if len(close) == MAX_SUGGESTIONS:
        return close
    wider = rows.exclude(pk__in=[c.pk for c in close])
    for term in name_terms:
        matches = Q(name_folded__contains=term)
        if not province_terms:  # "dong ha quang tri": a word may be the province's
            matches |= Q(province__name_folded__contains=term)
        wider = wider.filter(matches)
    wider = wider.order_by("name_folded", "province__name_folded")
    return close + list(wider[: MAX_SUGGESTIONS - len(close)])


def resolve(text: str) -> list[Commune]:
    """The communes a typed text names: 'Phường Đông Hà, Tỉnh Quảng Trị', 'Đông Hà, Quảng
    Trị', 'phuong dong ha'. Whole names only (with or without 'xã', 'phường'), so that a
    fragment never picks a commune the user did not mean."""
    name, _sep, province = text[:MAX_TEXT].partition(",")
    name, province = fold(name), _province_words(province)
    if not name:
        return []
    rows = Commune.objects.select_related("province").filter(
        name_folded__in=[name, *(kind + name for kind in KINDS)]
    )
    if province:
        rows = rows.filter(province__name_folded=province)
    return list(rows.order_by("province__name_folded")[:MAX_SUGGESTIONS])


def _is_number(value) -> bool:
    """A row number as the former list posted it; longer ones would overflow the query."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18


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
        if isinstance(value, int) or _is_number(value):
            commune = Commune.objects.select_related("province").filter(pk=value).first()
            return label(commune) if commune else ""
        return value

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, int) or _is_number(text):
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
