"""Every change of a dossier's state goes through `perform`, which reads the workflow table,
checks the actor's role and place, locks the dossier, writes the event and the audit
record, and queues what follows (citizen notice, integrations) in the same transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.audit.actions import chained_at_end, record
from postgov.dossiers.models import Dossier, DossierEvent, DossierRating, Scan
from postgov.dossiers.workflow import (
    STATES,
    SYSTEM,
    Scope,
    State,
    Transition,
    actions_from,
    transition,
)
from postgov.lib.hooks import Hooks
from postgov.lib.locking import lock_one
from postgov.notify.actions import queue_message
from postgov.places import positions

if TYPE_CHECKING:
    from postgov.identity.access import Access


class TransitionError(Exception):
    """An action that is not allowed now, or not for this person. The message says why."""


# Called after every transition, inside its transaction: fn(dossier, event). The legs, the
# citizen's notices and the integrations (agency webhooks, national-portal sync) register
# here instead of being called from every place that changes a dossier.
AFTER_TRANSITION: Hooks[Callable[[Dossier, DossierEvent], None]] = Hooks("after transition")
# Called inside the transaction before the dossier is saved: fn(dossier, step, moment)
# returns the names of further fields it set. Rules that follow from the workflow table
# itself (the legal clock) live here, so every caller — page, API, command — gets them.
BEFORE_SAVE: Hooks[Callable[[Dossier, Transition, Any], list[str]]] = Hooks("before save")
# Called instead of AFTER_TRANSITION for practice dossiers (decision 0019): the hooks that
# tell agencies, the national portal and citizens never hear of practice work, and the
# training app marks the trainee's work here.
AFTER_PRACTICE: Hooks[Callable[[Dossier, DossierEvent], None]] = Hooks("after practice")
# What practice work may do: be sealed at the counter or cancelled as a draft. Everything
# after the seal would carry it to an agency.
PRACTICE_ACTIONS = frozenset({"seal", "cancel"})


def scope_place_id(dossier: Dossier, scope: str) -> int | None:
    if scope == Scope.POINT:
        return dossier.receiving_point_id
    if scope == Scope.AGENCY:
        return dossier.agency_id
    return dossier.return_point_id or dossier.receiving_point_id


def acting_role(dossier: Dossier, step: Transition, access: Access) -> str | None:
    """The role under which this person may perform the step on this dossier, if any."""
    place = scope_place_id(dossier, step.scope)
    for role in sorted(step.roles):
        if step.scope == Scope.AGENCY:
            if access.can_act_for_agency(place, role):
                return role
        elif access.can_act_at_point(place, role):
            return role
    return None


def allowed_actions(dossier: Dossier, access: Access) -> list[Transition]:
    return [
        t
        for t in actions_from(dossier.status)
        if acting_role(dossier, t, access)
        and (not dossier.practice or t.action in PRACTICE_ACTIONS)
    ]


def perform(
    dossier_id: int,
    action: str,
    *,
    actor: Any = None,
    access: Access | None = None,
    request: HttpRequest | None = None,
    note: str = "",
    reason_code: str = "",
    action_code: str = "",
    details: dict[str, Any] | None = None,
    apply: Callable[[Dossier], list[str]] | None = None,
    at: datetime | None = None,
    locked: Dossier | None = None,
) -> tuple[Dossier, DossierEvent]:
    """Move the dossier by `action`. `access` None means the system itself is acting (a
    scheduled task or an authenticated integration that checked its own rights).
    `apply(dossier)` may set further fields and returns their names to save. `locked` is
    the dossier's row when the caller already locked it in the current transaction."""
    step = transition(action)
    # A caller that locked the row owns the transaction: a refusal here fails the
    # caller's block, so no savepoint of our own.
    with transaction.atomic(savepoint=locked is None), chained_at_end():
        if locked is not None and locked.pk == dossier_id:
            dossier = locked
        else:
            dossier = lock_one(Dossier, dossier_id)
        if dossier.practice and action not in PRACTICE_ACTIONS:
            raise TransitionError(_("A practice dossier never leaves the counter."))
        if dossier.status not in step.sources:
            raise TransitionError(
                _("This action (%(action)s) is not possible while the dossier is “%(state)s”.")
                % {"action": step.label, "state": State(dossier.status).label}
            )
        role: str | None
        if access is None:
            role = SYSTEM
        else:
            role = acting_role(dossier, step, access)
            if role is None:
                raise TransitionError(
                    _("You may not do this (%(action)s) for this dossier.") % {"action": step.label}
                )
        if step.needs_reason and not (note.strip() or reason_code):
            raise TransitionError(_("Please give the reason."))
        previous = dossier.status
        moment = at or timezone.now()
        dossier.status = step.target
        changed = ["status", "updated_at"]
        for rule in BEFORE_SAVE:
            changed += rule(dossier, step, moment)
        if apply is not None:
            changed += apply(dossier)
        dossier.save(update_fields=sorted(set(changed)))
        event = DossierEvent.objects.create(
            dossier=dossier,
            province_id=dossier.province_id,
            action=action,
            code=step.event_code,
            from_status=previous,
            to_status=step.target,
            national_status=STATES[step.target].national_status,
            at=moment,
            actor=actor,
            actor_role=role if role != SYSTEM else "",
            service_point_id=dossier.receiving_point_id if step.scope != Scope.AGENCY else None,
            agency_id=dossier.agency_id if step.scope == Scope.AGENCY else None,
            reason_code=reason_code,
            action_code=action_code,
            note=note,
            details=details or {},
        )
        record(
            f"dossier.{action}",
            request=request,
            actor=actor,
            obj=dossier,
            role=role,
            service_point_id=event.service_point_id,
            agency_id=event.agency_id,
            details={"from": previous, "to": step.target, "reason": reason_code},
        )
        for hook in AFTER_PRACTICE if dossier.practice else AFTER_TRANSITION:
            hook(dossier, event)
    return dossier, event


