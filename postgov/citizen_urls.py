"""A signed-in citizen's own records, beside the account pages (/accounts/me/...)."""

from django.urls import path

from postgov.delivery import citizen_views as pickups
from postgov.dossiers.views import citizen as dossiers

app_name = "mine"

urlpatterns = [
    path("dossiers/", dossiers.my_dossiers, name="dossiers"),
    path("dossiers/<int:pk>/", dossiers.my_dossier, name="dossier"),
    path("pickups/", pickups.my_pickups, name="pickups"),
    path("pickups/<int:pk>/change/", pickups.my_pickup_change, name="pickup_change"),
]
