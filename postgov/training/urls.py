from django.urls import path

from postgov.training import views

app_name = "training"

urlpatterns = [
    path("", views.classes, name="classes"),
    path("leave/", views.leave, name="leave"),
    path("classes/<int:pk>/", views.class_page, name="class"),
    path("classes/<int:pk>/enter/", views.enter, name="enter"),
    path("classes/<int:pk>/trainees/", views.add_trainee, name="add_trainee"),
    path("classes/<int:pk>/cases/", views.assign_case, name="assign_case"),
    path("classes/<int:pk>/reset/", views.reset_class, name="reset"),
    path("classes/<int:pk>/close/", views.close_class, name="close"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/start/", views.start_case, name="start_case"),
    path("cases/<int:pk>/turn-away/", views.turn_away, name="turn_away"),
]