def visible_dossiers(
    access: Access, queryset: QuerySet[Dossier] | None = None, *, practice: bool = False
) -> QuerySet[Dossier]:
    """The dossiers a person may see: those received at or returned through their post
    offices, those of their agencies, and (oversight) those of their provinces. Real work
    or practice work, never both: a trainee in training sees only practice dossiers,
    everyone else (lists, inboxes, reports) only real ones."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    queryset = queryset.filter(practice=practice)
    return access.scope(
        queryset,
        point_field=("receiving_point", "return_point"),
        agency_field="agency",
        province_field="province",
    )


# Who may confirm a delivery address's position at the door.
DOOR_ROLES = ("postman", "supervisor")


def confirm_return_position(
    dossier_id: int,
    latitude: float | None,
    longitude: float | None,
    *,
    actor: Any,
    access: Access,
    request: HttpRequest | None = None,
) -> Dossier:
    """The postman at the door records the phone's position as the delivery address's.
    TransitionError when the position is far from the address's commune."""
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        point_id = dossier.return_point_id or dossier.receiving_point_id
        if not access.can_act_at_point(point_id, *DOOR_ROLES):
            raise TransitionError(_("You cannot act on this dossier."))
        if not dossier.return_address:
            raise TransitionError(_("This dossier has no delivery address."))
        try:
            position = positions.checked(
                latitude, longitude, dossier.return_commune, positions.Source.DOOR
            )
        except positions.PositionError as exc:
            raise TransitionError(str(exc)) from None
        previous = dossier.return_position_source
        dossier.return_latitude, dossier.return_longitude = position.latitude, position.longitude
        dossier.return_vpostcode = position.vpostcode
        dossier.return_position_source = position.source
        dossier.save(
            update_fields=[
                "return_latitude",
                "return_longitude",
                "return_vpostcode",
                "return_position_source",
                "updated_at",
            ]
        )
        record(
            "dossier.position_confirmed",
            request=request,
            actor=actor,
            obj=dossier,
            service_point_id=point_id,
            details={"source": position.source, "previous": previous},
        )
    return dossier


