from django.urls import path

from postgov.statemail import views

app_name = "statemail"

urlpatterns = [
    path("", views.items, name="items"),
    path("find/", views.find, name="find"),
    path("accept/", views.accept, name="accept"),
    path("book.pdf", views.day_book, name="day_book"),
    path("<int:pk>/", views.item, name="item"),
    path("<int:pk>/offer/", views.offer, name="offer"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/take/", views.take, name="take"),
    path("<int:pk>/deliver/", views.deliver, name="deliver"),
    path("<int:pk>/incident/", views.close_incident, name="close_incident"),
    path("<int:pk>/book.pdf", views.item_book, name="item_book"),
    path("clearances/", views.clearances, name="clearances"),
    path("clearances/<int:pk>/revoke/", views.revoke, name="revoke"),
]
