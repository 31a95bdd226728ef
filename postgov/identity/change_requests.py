"""Changes waiting for a second administrator: which fields a request may carry, how a
value is kept in the request, and how a person reads it. Applying a change (a state
change) is `postgov.identity.actions.approve_change`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from postgov.identity.models import (
    ChangeRequest,
    RelyingParty,
    RoleAssignment,
    UpstreamProvider,
    User,
)

Kind = ChangeRequest.Kind

KIND_MODELS: dict[str, type[models.Model]] = {
    Kind.ROLE_ASSIGNMENT: RoleAssignment,
    Kind.RELYING_PARTY: RelyingParty,
    Kind.UPSTREAM_PROVIDER: UpstreamProvider,
}

# What a request may set, in the order a person reads it: the fields of the admin forms
# plus the secrets (kept hashed or sealed, never in clear).
REQUESTABLE: dict[str, tuple[str, ...]] = {
    Kind.ROLE_ASSIGNMENT: ("user", "role", "service_point", "agency", "province", "active"),
    Kind.RELYING_PARTY: (
        "name",
        "client_id",
        "active",
        "description",
        "logo",
        "client_type",
        "token_endpoint_auth_method",
        "client_secret",
        "jwks",
        "redirect_uris",
        "post_logout_redirect_uris",
        "allowed_scopes",
        "min_level",
        "subject_type",
        "sector_identifier",
        "skip_authorization",
        "upstream_providers",
    ),
    Kind.UPSTREAM_PROVIDER: (
        "slug",
        "name",
        "active",
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "client_id",
        "client_secret_sealed",
        "scopes",
        "id_number_claim",
        "max_level",
    ),
}
SECRET_FIELDS = frozenset({"client_secret", "client_secret_sealed"})


def kind_for(model: type[models.Model]) -> str:
    return next(kind for kind, kind_model in KIND_MODELS.items() if kind_model is model)


def _field(model: type[models.Model] | models.Model, name: str) -> models.Field:
    """A field a request may set: a column or a many-to-many, never a reverse relation."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise ValueError(f"{name} is a reverse relation, not a field a request sets")
    return field


def _rows_of(field: models.Field) -> models.QuerySet:
    """The rows a relation points to."""
    related = field.related_model
    if not (isinstance(related, type) and issubclass(related, models.Model)):
        raise ValueError(f"{field.name} points to no model")
    return related._default_manager.all()


def stored_value(obj: models.Model, name: str) -> Any:
    """The value of field `name` of `obj` as a request keeps it (JSON): a related row by
    its primary key, many related rows as a sorted list of keys, a file by its name."""
    field = _field(obj, name)
    if field.many_to_many:
        if obj.pk is None:
            return []
        return sorted(getattr(obj, name).values_list("pk", flat=True))
    if isinstance(field, models.FileField):
        return getattr(obj, name).name or ""
    return getattr(obj, field.attname)


def snapshot(obj: models.Model, names) -> dict[str, Any]:
    return {name: stored_value(obj, name) for name in names}


def set_values(obj: models.Model, values: dict[str, Any]) -> dict[str, list]:
    """Put the request's values on `obj` (not saved); returns the many-to-many values,
    which can be set only once the row is saved."""
    later = {}
    for name, value in values.items():
        field = _field(obj, name)
        if field.many_to_many:
            later[name] = value
        else:
            setattr(obj, field.attname, value)
    return later


def changed_fields(change: ChangeRequest, current: models.Model) -> list[str]:
    """Fields whose value moved since the request was made: approving it would silently
    undo someone else's change."""
    before = change.payload.get("before", {})
    return [name for name, value in before.items() if stored_value(current, name) != value]


# -- reading a request -------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    label: str
    before: str
    after: str


def _display(field: models.Field, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field.many_to_many:
        rows = _rows_of(field).filter(pk__in=value)
        return ", ".join(str(row) for row in rows) or "—"
    if field.is_relation:
        row = _rows_of(field).filter(pk=value).first()
        return str(row) if row is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def describe(change: ChangeRequest) -> list[Line]:
    """Each field the request sets, with the value it replaces and the new one."""
    model = KIND_MODELS[change.kind]
    after = change.payload.get("after", {})
    before = change.payload.get("before", {})
    lines = []
    for name in REQUESTABLE[change.kind]:
        if name not in after:
            continue
        field = _field(model, name)
        if name in SECRET_FIELDS:
            old = _("the current secret") if change.target_id else "—"
            new = _("a new secret") if after[name] else "—"
        else:
            old = _display(field, before.get(name)) if change.target_id else "—"
            new = _display(field, after[name])
        if old == new == "—":
            continue  # a field a new object leaves empty says nothing
        lines.append(Line(str(capfirst(field.verbose_name)), old, new))
    return lines


def title(change: ChangeRequest) -> str:
    """One line naming what the request changes."""
    model = KIND_MODELS[change.kind]
    values = {**change.payload.get("before", {}), **change.payload.get("after", {})}
    if change.kind == Kind.ROLE_ASSIGNMENT:
        assignment = RoleAssignment()
        set_values(assignment, {k: v for k, v in values.items() if k != "user"})
        user_id = values.get("user")
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None
        return f"{assignment} → {user.get_username() if user else '?'}"
    existing = model._default_manager.filter(pk=change.target_id).first()
    name = values.get("name") or (str(existing) if existing else "")
    return str(name)


def role_scope(values: dict[str, Any]) -> int | None:
    """The province whose administrators decide a role assignment with these values."""
    assignment = RoleAssignment()
    set_values(assignment, {k: v for k, v in values.items() if k != "user"})
    return assignment.province_id_in_scope