@transaction.atomic
def note_tracking_anomaly(misses: int) -> None:
    """The public tracking saw more failed lookups in a minute than it allows (someone
    walking through codes): kept in the audit trail, once per minute it happens."""
    record(
        "tracking.anomaly",
        object_type="tracking",
        details={"failed_lookups_per_minute": misses},
    )


def _remove_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def delete_practice(class_id: int, *, actor: Any, request: HttpRequest | None = None) -> int:
    """Delete a training class's practice dossiers with their events and checklists
    (decision 0019): practice work leaves no row and no scanned page behind when a class
    starts again. Only rows marked practice are touched. Returns how many dossiers went."""
    with transaction.atomic():
        practice = Dossier.objects.filter(practice=True, practice_class_id=class_id)
        ids = list(practice.values_list("pk", flat=True))
        codes = sorted(c for c in practice.values_list("code", flat=True) if c)
        if not ids:
            return 0
        scans = Scan.objects.filter(dossier_id__in=ids, dossier__practice=True)
        files = [name for name in scans.values_list("file", flat=True) if name]
        DossierEvent.objects.filter(dossier_id__in=ids, dossier__practice=True).delete()
        Dossier.objects.filter(pk__in=ids, practice=True).delete()
        # Files are removed only once the rows are gone for good: a rollback keeps both.
        transaction.on_commit(lambda: _remove_files(files))
        record(
            "dossier.practice_deleted",
            request=request,
            actor=actor,
            object_type="training.trainingclass",
            object_id=class_id,
            details={"count": len(ids), "codes": codes[:50]},
        )
    return len(ids)


# -- the citizen's rating of a delivered dossier -------------------------------------------

# How long the link in the SMS opens the rating page.
RATING_DAYS = 30
COMMENT_LENGTH = 500


class RatingError(Exception):
    """A rating that cannot be taken (already given, link expired, stars out of range)."""


def rating_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ask_for_rating(dossier: Dossier, event: DossierEvent) -> None:
    """After a delivered result (to the door, at the post office or at the agency's desk):
    a rating invitation and its SMS, in the step's transaction. Practice dossiers never
    reach this hook (AFTER_PRACTICE)."""
    if event.to_status != State.DELIVERED or not dossier.applicant_phone or dossier.practice:
        return
    if DossierRating.objects.filter(dossier=dossier).exists():
        return
    token = secrets.token_urlsafe(18)
    DossierRating.objects.create(
        dossier=dossier,
        token_hash=rating_token_hash(token),
        invited_at=event.at,
        expires_at=event.at + timedelta(days=RATING_DAYS),
    )
    url = settings.SITE_URL + reverse("dossiers:rate", args=[token])
    # The link is the only key to the page: the stored message keeps it masked.
    queue_message(
        "sms",
        dossier.applicant_phone,
        "dossier_rating",
        {"code": dossier.code or "", "url": url},
        about=dossier,
        secrets=("url",),
    )


def rating_for_token(token: str) -> DossierRating | None:
    if not token or len(token) > 64:
        return None
    return (
        DossierRating.objects.select_related("dossier")
        .filter(token_hash=rating_token_hash(token))
        .first()
    )


def rate_dossier(
    rating: DossierRating,
    stars: int,
    comment: str = "",
    *,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> DossierRating:
    """The citizen's 1–5 stars and optional comment; once per dossier, while the link
    is valid."""
    if stars not in range(1, 6):
        raise RatingError(_("Choose from 1 to 5 stars."))
    moment = now or timezone.now()
    with transaction.atomic():
        rating = lock_one(DossierRating, rating.pk)
        if rating.stars is not None:
            raise RatingError(_("This dossier has already been rated. Thank you."))
        if rating.expires_at <= moment:
            raise RatingError(_("This rating link has expired."))
        rating.stars = stars
        rating.comment = " ".join(comment.split())[:COMMENT_LENGTH]
        rating.rated_at = moment
        rating.save(update_fields=["stars", "comment", "rated_at"])
        dossier = rating.dossier
        # The comment is the citizen's own words: it stays out of the audit log.
        record(
            "dossier.rated",
            request=request,
            obj=dossier,
            agency_id=dossier.agency_id,
            details={"stars": stars, "commented": bool(rating.comment)},
        )
    return rating
