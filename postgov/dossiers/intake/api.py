"""A whole intake in one JSON request: `POST /api/v1/dossiers/intakes`.

For clients that gather the dossier themselves and send it at once — the postman's phone
at a house with a poor connection (it may send again until it gets an answer), a counter
kiosk, an integration test. The request carries what the four steps of the wizard ask
for; it is checked by the same forms and applied by the same `intake` functions as the
pages, step by step (each step commits, as on the pages), then sealed.

Idempotent on `token` (the draft's intake token): sending the same intake again returns
the same sealed dossier (200), or resumes the kept draft when sealing had been refused.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status

from postgov.agencies.models import Agency
from postgov.audit.actions import chained_at_end
from postgov.catalog.models import ExemptCategory, Procedure, RequiredDocument
from postgov.delivery import actions as delivery
from postgov.delivery.models import PickupBooking
from postgov.dossiers.actions import TransitionError
from postgov.dossiers.intake import common as intake_common
from postgov.dossiers.intake import drafts, pricing, sealing
from postgov.dossiers.intake.forms import ApplicantForm, RouteFeesForm
from postgov.dossiers.models import Dossier, DossierDocument, ReturnMethod
from postgov.lib import refcache, tracking_links
from postgov.lib.forms import ModelChoiceField
from postgov.lib.idcard import IdCardError, parse_qr
from postgov.lib.problems import problem
from postgov.pagination import MAX_ID
from postgov.places import positions
from postgov.places.models import Commune, ServicePoint


class ApplicantIn(Schema):
    qr: str = Field("", description="The ID card's QR string; fills the fields below.")
    name: str = ""
    id_number: str = ""
    birth_date: date | None = None
    gender: str = Field("", description="male or female")
    phone: str
    email: str = ""
    address: str = ""
    commune: str = Field("", description="Current commune code (since 1 July 2025).")


class RepresentativeIn(Schema):
    name: str
    id_number: str
    document: str


class DocumentIn(Schema):
    position: int = Field(
        ge=0, le=32_767, description="The document's position in the catalog checklist."
    )
    present: bool = True
    form: str = Field("", description="original or copy (default: what the catalog asks)")
    pages: int = Field(1, ge=0, le=999)


class ReturnIn(Schema):
    method: str = Field(default="deliver", description="deliver, hold (at a post office) or agency")
    address: str = ""
    commune: str = ""
    point: str = Field(default="", description="Service point code, for hold.")
    latitude: float | None = Field(
        default=None,
        ge=-90,
        le=90,
        description="Where the delivery address is (WGS 84), with longitude; within 30 km "
        "of the commune's centre. Without it the commune's centre is used, as approximate.",
    )
    longitude: float | None = Field(default=None, ge=-180, le=180)


class ExemptionIn(Schema):
    code: str
    proof: str


class PaymentIn(Schema):
    method: str = Field(default="cash", description="cash or transfer")
    reference: str = ""


class IntakeIn(Schema):
    token: uuid.UUID = Field(description="A new UUID per dossier; the same on every retry.")
    point: str = Field("", description="Receiving service point code (default: yours).")
    pickup: str = Field("", description="Booking code of a home pickup.")
    procedure: str = Field(description="National procedure code.")
    service_option: str = "both"
    applicant: ApplicantIn
    representative: RepresentativeIn | None = None
    documents: list[DocumentIn] = []
    agency: str = Field("", description="Agency unit code (default: the proposed one).")
    return_: ReturnIn = Field(default_factory=ReturnIn, alias="return")
    fee_option: int | None = Field(
        None, ge=1, le=MAX_ID, description="Fee id (default: the default option)."
    )
    post_collects_fee: bool = True
    weight_g: int = Field(100, ge=1, le=30_000)
    exemption: ExemptionIn | None = None
    payment: PaymentIn = Field(default_factory=PaymentIn)
    seal_number: str = ""


class IntakeOut(Schema):
    id: int
    code: str
    status: str
    items: list[str]
    total_due: int
    receipt_number: str
    seal_number: str
    print_url: str
    track_url: str
    return_vpostcode: str = Field(
        "", description="The delivery address's Vpostcode, from its position (may be empty)."
    )
    return_position_source: str = Field(
        "", description="pin (the position given), commune (its centre: approximate) or empty."
    )


class Refused(Exception):
    def __init__(self, errors: list[dict], dossier: Dossier | None = None, status: int = 422):
        self.errors, self.dossier, self.status = errors, dossier, status


def _errors(form, prefix: str) -> list[dict]:
    return [
        {"loc": [prefix] if name == "__all__" else [prefix, name], "msg": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]


def _out(dossier: Dossier) -> dict:
    # A dossier sealed in this request holds its items (`sealing.seal`); a retried one
    # reads them.
    if dossier.code is None:
        raise ValueError(f"dossier {dossier.pk} is answered as sealed without a code")
    held = getattr(dossier, "sealed_items", None)
    items = [item.item_id for item in (dossier.items.all() if held is None else held)]
    return {
        "id": dossier.pk,
        "code": dossier.code,
        "status": dossier.status,
        "items": items,
        "total_due": dossier.total_due,
        "receipt_number": dossier.receipt_number,
        "seal_number": dossier.seal_number,
        "print_url": reverse("dossiers:print", args=[dossier.pk, "all"]),
        "track_url": tracking_links.link(items[0] if items else dossier.code, dossier.pk),
        "return_vpostcode": dossier.return_vpostcode,
        "return_position_source": dossier.return_position_source,
    }


def _points(request, payload: IntakeIn) -> tuple[list[ServicePoint], PickupBooking | None]:
    booking = None
    if payload.pickup:
        booking = (
            PickupBooking.objects.select_related("service_point__commune")
            .filter(code=payload.pickup.upper())
            .first()
        )
        if booking is None or not delivery.can_visit(request.access, booking):
            raise Refused([{"loc": ["pickup"], "msg": "Unknown booking."}], status=404)
        if booking.status != PickupBooking.Status.ASSIGNED:
            raise Refused([{"loc": ["pickup"], "msg": "The booking is not assigned."}], status=409)
        return [booking.service_point], booking
    points = intake_common.intake_points(request.access)
    if payload.point:
        points = [p for p in points if p.code == payload.point]
    if not points:
        raise PermissionDenied
    return points[:1], None


def _by_code(model, code: str):
    """A procedure or commune by its national code, from the process's reference data."""
    return refcache.get(
        f"{model._meta.label}.by_code", code, lambda: model.objects.filter(code=code).first()
    )


