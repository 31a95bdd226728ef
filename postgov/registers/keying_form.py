"""The fields of the keying page, as HTML, from a shape kept per schema version and language.

Every operator of a room asks for this page many times an hour, and the fields were most of
its cost: a template loop resolving a dozen variables per field, translating each label,
help text and choice. A version in use never changes (`schemas.fields_of`), so what depends
on it alone (labels, help texts, the options of each list, all escaped once) is built the
first time and kept; each page then only puts in what the operator typed and the errors."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from postgov.registers import schemas
from postgov.registers.models import localised


@dataclass(frozen=True)
class FieldShape:
    key: str
    required: bool
    label: str  # escaped, in the shape's language
    help: str  # escaped
    options: tuple[tuple[str, str], ...]  # (value, label), both escaped; empty for an input


# (version id, language) -> (the fields read, their shapes). The fields list is the one
# `schemas.fields_of` keeps: when it forgets a version saved again, the list read next is a
# new object and the shape is built again.
_SHAPES: dict[tuple[int, str], tuple[list[dict], tuple[FieldShape, ...]]] = {}
_MOST_SHAPES = 512


def shape(version_id: int) -> tuple[FieldShape, ...]:
    fields = schemas.fields_of(version_id)
    language = (get_language() or "vi")[:2]
    kept = _SHAPES.get((version_id, language))
    if kept is not None and kept[0] is fields:
        return kept[1]
    built = tuple(
        FieldShape(
            key=escape(f["key"]),
            required=bool(f.get("required")),
            label=escape(localised(f["label"])),
            help=escape(localised(f.get("help", ""))),
            options=tuple(
                (escape(c["value"]), escape(localised(c.get("label", c["value"]))))
                for c in f.get("choices", [])
            ),
        )
        for f in fields
    )
    if len(_SHAPES) >= _MOST_SHAPES:
        _SHAPES.clear()
    _SHAPES[(version_id, language)] = (fields, built)
    return built


def _one(field: FieldShape, value: str, error: str, *, open_: bool, first: bool) -> str:
    disabled = "" if open_ else " disabled"
    invalid = " is-invalid" if error else ""
    key = field.key
    common = f'id="f-{key}" name="{key}" data-key="{key}"{disabled} aria-describedby="e-{key}"'
    if field.options:
        typed = escape(value)
        options = "".join(
            f'<option value="{v}"{" selected" if v == typed else ""}>{label}</option>'
            for v, label in field.options
        )
        widget = (
            f'<select class="form-select form-select-sm{invalid}" {common}>'
            f'<option value=""></option>{options}</select>'
        )
    else:
        widget = (
            f'<input class="form-control form-control-sm{invalid}" {common} '
            f'value="{escape(value)}" autocomplete="off" spellcheck="false"'
            f"{' autofocus' if first else ''}>"
        )
    required = " required" if field.required else ""
    help_ = f'<div class="form-text">{field.help}</div>' if field.help else ""
    return (
        f'<div class="mb-2"><label class="form-label mb-0{required}" for="f-{key}">'
        f"{field.label}</label>{widget}{help_}"
        f'<div class="invalid-feedback d-block" id="e-{key}">{escape(error)}</div></div>'
    )


def fields_html(
    version_id: int,
    values: dict,
    errors: dict[str, str],
    *,
    again: set[str] = frozenset(),  # type: ignore[assignment]
    again_message: str = "",
    open_: bool = True,
) -> SafeString:
    """The form's fields with the operator's values and the errors by key; a key in
    `again` (to be keyed again under immediate verification) shows empty with
    `again_message`. Every text that did not come from the shape is escaped here."""
    return mark_safe(  # noqa: S308  (static parts escaped in `shape`, the rest here)
        "\n".join(
            _one(
                field,
                "" if field.key in again else str(values.get(field.key, "")),
                errors.get(field.key, "") or (again_message if field.key in again else ""),
                open_=open_,
                first=position == 0,
            )
            for position, field in enumerate(shape(version_id))
        )
    )
