from django.urls import path

from postgov.assisted import views

app_name = "assisted"

# Sessions are reached by their number only: no personal data in the address.
urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("new/", views.start, name="start"),
    path("<int:pk>/", views.session_page, name="session"),
    path("<int:pk>/receipt/", views.receipt_pdf, name="receipt"),
    path("points/<int:point_id>/", views.point_day, name="point_day"),
]
