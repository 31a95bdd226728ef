from postgov.dossiers import agency_urls

app_name = "dossiers"

urlpatterns = [
    *agency_urls.urlpatterns,
]
