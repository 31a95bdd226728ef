"""The development "sent messages" page: what the stand-in gateways handed over, newest
first, codes included, so a demo user can read the SMS code a login or a registration
asks for. 404 outside development, like the demo portal."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from postgov.notify.models import DevelopmentDelivery, Message


@require_GET
def sent_messages(request):
    if not settings.DEV:
        raise Http404
    page = Paginator(DevelopmentDelivery.objects.all(), 25).get_page(request.GET.get("page"))
    waiting = Message.objects.filter(
        status__in=(Message.Status.QUEUED, Message.Status.RETRYING)
    ).count()
    response = render(request, "notify/sent_messages.html", {"page_obj": page, "waiting": waiting})
    response["Cache-Control"] = "no-store"
    return response
