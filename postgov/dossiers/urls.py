"""Included at the site root: the counter's pages under /dossiers/, tracking at /track/."""

from django.urls import path

from postgov.dossiers import agency_urls, views

app_name = "dossiers"

urlpatterns = [
    path("dossiers/intake/", views.intake_start, name="intake_start"),
    path("dossiers/intake/procedures/", views.procedure_search, name="procedure_search"),
    path("dossiers/today/", views.today, name="today"),
    path("dossiers/dispatch/", views.dispatch, name="dispatch"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/applicant/", views.intake_applicant, name="intake_applicant"),
    path("dossiers/<int:pk>/checklist/", views.intake_checklist, name="intake_checklist"),
    path("dossiers/<int:pk>/fees/", views.intake_fees, name="intake_fees"),
    path("dossiers/<int:pk>/fees/quote/", views.intake_quote, name="intake_quote"),
    path("dossiers/<int:pk>/confirm/", views.intake_confirm, name="intake_confirm"),
    path("dossiers/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("dossiers/<int:pk>/print/<str:which>.pdf", views.print_form, name="print"),
    path("track/", views.track, name="track"),
    path("track/form-01/", views.track_form_01, name="track_form_01"),
    *agency_urls.urlpatterns,
]
