"""The public tracking page, and Form 01 printed from it."""

from __future__ import annotations

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from postgov.audit.actions import client_ip, record
from postgov.delivery.forms import TrackForm
from postgov.dossiers.agency.official_forms import render_event_form
from postgov.dossiers.tracking import lookup as tracking
from postgov.dossiers.tracking import page
from postgov.dossiers.tracking.card import card


@require_http_methods(["GET", "POST"])
def track(request):
    """GET ?code=<S10> shows where the item is; GET ?code=...&t=<token> (the label's QR
    code, the link in the citizen's SMS) shows the whole dossier; a dossier code asks for
    the last 4 digits of the phone, sent by POST so they stay out of addresses and logs."""
    result, message, status, retry_after = None, "", 200, 0
    token = ""
    if request.method == "POST":
        form = TrackForm(request.POST)
    elif request.GET.get("code"):
        form = TrackForm({"code": request.GET["code"]})
        token = request.GET.get("t", "")[:40]
    else:
        form = TrackForm()
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        digits = form.cleaned_data.get("phone_last4") or ""
        if tracking.needs_digits(code) and not digits and not token:
            if request.method == "POST":
                form.add_error("phone_last4", _("Type the last 4 digits."))
        else:
            try:
                result = tracking.lookup(
                    code, digits, client_ip(request) or "unknown", token=token, page=True
                )
            except tracking.TrackingLimited as limited:
                message, status = tracking.limited_message(limited), 429
                retry_after = limited.retry_after
            else:
                if token and (result is None or result.scope == "postal"):
                    message = tracking.link_refused_message()
                    status = 200 if result is not None else 404
                elif result is None:
                    message, status = tracking.not_found_message(), 404
    if isinstance(result, tracking.Tracking) and page.keepable(request):
        # The page around the card, rendered once per language (`tracking.page`).
        csrf_token = get_token(request)
        html = page.dossier_page(
            request, form, result, card(request, result, csrf_token), csrf_token
        )
        response = HttpResponse(html)
        response["Cache-Control"] = "no-store"
        return response
    response = render(
        request,
        "dossiers/track.html",
        {
            "form": form,
            "result": result,
            # The dossier's card, rendered once per content (`tracking.card`).
            "card": card(request, result) if isinstance(result, tracking.Tracking) else "",
            "message": message,
            "needs_digits": form.is_bound
            and form.is_valid()
            and tracking.needs_digits(form.cleaned_data["code"])
            and not (result and result.scope in ("dossier", "pickup", "package")),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
def track_form_01(request):
    """Form 01 (receipt and appointment slip) as a PDF, for the token the tracking page
    gave after the code and phone digits matched. A wrong or expired token is refused."""
    found = tracking.form_from_token(request.POST.get("token", ""))
    if found is None:
        response = render(
            request,
            "dossiers/track.html",
            {
                "form": TrackForm(),
                "message": _(
                    "This download has expired or is not valid. Look the dossier up again."
                ),
            },
            status=403,
        )
        response["Cache-Control"] = "no-store"
        return response
    dossier, event = found
    name, pdf = render_event_form(dossier, event)
    record(
        "dossier.form_01_downloaded",
        request=request,
        obj=dossier,
        agency_id=dossier.agency_id,
        details={"event": event.pk, "channel": "tracking"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