def _applicant_data(
    payload: IntakeIn, point: ServicePoint, procedure_id: int | None
) -> tuple[dict, Commune | None]:
    """The wizard's first step as the form takes it, and the commune it names."""
    a = payload.applicant
    data = {
        "action": "next",
        "token": str(payload.token),
        "point": str(point.pk),
        "name": a.name,
        "id_number": a.id_number,
        "birth_date": a.birth_date.strftime("%d/%m/%Y") if a.birth_date else "",
        "gender": a.gender,
        "address": a.address,
        "phone": a.phone,
        "email": a.email,
        "service_option": payload.service_option,
        "procedure": str(procedure_id or ""),
        "commune": "",
    }
    if a.qr:
        try:
            card = parse_qr(a.qr)
        except IdCardError as exc:
            raise Refused([{"loc": ["applicant", "qr"], "msg": str(exc)}]) from exc
        data.update(
            name=card.full_name,
            id_number=card.id_number,
            birth_date=card.birth_date.strftime("%d/%m/%Y"),
            gender=card.gender,
            address=a.address or card.address,
        )
    commune = None
    if a.commune:
        commune = _by_code(Commune, a.commune)
        data["commune"] = str(commune.pk) if commune else "-1"
    elif data["address"]:
        conversion = intake_common.address_conversion(data["address"])
        if conversion is not None and conversion.commune is not None:
            commune = conversion.commune
            data["commune"] = str(commune.pk)
            data["address"] = conversion.street
    if payload.representative:
        r = payload.representative
        data.update(
            representative_name=r.name,
            representative_id_number=r.id_number,
            representative_document=r.document,
        )
    return data, commune


def submit(request, payload: IntakeIn):
    """The endpoint's body: returns an HttpResponse (problem) or (status, IntakeOut)."""
    try:
        try:
            return _submit(request, payload)
        except IntegrityError:
            # A request with the same token (a double submit) drafted between this one's
            # look-up and its insert; this one rolled back, and now finds that draft.
            return _submit(request, payload)
    except PermissionDenied:
        return problem(request, 403, _("Not allowed."))
    except Refused as refused:
        detail = _("The dossier was not sealed.")
        if refused.dossier is None:
            return problem(request, refused.status, detail, errors=refused.errors)
        return problem(
            request, refused.status, detail, errors=refused.errors, dossier=refused.dossier.pk
        )


def _made_by(token: uuid.UUID) -> Dossier | None:
    """The dossier an earlier request with this token made (a retry), else None. Nearly
    every request is new: the probe reads one indexed id, the row only when it exists."""
    field = Dossier._meta.get_field("intake_token")
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model, the value bound.
            f"SELECT {Dossier._meta.pk.column} FROM {Dossier._meta.db_table} "  # noqa: S608
            f"WHERE {field.column} = %s",
            [field.get_db_prep_value(token, connection)],
        )
        row = cursor.fetchone()
    return Dossier.objects.get(pk=row[0]) if row else None


