from postgov.delivery import trip_urls

app_name = "delivery"

urlpatterns = [
    *trip_urls.urlpatterns,
]
