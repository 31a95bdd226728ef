from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from postgov import error_pages, health, home
from postgov.api import api
from postgov.exchange import portal_simulator
from postgov.identity.views.auth import admin_login
from postgov.ops.views import metrics_view

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # For Prometheus only: a bearer token or an allowed network (docs/operations.md).
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("postgov.identity.urls")),
    path("accounts/me/", include("postgov.citizen_urls")),
    path("places/", include("postgov.places.urls")),
    path("catalog/", include("postgov.catalog.urls")),
    path("maps/", include("postgov.maps.urls")),
    # The agencies' integrations, before the agencies' unit-code catch-all.
    path("agencies/integration/", include("postgov.exchange.urls")),
    path("agencies/", include("postgov.agencies.urls")),
    path("audit/", include("postgov.audit.urls")),
    path("delivery/", include("postgov.delivery.urls")),
    # The trips that carry dossiers (dossiers' own pages) keep their paths under the post's.
    path("delivery/", include("postgov.dossiers.carriage.urls")),
    # Postal orders of dossiers filed online: /agency/orders/ and /delivery/orders/.
    path("", include("postgov.dossiers.orders.urls")),
    path("queues/", include("postgov.queues.urls")),
    path("assisted/", include("postgov.assisted.urls")),
    path("registers/", include("postgov.registers.urls")),
    path("state-mail/", include("postgov.statemail.urls")),
    path("training/", include("postgov.training.urls")),
    path("", include("postgov.dossiers.urls")),
    path("reports/", include("postgov.reports.urls")),
    path("api/", api.urls),
    # What the development gateways "sent" (404 outside development).
    path("dev/", include("postgov.notify.urls")),
    # The national portal's stand-in for the demo (404 unless PORTAL_SIMULATOR is on).
    path("_simulator/portal/<path:path>", csrf_exempt(portal_simulator.django_view)),
    # Before the admin's own: its login goes through PostGov's, with the second factor.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]

handler400 = error_pages.bad_request
handler403 = error_pages.permission_denied
handler404 = error_pages.page_not_found
handler500 = error_pages.server_error
