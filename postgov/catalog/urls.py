from django.urls import path

from postgov.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.procedures, name="procedures"),
    path("export.json", views.export_json_view, name="export_json"),
    path("export.csv", views.export_csv_view, name="export_csv"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("<str:code>/", views.procedure, name="procedure"),
    path("<str:code>/post-offices/", views.procedure_points, name="procedure_points"),
    path("<str:code>/checklist.pdf", views.checklist_pdf, name="checklist"),
    path("<str:code>/form.pdf", views.declaration_form, name="declaration_form"),
]
