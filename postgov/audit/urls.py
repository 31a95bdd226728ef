from django.urls import path

from postgov.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.events, name="events"),
    path("verify/", views.verify, name="verify"),
]
