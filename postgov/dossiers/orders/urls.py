"""The pages of postal orders: the agency's under /agency/orders/, the post office's under
/delivery/orders/ beside its other trips."""

from django.urls import path

from postgov.dossiers.orders import views

app_name = "orders"

urlpatterns = [
    path("agency/orders/", views.agency_orders, name="agency_orders"),
    path("agency/orders/new/", views.agency_order_new, name="agency_order_new"),
    path("agency/orders/<int:pk>/", views.agency_order, name="agency_order"),
    path("delivery/orders/", views.point_orders, name="point_orders"),
    path("delivery/orders/originals/", views.point_order_lookup, name="point_order_lookup"),
    path("delivery/orders/<int:pk>/", views.point_order, name="point_order"),
]