def _submit(request, payload: IntakeIn):
    existing = _made_by(payload.token)
    if existing is not None:
        if not intake_common.can_receive_at(request.access, existing.receiving_point_id):
            raise Refused([{"loc": ["token"], "msg": "Token already used."}], status=409)
        if existing.sealed_at is not None:
            return Status(200, _out(existing))
    points, booking = _points(request, payload)
    procedure = _by_code(Procedure, payload.procedure)
    if procedure is None:
        raise Refused([{"loc": ["procedure"], "msg": "Unknown procedure code."}])
    province_id = points[0].commune.province_id
    data, commune = _applicant_data(payload, points[0], procedure.pk)
    form = ApplicantForm(data, points=points, province_id=province_id)
    procedure_field, commune_field = form.fields["procedure"], form.fields["commune"]
    # The form's own fields, which take rows the request already holds.
    assert isinstance(procedure_field, ModelChoiceField)
    assert isinstance(commune_field, ModelChoiceField)
    procedure_field.known(procedure)
    if commune is not None and commune.province_id == province_id:
        commune_field.known(commune)
    if not form.is_valid():
        raise Refused(_errors(form, "applicant"), existing)
    data = form.cleaned_data
    applicant = intake_common.Applicant(
        name=data["name"],
        id_number=data["id_number"],
        phone=data["phone"],
        birth_date=data.get("birth_date"),
        gender=data.get("gender") or "",
        email=data.get("email") or "",
        address=data.get("address") or "",
        commune=data.get("commune"),
        representative_name=data.get("representative_name") or "",
        representative_id_number=data.get("representative_id_number") or "",
        representative_document=data.get("representative_document") or "",
    )
    person = {"actor": request.user, "access": request.access, "request": request}
    # One transaction for the whole intake (one commit, the audit chain locked once at
    # the end). A refusal after the draft exists keeps the draft, as the pages do: the
    # refused step's savepoint rolls back, the draft commits and the clerk can go on.
    try:
        with transaction.atomic(), chained_at_end():
            draft = None
            if existing is None:
                draft = drafts.open_draft(
                    token=payload.token,
                    point=points[0],
                    version=form.version,
                    service_option=data["service_option"],
                    applicant=applicant,
                    pickup=booking,
                    checklist=_checklist_lines(form.version, payload),
                    token_checked=True,
                    **person,
                )
                dossier = draft.dossier
            else:
                dossier = drafts.update_applicant(
                    existing.pk, applicant, service_option=data["service_option"], **person
                )
                dossier = _checklist(dossier, payload, person)
            sealed, refusal = _seal(
                dossier, payload, person, draft if draft and draft.created else None
            )
    except (intake_common.IntakeError, TransitionError) as exc:
        refusal = Refused(_problems(exc), existing)
    if refusal is not None:
        raise refusal
    return Status(201, _out(sealed))


def _seal(dossier: Dossier, payload: IntakeIn, person: dict, created: drafts.Draft | None):
    """(sealed dossier, None), or (None, the refusal) with the draft left in place holding
    the choices that were sent, for the clerk to go on with. Returned, not raised, so the
    caller's transaction commits the draft. `created`: the draft when it was created in
    this transaction, with its related rows loaded; it is sealed as it is."""
    if created is None:
        dossier = Dossier.objects.select_related(*sealing.SEAL_RELATED).get(pk=dossier.pk)
    try:
        choices = _route_and_fees(dossier, payload)
    except Refused as refused:
        return None, refused
    try:
        sealed, _now = sealing.seal(
            dossier.pk,
            seal_number=payload.seal_number,
            choices=choices,
            draft=created.dossier if created else None,
            documents=created.documents if created else None,
            **person,
        )
    except (intake_common.IntakeError, TransitionError) as exc:
        with suppress(intake_common.IntakeError, TransitionError):
            pricing.save_route_and_fees(dossier.pk, choices, **person)
        return None, Refused(_problems(exc), dossier)
    return sealed, None


def _problems(exc: Exception) -> list[dict]:
    messages = getattr(exc, "problems", None) or [str(exc)]
    return [{"loc": ["dossier"], "msg": str(m)} for m in messages]


