from django.urls import path

from postgov.reports import assisted_report, views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sla/", views.sla, name="sla"),
    path("volumes/", views.volumes, name="volumes"),
    path("figures/", views.service_figures, name="service_figures"),
    path("volumes/report.pdf", views.volumes_pdf, name="volumes_pdf"),
    path("assisted/", assisted_report.assisted, name="assisted"),
    path("map/", views.service_point_map, name="point_map"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("portal/", views.portal_sync, name="portal_sync"),
    path("portal/retry/", views.portal_retry, name="portal_retry"),
]
