"""URLs of the agency's pages and the counter's supplements, included by
`postgov/dossiers/urls.py` under the `dossiers` namespace."""

from django.urls import path

from postgov.dossiers.views import agency as agency_views
from postgov.dossiers.views import supplements as supplement_views

urlpatterns = [
    path("agency/", agency_views.inbox, name="agency_inbox"),
    path("agency/dossiers/<int:pk>/", agency_views.dossier_page, name="agency_dossier"),
    path(
        "agency/dossiers/<int:pk>/do/<slug:action>/",
        agency_views.dossier_action,
        name="agency_action",
    ),
    path(
        "agency/dossiers/<int:pk>/attachments/<int:attachment_id>/",
        agency_views.attachment_file,
        name="agency_attachment",
    ),
    path("dossiers/<int:pk>/forms/<int:event_id>.pdf", agency_views.form_pdf, name="form_pdf"),
    path("counter/supplements/", supplement_views.supplements, name="supplements"),
    path("counter/supplements/<int:pk>/", supplement_views.receive_supplement, name="supplement"),
]
