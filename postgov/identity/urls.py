from django.contrib.auth.views import LogoutView
from django.urls import path

from postgov.identity import views

app_name = "identity"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
]
