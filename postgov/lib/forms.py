"""Bootstrap classes and accessible error wiring for every form, in one place."""

from __future__ import annotations

from django import forms


class StyledFormMixin:
    """Gives each widget its Bootstrap class and links fields with errors to their
    message (aria-invalid, aria-describedby), so screen readers announce them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
            ):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            widget.attrs["class"] = f"{existing} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self.auto_id % name}_error"
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class _LazyChoices(forms.models.ModelChoiceIterator):
    """Options read from the field's queryset when they are listed, not when set."""

    def __init__(self, field):
        self.field = field

    @property
    def queryset(self):
        return self.field.queryset


class ModelChoiceField(forms.ModelChoiceField):
    """A model choice that takes objects the view already holds (`known(...)`) instead of
    reading the chosen row again, and a queryset built only when it is used
    (`queryset_from(...)`): a form checked against rows the request holds, as the JSON
    intake's are, never builds it. Only objects that belong to the field's queryset may be
    given; any other value is looked up in the queryset as usual."""

    iterator = _LazyChoices

    def known(self, *objects) -> None:
        self._known = {str(obj.pk): obj for obj in objects if obj is not None}

    def queryset_from(self, make) -> None:
        """`make()` gives the queryset, called at its first use (options, a lookup)."""
        self._make_queryset = make
        self.widget.choices = self.choices

    # Django's own `queryset` property, which the setter keeps; the getter first builds
    # a queryset given by `queryset_from`.
    @property
    def queryset(self):
        make = self.__dict__.pop("_make_queryset", None)
        if make is not None:
            self.queryset = make()
        return forms.ModelChoiceField.queryset.fget(self)

    @queryset.setter
    def queryset(self, queryset):
        forms.ModelChoiceField.queryset.fset(self, queryset)

    def to_python(self, value):
        held = getattr(self, "_known", {}).get(str(value))
        return held if held is not None else super().to_python(value)
