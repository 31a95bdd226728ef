"""The home page: public tiles for citizens, a per-role set for staff."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from postgov.navigation import entries_for


@require_GET
def home(request):
    access = request.access
    return render(
        request,
        "home.html",
        {
            "tiles": entries_for(request),
            "roles": [a for a in access.assignments] if access.is_staff_member else [],
        },
    )
