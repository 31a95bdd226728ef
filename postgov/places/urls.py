from django.urls import path

from postgov.places import views

app_name = "places"

urlpatterns = [
    path("points/", views.service_points, name="service_points"),
    path("convert/", views.convert, name="convert"),
]
