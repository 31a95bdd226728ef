from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from postgov.ops.metrics import exposition, scraper_allowed


@never_cache
@require_GET
def metrics_view(request):
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        # Not set up: as if there were no such page.
        return HttpResponse(status=404)
    if not scraper_allowed(request):
        response = HttpResponse(status=401 if settings.METRICS_TOKEN else 403)
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