def _checklist(dossier: Dossier, payload: IntakeIn, person: dict) -> Dossier:
    """The checklist of a draft that already exists (a retry with the same token)."""
    by_position = {d.position: d for d in payload.documents}
    lines: list[drafts.ChecklistLine] = []
    errors: list[dict] = []
    for doc in dossier.documents.all():
        given = by_position.get(doc.position)
        if given is None:
            lines.append(drafts.ChecklistLine(doc.pk, False, doc.form, 0))
        else:
            lines.append(_line(doc.pk, doc.position, doc.form, given, errors))
    if errors:
        raise Refused(errors, dossier)
    return drafts.save_checklist(dossier.pk, lines, **person)


def _checklist_lines(version, payload: IntakeIn) -> dict[int, drafts.ChecklistLine]:
    """The checklist of a new draft, by document position; refused before anything is
    written when a line is wrong."""
    by_position = {d.position: d for d in payload.documents}
    lines: dict[int, drafts.ChecklistLine] = {}
    errors: list[dict] = []
    for rule in version.documents.all():
        given = by_position.get(rule.position)
        default_form = (
            DossierDocument.Form.ORIGINAL
            if rule.form == RequiredDocument.Form.ORIGINAL
            else DossierDocument.Form.COPY
        )
        if given is None:
            lines[rule.position] = drafts.ChecklistLine(0, False, default_form, 0)
        else:
            lines[rule.position] = _line(0, rule.position, default_form, given, errors)
    if errors:
        raise Refused(errors)
    return lines


def _line(document_id: int, position: int, default_form: str, given, errors: list):
    form = given.form or default_form
    if form not in DossierDocument.Form.values:
        errors.append({"loc": ["documents", position, "form"], "msg": "original or copy"})
    if not 0 <= given.pages <= 999 or (given.present and given.pages == 0):
        errors.append({"loc": ["documents", position, "pages"], "msg": "1 to 999"})
    return drafts.ChecklistLine(document_id, given.present, form, given.pages)


def _check_return_position(back: ReturnIn, commune, method: str, dossier: Dossier) -> None:
    """The delivery address's position, when given: both numbers, near the commune. The
    wizard's form checks it again; here the problem names the payload's field."""
    if back.latitude is None and back.longitude is None:
        return
    if back.latitude is None or back.longitude is None:
        missing = "latitude" if back.latitude is None else "longitude"
        raise Refused(
            [{"loc": ["return", missing], "msg": _("Give both latitude and longitude.")}],
            dossier,
        )
    if method != ReturnMethod.DELIVER or commune is None:
        return  # the form says what is missing for a delivery; a position alone is ignored
    try:
        positions.checked(back.latitude, back.longitude, commune, positions.Source.PIN)
    except positions.PositionError as exc:
        raise Refused([{"loc": ["return", "latitude"], "msg": str(exc)}], dossier) from None


def _route_and_fees(dossier: Dossier, payload: IntakeIn) -> pricing.RouteAndFees:
    """The payload's agency, return, fee and payment choices, checked by the wizard's form."""
    competent = intake_common.competent_for(dossier)
    agency = dossier.agency
    if payload.agency:
        agency = next((a for a in competent if a.unit_code == payload.agency), None)
    back = payload.return_
    commune = _by_code(Commune, back.commune) if back.commune else None
    point = ServicePoint.objects.filter(code=back.point).first() if back.point else None
    method = back.method
    if dossier.service_option == "send":
        method = "agency"
    _check_return_position(back, commune or dossier.return_commune, method, dossier)
    data = {
        "agency": str(agency.pk) if agency else "",
        "return_method": method,
        "return_latitude": "" if back.latitude is None else repr(back.latitude),
        "return_longitude": "" if back.longitude is None else repr(back.longitude),
        "return_address": back.address or dossier.return_address,
        "return_commune": str(commune.pk if commune else dossier.return_commune_id or ""),
        "return_point": str(point.pk if point else dossier.return_point_id or ""),
        "fee_option": str(payload.fee_option or dossier.fee_option_id or ""),
        "post_collects_fee": "on" if payload.post_collects_fee else "",
        "weight_g": str(payload.weight_g),
        "exemption": "",
        "exemption_note": "",
        "payment_method": payload.payment.method,
        "payment_reference": payload.payment.reference,
    }
    if payload.exemption:
        category = ExemptCategory.objects.filter(code=payload.exemption.code).first()
        data["exemption"] = str(category.pk) if category else "-1"
        data["exemption_note"] = payload.exemption.proof
    # The competent agencies are held: the form checks the choice against them without
    # building the routing query the pages list them with.
    form = RouteFeesForm(
        data,
        dossier=dossier,
        agencies=lambda: Agency.objects.filter(pk__in=[a.pk for a in competent]),
        known_agencies=competent,
    )
    if not form.is_valid():
        raise Refused(_errors(form, "route"), dossier)
    return form.choices()
