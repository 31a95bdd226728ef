"""URLs of manifests and deliveries, included by `postgov/delivery/urls.py`."""

from django.urls import path

from postgov.delivery import trip_views

urlpatterns = [
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
    path("deliveries/", trip_views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", trip_views.delivery_page, name="delivery"),
    path("deliveries/<int:pk>/proof/<slug:kind>/", trip_views.proof_file, name="proof_file"),
    path("unsigned/", trip_views.missing_signatures, name="missing_signatures"),
    path(
        "unsigned/<int:pk>/review/",
        trip_views.missing_signature_review,
        name="missing_signature_review",
    ),
]
