"""The home page: public tiles for citizens, a per-role set for staff."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from postgov.identity.models import RoleAssignment
from postgov.navigation import entries_for


@require_GET
def home(request):
    roles = []
    if request.access.is_staff_member:
        roles = (
            RoleAssignment.objects.filter(user=request.user, active=True)
            .select_related("service_point", "agency", "province")
            .order_by("role")
        )
    return render(request, "home.html", {"tiles": entries_for(request), "roles": roles})
