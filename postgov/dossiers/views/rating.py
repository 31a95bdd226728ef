"""The public page where a citizen rates how their dossier was handled, opened by the
link in the SMS sent when its result was delivered. The token is the only key: the page
shows no personal data, and a client may open it only a few times a minute."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from postgov.audit.actions import client_ip
from postgov.dossiers import actions
from postgov.lib import ratelimit
from postgov.lib.forms import StyledFormMixin
from postgov.lib.netkeys import network_key

# Opening the page: a citizen needs a handful; guessing tokens needs millions.
PAGES_PER_CLIENT = 20
WINDOW_SECONDS = 600


class RatingForm(StyledFormMixin, forms.Form):
    stars = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose from 1 to 5 stars."),
            "invalid_choice": gettext_lazy("Choose from 1 to 5 stars."),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=actions.COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _page(request, context: dict, status: int = 200):
    response = render(request, "dossiers/rate.html", context, status=status)
    response["Cache-Control"] = "no-store"
    # The token never leaves for another site; "no-referrer" would also make Chromium send
    # `Origin: null` with the page's own form, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def rate(request, token: str):
    client = network_key(client_ip(request)) or "unknown"
    if not ratelimit.hit("dossier-rating", client, PAGES_PER_CLIENT, WINDOW_SECONDS):
        response = _page(
            request, {"message": _("Too many attempts. Please try again later.")}, status=429
        )
        response["Retry-After"] = str(ratelimit.seconds_left(WINDOW_SECONDS))
        return response
    rating = actions.rating_for_token(token)
    if rating is None:
        return _page(
            request,
            {"message": _("This rating link is not valid. Please check the link in your SMS.")},
            status=404,
        )
    if rating.stars is not None:
        return _page(request, {"rating": rating, "done": True})
    if rating.expires_at <= timezone.now():
        return _page(request, {"message": _("This rating link has expired.")}, status=410)
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rating = actions.rate_dossier(
                rating,
                form.cleaned_data["stars"],
                form.cleaned_data["comment"],
                request=request,
            )
        except actions.RatingError as exc:
            form.add_error(None, str(exc))
        else:
            return _page(request, {"rating": rating, "done": True, "thanks": True})
    return _page(
        request,
        {"rating": rating, "form": form, "code": rating.dossier.code},
        status=400 if form.errors else 200,
    )
