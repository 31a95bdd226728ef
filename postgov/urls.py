from django.contrib import admin
from django.urls import include, path

from postgov import health, home
from postgov.api import api

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("postgov.identity.urls")),
    path("places/", include("postgov.places.urls")),
    path("catalog/", include("postgov.catalog.urls")),
    path("agencies/", include("postgov.agencies.urls")),
    path("audit/", include("postgov.audit.urls")),
    path("delivery/", include("postgov.delivery.urls")),
    path("", include("postgov.dossiers.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
