"""Sealing a draft in one transaction (code, items, seal and receipt numbers, state change,
the citizen's message), the expected return, and the dispatch of the day's sealed dossiers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from postgov.agencies.calendar import calendar_for
from postgov.audit.actions import chained_at_end
from postgov.catalog import catalog_access
from postgov.catalog.models import ProcedureVersion
from postgov.delivery import actions as delivery
from postgov.delivery.models import PostalItem
from postgov.dossiers.actions import TransitionError, perform
from postgov.dossiers.intake.common import IntakeError, can_receive_at
from postgov.dossiers.intake.drafts import missing_documents, postal_refusal
from postgov.dossiers.intake.fees import (
    uses_outbound,
    uses_return,
)
from postgov.dossiers.intake.pricing import (
    ROUTE_FIELDS,
    Quote,
    RouteAndFees,
    apply_quote,
    apply_route_and_fees,
    check_route_and_fees,
    quote,
    route_details,
)
from postgov.dossiers.models import (
    Dossier,
    DossierDocument,
    PaymentMethod,
    ReturnMethod,
)
from postgov.dossiers.numbering import practice_numbers, seal_numbers
from postgov.dossiers.workflow import STATES, State
from postgov.lib import tracking_links
from postgov.lib.locking import lock_row
from postgov.lib.pdf import vnd
from postgov.lib.phones import to_e164
from postgov.lib.text import unaccent
from postgov.notify.actions import queue_message

SEAL_RELATED = (
    "receiving_point__commune__province",
    "agency",
    "procedure_version__procedure",
    "fee_option",
    "return_commune",
    "return_point__commune",
    "applicant_commune",
)


def seal_problems(dossier: Dossier, result: Quote | None = None, documents=None) -> list[str]:
    problems: list[str] = []
    version = dossier.procedure_version
    if not version.postal_allowed:
        problems.append(postal_refusal(version))
    current = catalog_access.cached_version_in_force(version.procedure_id)
    if current is None or current.pk != version.pk:
        problems.append(_("The procedure changed since this draft was saved: start a new dossier."))
    if version.postal_check_allowed:
        for doc in missing_documents(dossier, documents):
            problems.append(_("Missing: %(document)s") % {"document": doc.name})
    if not uses_outbound(dossier.service_option) and not uses_return(
        dossier.service_option, dossier.return_method
    ):
        problems.append(_("With these choices the post carries nothing: check the service."))
    if dossier.agency_id is None:
        problems.append(_("Choose the agency that will receive the dossier."))
    if uses_return(dossier.service_option, dossier.return_method):
        if dossier.return_method == ReturnMethod.DELIVER and not (
            dossier.return_address and dossier.return_commune_id
        ):
            problems.append(_("Give the delivery address and its commune."))
        if dossier.return_method == ReturnMethod.HOLD and not dossier.return_point_id:
            problems.append(_("Choose the post office where the result will wait."))
    if dossier.exemption_id and not dossier.exemption_note.strip():
        problems.append(_("Note the proof of the exemption (e.g. the card number)."))
    result = result or quote(dossier)
    problems += result.problems
    if result.total > 0:
        if not dossier.payment_method:
            problems.append(_("Record how the citizen paid."))
        elif dossier.payment_method == PaymentMethod.TRANSFER and not dossier.payment_reference:
            problems.append(_("Note the reference of the bank transfer."))
    return problems


OUTBOUND_STATES = (State.SEALED, State.IN_TRANSIT)


RETURN_STATES = (State.RESULT_READY, State.RESULT_COLLECTED, State.OUT_FOR_DELIVERY)


def post_days(states) -> Decimal:
    return Decimal(str(sum(STATES[s].sla_working_days or 0 for s in states)))


def expected_return(dossier: Dossier, sealed_at: datetime) -> datetime:
    """An estimate for the citizen, on the agency's calendar: the post's outbound legs at
    their service levels, then the procedure's own time limit, then the return legs."""
    calendar = calendar_for(dossier.agency)
    version = dossier.procedure_version
    handed_over = calendar.due_in_working_days(
        sealed_at, post_days(OUTBOUND_STATES), after_15h_next_day=False
    )
    if version.time_unit == ProcedureVersion.TimeUnit.WORKING_HOURS:
        due = calendar.due_in_working_hours(handed_over, version.processing_time)
    else:
        due = calendar.due_in_working_days(
            handed_over, version.processing_time, after_15h_next_day=version.next_day_after_15h
        )
    return calendar.due_in_working_days(due, post_days(RETURN_STATES), after_15h_next_day=False)


