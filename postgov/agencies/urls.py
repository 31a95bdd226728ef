from django.urls import path

from postgov.agencies import views

app_name = "agencies"

urlpatterns = [
    path("", views.agencies, name="agencies"),
    path("<str:unit_code>/", views.agency, name="agency"),
]
