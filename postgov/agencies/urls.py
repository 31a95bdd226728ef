from django.urls import path

from postgov.agencies import integration_views, views

app_name = "agencies"

urlpatterns = [
    path("", views.agencies, name="agencies"),
    # The agency API's keys, clients and webhooks, before the unit-code catch-all.
    path("integration/", integration_views.integrations, name="integrations"),
    path("integration/<int:agency_id>/", integration_views.integration, name="integration"),
    path(
        "integration/<int:agency_id>/keys/<int:key_id>/revoke/",
        integration_views.revoke_key,
        name="revoke_key",
    ),
    path(
        "integration/<int:agency_id>/clients/<int:client_id>/revoke/",
        integration_views.revoke_client,
        name="revoke_client",
    ),
    path(
        "integration/<int:agency_id>/webhooks/<int:endpoint_id>/toggle/",
        integration_views.toggle_webhook,
        name="toggle_webhook",
    ),
    path(
        "integration/<int:agency_id>/deliveries/<int:delivery_id>/resend/",
        integration_views.resend,
        name="resend_webhook",
    ),
    path("<str:unit_code>/", views.agency, name="agency"),
]
