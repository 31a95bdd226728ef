"""Included at the site root: the counter's pages under /dossiers/, tracking at /track/."""

from django.urls import path

from postgov.dossiers import agency_urls
from postgov.dossiers.linked import views as linked_views
from postgov.dossiers.views import dossier as dossier_views
from postgov.dossiers.views import intake as intake_views
from postgov.dossiers.views import rating as rating_views
from postgov.dossiers.views import today as today_views
from postgov.dossiers.views import tracking as tracking_views

app_name = "dossiers"

urlpatterns = [
    path("dossiers/intake/", intake_views.intake_start, name="intake_start"),
    path("dossiers/intake/procedures/", intake_views.procedure_search, name="procedure_search"),
    path("dossiers/today/", today_views.today, name="today"),
    path("dossiers/points/<int:pk>/day/", today_views.point_day, name="point_day"),
    path("dossiers/dispatch/", today_views.dispatch, name="dispatch"),
    path("dossiers/<int:pk>/", dossier_views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/applicant/", intake_views.intake_applicant, name="intake_applicant"),
    path("dossiers/<int:pk>/checklist/", intake_views.intake_checklist, name="intake_checklist"),
    path("dossiers/<int:pk>/fees/", intake_views.intake_fees, name="intake_fees"),
    path("dossiers/<int:pk>/fees/quote/", intake_views.intake_quote, name="intake_quote"),
    path("dossiers/<int:pk>/confirm/", intake_views.intake_confirm, name="intake_confirm"),
    path("dossiers/<int:pk>/cancel/", dossier_views.cancel, name="cancel"),
    path("dossiers/<int:pk>/print/<str:which>.pdf", dossier_views.print_form, name="print"),
    path("dossiers/linked/", linked_views.linked_list, name="linked"),
    path("dossiers/linked/<str:code>/new/", linked_views.package_new, name="package_new"),
    path("dossiers/packages/<int:pk>/", linked_views.package_detail, name="package"),
    path(
        "dossiers/packages/<int:pk>/receipt/",
        linked_views.package_receipt,
        name="package_receipt",
    ),
    path("track/", tracking_views.track, name="track"),
    path("track/form-01/", tracking_views.track_form_01, name="track_form_01"),
    path("rate/<str:token>/", rating_views.rate, name="rate"),
    *agency_urls.urlpatterns,
]
