from django.urls import path

from postgov.delivery import views

app_name = "delivery"

urlpatterns = [
    path("pickup/", views.book_pickup, name="book_pickup"),
    path("pickup/change/", views.pickup_change, name="pickup_change"),
    path("pickup/<str:code>/", views.pickup_status, name="pickup_status"),
    path("pickups/", views.pickups, name="pickups"),
    path("pickups/<int:pk>/", views.pickup_detail, name="pickup"),
    path("pickups/<int:pk>/assign/", views.pickup_assign, name="pickup_assign"),
    path("pickups/<int:pk>/fail/", views.pickup_fail, name="pickup_fail"),
    path("pickups/<int:pk>/position/", views.pickup_position, name="pickup_position"),
]
