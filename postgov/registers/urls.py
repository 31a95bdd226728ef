from django.urls import path

from postgov.registers import dedup_views, export_views, import_views, ocr_views, views

app_name = "registers"

urlpatterns = [
    path("", views.projects, name="projects"),
    path("new/", views.project_new, name="project_new"),
    path("<int:pk>/", views.project, name="project"),
    path("<int:pk>/dashboard/", views.project_dashboard, name="dashboard"),
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
    path("<int:pk>/import/", import_views.import_upload, name="import_upload"),
    path("<int:pk>/import/columns/", import_views.import_map, name="import_map"),
    path("<int:pk>/export/", export_views.export_start, name="export_start"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("exports/<int:pk>/handover.pdf", export_views.export_handover, name="export_handover"),
    path("<int:pk>/search/", ocr_views.search_page, name="search"),
    path("<int:pk>/text-settings/", ocr_views.text_settings, name="text_settings"),
    path("<int:pk>/batches/<int:batch_pk>/read/", ocr_views.read_batch, name="read_batch"),
    path("<int:pk>/archive/", ocr_views.make_archive, name="make_archive"),
    path("records/<int:pk>/", ocr_views.record_page, name="record"),
    path("records/<int:pk>/archive.pdf", ocr_views.archive_pdf, name="archive_pdf"),
    path("<int:pk>/duplicates/", dedup_views.queue, name="dedup"),
    path("<int:pk>/duplicates/run/", dedup_views.run, name="dedup_run"),
    path("<int:pk>/duplicates/threshold/", dedup_views.threshold, name="dedup_threshold"),
    path("duplicates/<int:pk>/", dedup_views.review, name="duplicate"),
]