def seal(
    dossier_id: int,
    *,
    actor,
    access,
    request=None,
    seal_number: str = "",
    choices: RouteAndFees | None = None,
    draft: Dossier | None = None,
    documents: list[DossierDocument] | None = None,
    at: datetime | None = None,
    waiting: bool = False,
    notify: bool = True,
) -> tuple[Dossier, bool]:
    """Seal the draft in ONE transaction: dossier code, S10 item(s), seal and receipt
    numbers, the state change and its event, the pickup closed, the citizen's SMS queued.
    `choices` (agency, return, fees, payment), when given, are recorded with the seal as
    `save_route_and_fees` would, saving a round of writes for one-request intakes.
    `draft` is the draft object when the caller created it in the transaction it seals
    in (no one else can see the row yet, so it is neither locked nor read again), and
    `documents` its checklist as written. `at` is the moment of the seal when it is not
    now: a history recorded after the fact (the demo's dossiers sealed days ago) takes its
    codes, fees and deadlines from that day. `waiting`: a part of a linked package that
    waits for another part's result (decision 0024) is sealed into "waiting", not
    "sealed"; `notify` False leaves the citizen's message to the package.

    Returns (dossier, sealed_now); a dossier sealed now carries the postal items written
    for it as `sealed_items`. Sealing an already sealed dossier (a double submit)
    returns it unchanged with sealed_now False. Raises IntakeError listing what is
    missing, PermissionDenied for someone who may not receive at this point."""
    with transaction.atomic(), chained_at_end():
        # Locked and read with everything the checks, the numbers and the message need,
        # in one query; `perform` works on this same row.
        if draft is not None and draft.pk == dossier_id:
            dossier = draft
        else:
            dossier = lock_row(
                Dossier.objects.select_related(*SEAL_RELATED).filter(pk=dossier_id), of=("self",)
            )
            if dossier is None:
                raise Dossier.DoesNotExist(f"Dossier {dossier_id} does not exist")
        if not can_receive_at(access, dossier.receiving_point_id):
            raise PermissionDenied
        if dossier.status != State.DRAFT:
            if dossier.sealed_at is not None:
                return dossier, False
            raise TransitionError(_("This dossier was cancelled; it cannot be sealed."))
        if choices is not None:
            check_route_and_fees(dossier, choices)
            apply_route_and_fees(dossier, choices)
        now = at or timezone.now()
        today = timezone.localdate(now)
        result = quote(dossier, today)
        problems = seal_problems(dossier, result, documents if draft is not None else None)
        if problems:
            raise IntakeError(problems)
        point = dossier.receiving_point
        back = expected_return(dossier, now)
        legs = []
        if uses_outbound(dossier.service_option):
            legs.append((PostalItem.Leg.OUTBOUND, dossier.weight_g))
        if uses_return(dossier.service_option, dossier.return_method):
            # The result's weight is unknown at the counter: the base band is prepaid.
            legs.append((PostalItem.Leg.RETURN, PostalItem._meta.get_field("weight_g").default))
        # The S10 serials come from a sequence that locks nothing; the counters below stay
        # locked until commit, so they come after it, from the least to the most shared:
        # the point's own (seal, receipt), then the agency's gap-free dossier codes (and the
        # audit chain, which every clerk uses, last of all at the end of the block).
        if dossier.practice:
            # Practice takes no S10 serial and no real number (decision 0019).
            items: list[PostalItem] = []
            numbers = practice_numbers(point_code=point.code, day=today)
            seal_number = ""
        else:
            items = delivery.create_items(dossier, legs)
            numbers = seal_numbers(
                unit_code=dossier.agency.unit_code,
                point_code=point.code,
                day=today,
                seal=not seal_number.strip(),
                receipt=bool(result.total > 0 or dossier.procedure_fee),
            )
        seal_no = seal_number.strip()[:30] or numbers.seal_number
        receipt, code = numbers.receipt_number, numbers.code

        def apply(d: Dossier) -> list[str]:
            route = []
            if choices is not None:
                apply_route_and_fees(d, choices)
                route = ROUTE_FIELDS
            d.code = code
            d.seal_number = seal_no
            d.sealed_at = now
            d.receipt_number = receipt
            d.paid_at = now if result.total > 0 else None
            d.expected_return_at = back
            return [
                "code",
                "seal_number",
                "sealed_at",
                "receipt_number",
                "paid_at",
                "expected_return_at",
                *route,
                *apply_quote(d, result),
            ]

        sealed, _event = perform(
            dossier.pk,
            "seal_waiting" if waiting else "seal",
            actor=actor,
            access=access,
            request=request,
            apply=apply,
            at=now,
            locked=dossier,
            details={
                "code": code,
                "items": [i.item_id for i in items],
                "seal": seal_no,
                "receipt": receipt,
                **(route_details(dossier, choices) if choices is not None else {}),
                "total": result.total,
            },
        )
        if sealed.pickup_id:
            delivery.mark_collected(sealed.pickup_id, sealed, actor=actor, request=request)
        if notify and not sealed.practice:
            notify_sealed(sealed, items)
    # The API's answer shows the items just written: it need not read them back.
    sealed.sealed_items = items
    return sealed, True


def notify_sealed(dossier: Dossier, items: list[PostalItem]) -> None:
    tracking_code = items[0].item_id if items else dossier.code
    context = {
        "code": dossier.code,
        "item": tracking_code,
        "procedure": dossier.procedure_version.procedure.name,
        "point": dossier.receiving_point.name,
        "total_text": vnd(dossier.total_due),
        "expected": timezone.localtime(dossier.expected_return_at).date()
        if dossier.expected_return_at
        else None,
        # With the token: one tap shows the citizen their whole dossier.
        "track_url": tracking_links.link(dossier.code, dossier.pk),
    }
    sms_context = {
        **context,
        "procedure": unaccent(context["procedure"])[:60],
        "point": unaccent(context["point"]),
        "total_text": f"{dossier.total_due:,}".replace(",", ".") + " dong",
    }
    queue_message(
        "sms", to_e164(dossier.applicant_phone), "dossier_sealed", sms_context, about=dossier
    )
    queue_message("email", dossier.applicant_email, "dossier_sealed", context, about=dossier)


def dispatch(dossier_ids: list[int], *, actor, access, request=None) -> tuple[int, list[str]]:
    """Put sealed dossiers on the way to their agencies, each in its own transaction, so
    one refusal does not hold back the others. Returns (count done, messages)."""
    done, errors = 0, []
    for pk in sorted(set(dossier_ids)):
        try:
            perform(pk, "dispatch", actor=actor, access=access, request=request)
            done += 1
        except (TransitionError, Dossier.DoesNotExist) as exc:
            errors.append(str(exc))
    return done, errors
