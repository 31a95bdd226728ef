"""What the admin's pages need from the four-eyes rule."""

from __future__ import annotations

from django import template

from postgov.identity.models import ChangeRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def changes_awaiting_me(context) -> int:
    """How many changes wait for this administrator's decision."""
    request = context.get("request")
    if request is None or not hasattr(request, "access"):
        return 0
    return request.access.decidable(ChangeRequest.objects.all()).count()
