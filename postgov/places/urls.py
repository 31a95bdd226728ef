from django.urls import path

from postgov.places import views

app_name = "places"

urlpatterns = [
    path("find/", views.find, name="find"),
    path("points/", views.service_points, name="service_points"),
    path("points/<str:code>/", views.service_point, name="service_point"),
    path("communes/", views.communes, name="communes"),
    path("communes/search/", views.commune_search, name="commune_search"),
    path("postal-codes/", views.postal_code_lookup, name="postal_codes"),
    path("convert/", views.convert, name="convert"),
]
