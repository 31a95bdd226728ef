from django.urls import path

from postgov.notify import views

app_name = "notify"

urlpatterns = [
    path("messages/", views.sent_messages, name="sent_messages"),
]
