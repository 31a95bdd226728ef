"""Pages where an agency's officers (and the province's administrators) manage the
agency's API keys, OAuth2 clients and webhooks, approve those another of them made, read
the delivery log, re-send a delivery, and clear the dead-letter list (deliveries given up
after their last attempt)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postgov.agencies.models import Agency
from postgov.exchange import webhooks
from postgov.exchange.integration import (
    READ,
    WRITE,
    ApprovalRefused,
    approve,
    can_manage,
    create_api_key,
    create_oauth_client,
    create_webhook,
    manageable_agencies,
    revoke_api_key,
    revoke_oauth_client,
    set_webhook_active,
)
from postgov.exchange.models import AgencyClient, ApiKey, WebhookDelivery, WebhookEndpoint
from postgov.identity.access import role_required
from postgov.identity.models import Role
from postgov.identity.oidc.claims import issuer
from postgov.lib.forms import StyledFormMixin
from postgov.lib.outbound import PublicURLField
from postgov.pagination import MAX_ID

MANAGERS = (Role.AGENCY_OFFICER, Role.PROVINCIAL_ADMIN)


class KeyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the system using the key"), max_length=100)


class ClientForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the system using the client"), max_length=100
    )
    access = forms.ChoiceField(
        label=gettext_lazy("Access"),
        choices=[
            ("read", gettext_lazy("Read dossiers only")),
            ("write", gettext_lazy("Read dossiers and post decisions and results")),
        ],
        initial="write",
    )

    def scopes(self) -> list[str]:
        return [READ, WRITE] if self.cleaned_data["access"] == "write" else [READ]


class WebhookForm(StyledFormMixin, forms.Form):
    # Checked as each delivery will be: https, a public address.
    url = PublicURLField(label=gettext_lazy("Webhook URL"), max_length=500, assume_scheme="https")


def _agency(request, agency_id: int) -> Agency:
    agency = get_object_or_404(Agency, pk=agency_id)
    if not can_manage(request.access, agency):
        raise Http404
    return agency


@require_GET
@role_required(*MANAGERS)
def integrations(request):
    agencies = manageable_agencies(request.access).order_by("name")
    if agencies.count() == 1:
        return redirect("exchange:integration", agency_id=agencies.first().pk)
    return render(request, "exchange/integrations.html", {"agencies": agencies})


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def integration(request, agency_id: int):
    agency = _agency(request, agency_id)
    key_form = KeyForm(request.POST if request.POST.get("form") == "key" else None)
    hook_form = WebhookForm(request.POST if request.POST.get("form") == "webhook" else None)
    client_form = ClientForm(request.POST if request.POST.get("form") == "client" else None)
    # A new key or secret, shown once in this very answer and never again.
    shown: dict[str, object] = {}
    if request.method == "POST":
        if key_form.is_bound and key_form.is_valid():
            key, raw = create_api_key(
                agency, key_form.cleaned_data["name"], user=request.user, request=request
            )
            shown = {
                "what": _("API key"),
                "value": raw,
                "name": key.name,
                "waiting": key.waiting_for_approval,
            }
            key_form = KeyForm()
        elif client_form.is_bound and client_form.is_valid():
            client, secret = create_oauth_client(
                agency,
                client_form.cleaned_data["name"],
                client_form.scopes(),
                user=request.user,
                request=request,
            )
            shown = {
                "what": _("OAuth2 client secret"),
                "value": secret,
                "name": client.name,
                "client_id": client.application.client_id,
                "waiting": client.waiting_for_approval,
            }
            client_form = ClientForm()
        elif hook_form.is_bound and hook_form.is_valid():
            endpoint, secret = create_webhook(
                agency, hook_form.cleaned_data["url"], user=request.user, request=request
            )
            shown = {
                "what": _("Signing secret"),
                "value": secret,
                "name": endpoint.url,
                "sealed": True,
                "waiting": endpoint.waiting_for_approval,
            }
            hook_form = WebhookForm()
    return render(
        request,
        "exchange/integration.html",
        {
            "agency": agency,
            "keys": ApiKey.objects.filter(agency=agency).select_related("created_by"),
            "clients": AgencyClient.objects.filter(agency=agency).select_related("application"),
            "endpoints": WebhookEndpoint.objects.filter(agency=agency),
            "given_up": webhooks.given_up(agency.pk).count(),
            "deliveries": WebhookDelivery.objects.filter(endpoint__agency=agency)
            .select_related("endpoint", "dossier")
            .order_by("-created_at", "-id")[:30],
            "key_form": key_form,
            "hook_form": hook_form,
            "client_form": client_form,
            "token_url": issuer() + reverse("identity:oidc_token"),
            "shown": shown,
        },
        status=400 if request.method == "POST" and not shown else 200,
    )


@require_POST
@role_required(*MANAGERS)
def revoke_key(request, agency_id: int, key_id: int):
    agency = _agency(request, agency_id)
    key = get_object_or_404(ApiKey, pk=key_id, agency=agency)
    revoke_api_key(key, user=request.user, request=request)
    messages.success(request, _("Key %(prefix)s… revoked.") % {"prefix": key.prefix})
    return redirect("exchange:integration", agency_id=agency.pk)


@require_POST
@role_required(*MANAGERS)
def revoke_client(request, agency_id: int, client_id: int):
    agency = _agency(request, agency_id)
    client = get_object_or_404(
        AgencyClient.objects.select_related("application"), pk=client_id, agency=agency
    )
    revoke_oauth_client(client, user=request.user, request=request)
    messages.success(
        request,
        _("OAuth2 client %(client_id)s revoked.") % {"client_id": client.application.client_id},
    )
    return redirect("exchange:integration", agency_id=agency.pk)


@require_POST
@role_required(*MANAGERS)
def toggle_webhook(request, agency_id: int, endpoint_id: int):
    agency = _agency(request, agency_id)
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, agency=agency)
    set_webhook_active(endpoint, not endpoint.active, user=request.user, request=request)
    return redirect("exchange:integration", agency_id=agency.pk)


@require_POST
@role_required(*MANAGERS)
def resend(request, agency_id: int, delivery_id: int):
    agency = _agency(request, agency_id)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint__agency=agency)
    copy = webhooks.resend(delivery, user=request.user, request=request)
    messages.success(request, _("Queued again as delivery #%(id)s.") % {"id": copy.pk})
    return redirect("exchange:integration", agency_id=agency.pk)


APPROVE_KINDS: dict[str, type[ApiKey | AgencyClient | WebhookEndpoint]] = {
    "key": ApiKey,
    "client": AgencyClient,
    "webhook": WebhookEndpoint,
}


DEAD_LETTERS_SHOWN = 200


@never_cache
@require_GET
@role_required(*MANAGERS)
def dead_letters(request, agency_id: int):
    agency = _agency(request, agency_id)
    rows = webhooks.given_up(agency.pk)
    return render(
        request,
        "exchange/dead_letters.html",
        {
            "agency": agency,
            "deliveries": rows.select_related("endpoint", "dossier", "order").order_by(
                "-created_at", "-id"
            )[:DEAD_LETTERS_SHOWN],
            "count": rows.count(),
            "shown": DEAD_LETTERS_SHOWN,
            "at_once": webhooks.RESEND_AT_ONCE,
        },
    )


@require_POST
@role_required(*MANAGERS)
def approve_item(request, agency_id: int, kind: str, item_id: int):
    agency = _agency(request, agency_id)
    model = APPROVE_KINDS.get(kind)
    if model is None:
        raise Http404
    item = cast(
        ApiKey | AgencyClient | WebhookEndpoint, get_object_or_404(model, pk=item_id, agency=agency)
    )
    try:
        approve(item, user=request.user, access=request.access, request=request)
    except ApprovalRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Approved: it works from now on."))
    return redirect("exchange:integration", agency_id=agency.pk)


@require_POST
@role_required(*MANAGERS)
def resend_dead_letters(request, agency_id: int):
    """One given-up delivery (`delivery`), or all of them (`all`), sent again."""
    agency = _agency(request, agency_id)
    ids = None
    if not request.POST.get("all"):
        given = request.POST.get("delivery", "")
        if not given.isdigit() or not 0 < int(given) <= MAX_ID:
            raise Http404
        ids = [int(given)]
    copies = webhooks.resend_given_up(agency.pk, ids, user=request.user, request=request)
    if copies:
        messages.success(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                len(copies),
            )
            % {"count": len(copies)},
        )
    else:
        messages.info(request, _("Nothing to send again: already re-sent."))
    return redirect("exchange:dead_letters", agency_id=agency.pk)
