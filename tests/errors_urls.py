"""The project's URLs with one view that fails, to see the server-error page."""

from django.urls import path

from postgov.urls import handler400, handler403, handler404, handler500, urlpatterns


def fails(request):
    raise RuntimeError("a fault on our side")


urlpatterns = [path("fails/", fails), *urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
