from django.urls import path

from postgov.maps import views

app_name = "maps"

urlpatterns = [
    path("basemap.pmtiles", views.archive, name="archive"),
]
