from django.urls import path

from postgov.exchange import integration_views

app_name = "exchange"

# Under /agencies/integration/ (postgov/urls.py), where they were before the app moved.
urlpatterns = [
    path("", integration_views.integrations, name="integrations"),
    path("<int:agency_id>/", integration_views.integration, name="integration"),
    path(
        "<int:agency_id>/keys/<int:key_id>/revoke/",
        integration_views.revoke_key,
        name="revoke_key",
    ),
    path(
        "<int:agency_id>/clients/<int:client_id>/revoke/",
        integration_views.revoke_client,
        name="revoke_client",
    ),
    path(
        "<int:agency_id>/webhooks/<int:endpoint_id>/toggle/",
        integration_views.toggle_webhook,
        name="toggle_webhook",
    ),
    path(
        "<int:agency_id>/<str:kind>/<int:item_id>/approve/",
        integration_views.approve_item,
        name="approve",
    ),
    path(
        "<int:agency_id>/deliveries/<int:delivery_id>/resend/",
        integration_views.resend,
        name="resend_webhook",
    ),
    path("<int:agency_id>/dead-letters/", integration_views.dead_letters, name="dead_letters"),
    path(
        "<int:agency_id>/dead-letters/resend/",
        integration_views.resend_dead_letters,
        name="resend_dead_letters",
    ),
]
