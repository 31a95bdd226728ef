from django.urls import path

from postgov.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.procedures, name="procedures"),
]
