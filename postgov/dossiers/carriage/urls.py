"""The pages of the trips that carry dossiers: the postman's manifests and deliveries, the
agency's side of a manifest. Included by `postgov/urls.py` under `/delivery/`, beside the
post's own pages, so their addresses stay where people bookmarked them."""

from django.urls import path

from postgov.dossiers.carriage import agency_views, route_views, trip_views

app_name = "carriage"

urlpatterns = [
    path("agency/manifests/<int:pk>/", agency_views.manifest_receive, name="agency_manifest"),
    path(
        "agency/manifests/<int:pk>/record.pdf",
        agency_views.manifest_record,
        name="agency_manifest_record",
    ),
    path("manifests/", trip_views.manifest_list, name="manifests"),
    path("manifests/<int:pk>/", trip_views.manifest_page, name="manifest"),
    path("manifests/<int:pk>/scan/", trip_views.manifest_scan, name="manifest_scan"),
    path(
        "manifests/<int:pk>/remove/<int:line_id>/",
        trip_views.manifest_remove,
        name="manifest_remove",
    ),
    path("manifests/<int:pk>/record.pdf", trip_views.manifest_record, name="manifest_record"),
    path("manifests/<int:pk>/<slug:step>/", trip_views.manifest_step, name="manifest_step"),
    path("items/<str:item_id>/label.pdf", trip_views.item_label, name="item_label"),
    path("route/", route_views.route_today, name="route"),
    path("deliveries/", trip_views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", trip_views.delivery_page, name="delivery"),
    path("deliveries/<int:pk>/position/", trip_views.delivery_position, name="delivery_position"),
    path("deliveries/<int:pk>/proof/<slug:kind>/", trip_views.proof_file, name="proof_file"),
    path("unsigned/", trip_views.missing_signatures, name="missing_signatures"),
    path(
        "unsigned/<int:pk>/review/",
        trip_views.missing_signature_review,
        name="missing_signature_review",
    ),
]
