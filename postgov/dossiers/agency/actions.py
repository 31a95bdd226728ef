"""What the agency does with a dossier, from its web inbox or its own system (the API).

Each function checks what the workflow table cannot (a reason from the list, the missing
documents, a new date before the due date...) and moves the dossier through `perform`,
which checks the role and place, writes the event and the audit record and runs the hooks
(clock, legs, citizen notice, webhooks, portal sync). The form that goes with each step
(Circular 03/2025 Forms 02–05) is rendered from the event it writes, so it is the record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from postgov.audit.actions import record
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.clock import deadline, is_late
from postgov.dossiers.models import Dossier, DossierEvent, EventAttachment, ResultDocument
from postgov.dossiers.workflow import State
from postgov.lib.locking import lock_one


class RefusalReason(models.TextChoices):
    NOT_COMPETENT = "NOT_COMPETENT", gettext_lazy("Not within this agency's competence")
    NOT_ELIGIBLE = "NOT_ELIGIBLE", gettext_lazy("The applicant is not eligible")
    INVALID = "INVALID", gettext_lazy("Documents invalid or not genuine")
    NOT_BY_POST = "NOT_BY_POST", gettext_lazy("The procedure requires personal presence")
    OTHER = "OTHER", gettext_lazy("Other reason (explained below)")


class StopReason(models.TextChoices):
    NO_SUPPLEMENT = "NO_SUPPLEMENT", gettext_lazy("The supplement did not arrive in time")
    NO_PAYMENT = "NO_PAYMENT", gettext_lazy("The financial obligation was not paid")
    LEGAL_OBSTACLE = "LEGAL", gettext_lazy("A legal obstacle prevents a decision")
    OTHER = "OTHER", gettext_lazy("Other reason (explained below)")


# Actions the agency may take, in the order its pages offer them.
AGENCY_ACTIONS = (
    "accept",
    "start_processing",
    "request_supplement",
    "supplement_received",
    "request_payment",
    "payment_received",
    "extend",
    "result_ready",
    "refuse",
    "stop",
    "withdraw",
    "deliver_at_agency",
)
# The form each action produces (Circular 03/2025), keyed by action.
FORM_OF_ACTION = {
    "hand_over": "01",
    "request_supplement": "02",
    "refuse": "03",
    "extend": "04",
    "stop": "05",
}

ALLOWED_RESULT_TYPES = {
    b"%PDF": "application/pdf",
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
MAX_RESULT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10


@dataclass
class ResultFile:
    name: str
    content: bytes
    number: str = ""
    issued_on: date | None = None


@dataclass
class Who:
    """Who acts: a logged-in person (actor + access), or an agency's system through the API
    (access None; `via` says which agency and key, for the record)."""

    actor: Any = None
    access: Any = None
    request: Any = None
    via: dict[str, Any] = field(default_factory=dict)
    # Documents attached to the step (name, sha256, size, type), written into the event.
    attachments: list[dict[str, Any]] = field(default_factory=list)


def sniff_type(content: bytes) -> str | None:
    for magic, content_type in ALLOWED_RESULT_TYPES.items():
        if content.startswith(magic):
            return content_type
    return None


def _clean_lines(lines) -> list[str]:
    return [str(line).strip()[:300] for line in (lines or []) if str(line).strip()][:30]


def _checked_files(files, type_error: str) -> list[tuple[ResultFile, str]]:
    """Each file with its sniffed content type; refuses what is too big or not a PDF,
    PNG or JPEG (whatever its name says)."""
    checked = []
    for upload in files:
        if len(upload.content) > MAX_RESULT_BYTES:
            raise TransitionError(_("A file is larger than 10 MB."))
        content_type = sniff_type(upload.content)
        if content_type is None:
            raise TransitionError(type_error)
        checked.append((upload, content_type))
    return checked


def _extension(content_type: str) -> str:
    return {"application/pdf": "pdf", "image/png": "png"}.get(content_type, "jpg")


def act(
    dossier_id: int, action: str, who: Who, files: list[ResultFile] | None = None, **data
) -> tuple[Dossier, DossierEvent]:
    """Do `action` with its data; raises TransitionError with a message for the person.
    `files`: the result scans for "result_ready"; for any other step, documents attached
    to it (e.g. Form 02's annex, a refusal letter), stored with their SHA-256."""
    handler = _HANDLERS.get(action)
    if handler is None:
        raise TransitionError(_("Unknown action."))
    if action == "result_ready":
        return handler(dossier_id, who, files=files, **data)
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise TransitionError(_("Attach at most 10 files."))
    if not files:
        return handler(dossier_id, who, **data)
    checked = _checked_files(files, _("Attached files must be PDF, PNG or JPEG."))
    rows = []
    for upload, content_type in checked:
        rows.append(
            {
                "name": (upload.name or _("Attached document")).strip()[:300],
                "original_name": (upload.name or "")[:200],
                "content_type": content_type,
                "size": len(upload.content),
                "sha256": hashlib.sha256(upload.content).hexdigest(),
            }
        )
    with transaction.atomic():
        who = replace(
            who,
            attachments=[
                {k: row[k] for k in ("name", "sha256", "size", "content_type")} for row in rows
            ],
        )
        dossier, event = handler(dossier_id, who, **data)
        for (upload, _content_type), row in zip(checked, rows, strict=True):
            attachment = EventAttachment(dossier=dossier, event=event, created_by=who.actor, **row)
            attachment.file.save(
                f"{row['sha256'][:16]}.{_extension(row['content_type'])}",
                ContentFile(upload.content),
                save=False,
            )
            attachment.save()
    return dossier, event


def _perform(dossier_id, action, who: Who, *, note="", reason_code="", details=None, **kw):
    return perform(
        dossier_id,
        action,
        actor=who.actor,
        access=who.access,
        request=who.request,
        note=(note or "").strip()[:2000],
        reason_code=reason_code,
        details={
            **(details or {}),
            **({"via": who.via} if who.via else {}),
            **({"attachments": who.attachments} if who.attachments else {}),
        },
        **kw,
    )


def _simple(action: str):
    def handler(dossier_id, who: Who, note: str = "", **_ignored):
        return _perform(dossier_id, action, who, note=note)

    return handler


def refuse(dossier_id, who: Who, reason_code: str = "", note: str = "", **_ignored):
    if reason_code not in RefusalReason.values:
        raise TransitionError(_("Choose the reason for the refusal."))
    if reason_code == RefusalReason.OTHER and not note.strip():
        raise TransitionError(_("Explain the reason for the refusal."))
    return _perform(dossier_id, "refuse", who, note=note, reason_code=reason_code)


def request_supplement(dossier_id, who: Who, missing=None, note: str = "", **_ignored):
    missing = _clean_lines(missing)
    if not missing:
        raise TransitionError(_("List what the citizen must add or correct."))
    return _perform(
        dossier_id,
        "request_supplement",
        who,
        note=note or "; ".join(missing),
        details={"missing": missing},
    )


def request_payment(dossier_id, who: Who, amount: int | None = None, note: str = "", **_ignored):
    if not isinstance(amount, int) or amount <= 0 or amount > 10_000_000_000:
        raise TransitionError(_("Give the amount to pay, in đồng."))
    if not note.strip():
        raise TransitionError(_("Say what the payment is for."))
    return _perform(dossier_id, "request_payment", who, note=note, details={"amount": amount})


def extend(
    dossier_id, who: Who, new_due: datetime | None = None, note: str = "", at=None, **_ignored
):
    """Form 04: an apology and a new date. Due before the dossier goes late; one issued
    after it (the dossier is late, or its result is published late) says so and leaves
    the agency's leg late."""
    now = at or timezone.now()
    if new_due is None:
        raise TransitionError(_("Give the new date for the result."))
    if not note.strip():
        raise TransitionError(_("Give the reason for the delay."))
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        if dossier.due_at is None or dossier.clock_paused_at is not None:
            raise TransitionError(_("The deadline is not running: there is nothing to extend."))
        late = is_late(dossier.due_at, now)
        if late and new_due <= now:
            raise TransitionError(_("The new date must be later than now."))
        if new_due <= dossier.due_at:
            raise TransitionError(_("The new date must be after the current due date."))
        previous_due = dossier.due_at

        def apply(d: Dossier) -> list[str]:
            d.due_at = new_due
            return ["due_at"]

        return _perform(
            dossier_id,
            "extend",
            who,
            note=note,
            apply=apply,
            at=at,
            details={
                "previous_due": previous_due.isoformat(),
                "new_due": new_due.isoformat(),
                "late": late,
            },
        )


def stop(dossier_id, who: Who, reason_code: str = "", note: str = "", **_ignored):
    if reason_code not in StopReason.values:
        raise TransitionError(_("Choose the reason for stopping."))
    if reason_code == StopReason.OTHER and not note.strip():
        raise TransitionError(_("Explain the reason for stopping."))
    return _perform(dossier_id, "stop", who, note=note, reason_code=reason_code)


def withdraw(dossier_id, who: Who, note: str = "", **_ignored):
    if not note.strip():
        raise TransitionError(_("Record how the citizen asked to withdraw (e.g. their letter)."))
    return _perform(dossier_id, "withdraw", who, note=note)


class ApologyRequired(TransitionError):
    """The result comes after the due date: Form 04 (the reason for the delay and the
    new appointment) must go with it."""


def result_ready(
    dossier_id,
    who: Who,
    documents=None,
    files: list[ResultFile] | None = None,
    note="",
    late_reason: str = "",
    new_due: datetime | None = None,
    **_ignored,
):
    """The result documents (names, numbers, dates) and their scans, then the transition.
    A result published after the due date is flagged late and needs Form 04 with it: the
    reason for the delay (`late_reason`) and when the citizen will have the result
    (`new_due`), issued first, as an "extend" event."""
    documents = [d for d in (documents or []) if (d.get("name") or "").strip()][:20]
    files = list(files or [])[:10]
    if not documents and not files:
        raise TransitionError(_("Name at least one result document."))
    checked = _checked_files(files, _("Result files must be PDF, PNG or JPEG."))
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        info = deadline(dossier)
        details: dict[str, Any] = {}
        if info.late:
            if not late_reason.strip() or new_due is None:
                raise ApologyRequired(
                    _(
                        "This result is late (it was due %(due)s): give the reason for the "
                        "delay and the new date the citizen will have it. They go to the "
                        "citizen as Form 04, the apology and new appointment."
                    )
                    % {"due": f"{timezone.localtime(info.due_at):%H:%M %d/%m/%Y}"}
                )
            _dossier, apology = extend(dossier_id, who, new_due=new_due, note=late_reason)
            details = {
                "late": True,
                "due_at": info.due_at.isoformat(),
                "apology_event": apology.pk,
            }
        # The documents are written before the step, in its transaction: what follows the
        # step (a linked package's next part setting off with this result, decision 0024)
        # reads them. The scans' files go after it, so a refused step leaves none behind.
        created = []
        for doc in documents:
            created.append(
                ResultDocument.objects.create(
                    dossier=dossier,
                    name=doc["name"].strip()[:300],
                    number=(doc.get("number") or "").strip()[:60],
                    issued_on=doc.get("issued_on"),
                    created_by=who.actor,
                )
            )
        dossier, event = _perform(dossier_id, "result_ready", who, note=note, details=details)
        for upload, content_type in checked:
            digest = hashlib.sha256(upload.content).hexdigest()
            row = ResultDocument(
                dossier=dossier,
                name=(upload.name or _("Scan of the result")).strip()[:300],
                number=upload.number[:60],
                issued_on=upload.issued_on,
                original_name=upload.name[:200],
                content_type=content_type,
                size=len(upload.content),
                sha256=digest,
                created_by=who.actor,
            )
            row.file.save(
                f"{digest[:16]}.{_extension(content_type)}", ContentFile(upload.content), save=False
            )
            row.save()
            created.append(row)
    return dossier, event


def acknowledge(dossier_id: int, agency_reference: str, who: Who) -> Dossier:
    """The agency's system confirms it registered the dossier under its own number. Not a
    change of state: recorded on the dossier and in the audit trail."""
    with transaction.atomic():
        dossier = lock_one(Dossier, dossier_id)
        if dossier.status in (State.DRAFT, State.CANCELLED):
            raise TransitionError(_("This dossier was never sent to the agency."))
        dossier.agency_reference = agency_reference.strip()[:60]
        dossier.acknowledged_at = timezone.now()
        dossier.save(update_fields=["agency_reference", "acknowledged_at", "updated_at"])
        record(
            "dossier.acknowledged",
            actor=who.actor,
            request=who.request,
            obj=dossier,
            agency_id=dossier.agency_id,
            details={"reference": dossier.agency_reference, **who.via},
        )
    return dossier


_HANDLERS = {
    "accept": _simple("accept"),
    "start_processing": _simple("start_processing"),
    "supplement_received": _simple("supplement_received"),
    "payment_received": _simple("payment_received"),
    "deliver_at_agency": _simple("deliver_at_agency"),
    "refuse": refuse,
    "request_supplement": request_supplement,
    "request_payment": request_payment,
    "extend": extend,
    "stop": stop,
    "withdraw": withdraw,
    "result_ready": result_ready,
}
