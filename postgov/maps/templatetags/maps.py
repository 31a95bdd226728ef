"""`{% show_map markers label %}`: a map of points for any page. The markers go to the
browser in a json_script block, the settings in data attributes (the
Content-Security-Policy runs no inline script); without JavaScript the box stays hidden
and the page's own list is what people read."""

from __future__ import annotations

from django import template
from django.urls import reverse

from postgov.maps.config import base_map

register = template.Library()


@register.inclusion_tag("maps/map.html", takes_context=True)
def show_map(context, markers, label="", small=False):
    # One set of script and stylesheet tags per page, however many maps it shows.
    count = context.render_context.get("maps.count", 0) + 1
    context.render_context["maps.count"] = count
    base = base_map()
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "markers": list(markers),
        "label": label,
        "small": small,
        "base": base,
        "map_id": f"pg-map-{count}",
        "data_id": f"pg-map-{count}-markers",
        "first": count == 1,
        "archive_url": reverse("maps:archive")
        if base.kind == "pmtiles" and not base.broken
        else "",
        "show_admin_note": base.kind == "" and bool(getattr(user, "is_staff", False)),
    }
