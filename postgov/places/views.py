from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def service_points(request):
    return HttpResponse("todo")


@require_GET
def convert(request):
    return HttpResponse("todo")
