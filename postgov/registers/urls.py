from django.urls import path

from postgov.registers import dedup_views, views

app_name = "registers"

urlpatterns = [
    path("", views.projects, name="projects"),
    path("new/", views.project_new, name="project_new"),
    path("<int:pk>/", views.project, name="project"),
    path("<int:pk>/members/", views.member_add, name="member_add"),
    path("<int:pk>/schema/", views.schema, name="schema"),
    path("<int:pk>/upload/", views.upload, name="upload"),
    path("<int:pk>/next/", views.keying_next, name="keying_next"),
    path("<int:pk>/verify-next/", views.adjudicate_next, name="adjudicate_next"),
    path("keying/<int:pk>/", views.keying, name="keying"),
    path("keying/<int:pk>/field/", views.keying_field, name="keying_field"),
    path("keying/<int:pk>/save/", views.keying_submit, name="keying_submit"),
    path("records/<int:pk>/verify/", views.adjudicate, name="adjudicate"),
    path("jobs/<int:pk>/", views.job, name="job"),
    path("jobs/<int:pk>/restart/", views.job_restart, name="job_restart"),
    path("pages/<int:pk>/<str:size>.png", views.page_image, name="page_image"),
    path("<int:pk>/duplicates/", dedup_views.queue, name="dedup"),
    path("<int:pk>/duplicates/run/", dedup_views.run, name="dedup_run"),
    path("<int:pk>/duplicates/threshold/", dedup_views.threshold, name="dedup_threshold"),
    path("duplicates/<int:pk>/", dedup_views.review, name="duplicate"),
]
