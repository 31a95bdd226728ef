"""Public pages of places: service points, communes, postal codes and Vpostcodes, and
the old → new address converter. Reference data for everyone: no login needed."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from postgov.audit.actions import client_ip
from postgov.lib import ratelimit, vpostcode
from postgov.lib.netkeys import network_key
from postgov.lib.text import search_terms
from postgov.lib.vpostcode import VpostcodeError
from postgov.places import finder, picker, postal_codes
from postgov.places.conversion import convert_old_address
from postgov.places.forms import (
    CommuneFilterForm,
    ConvertForm,
    FindForm,
    PostalCodeSearchForm,
    ServicePointFilterForm,
    VpostcodeForm,
)
from postgov.places.models import Commune, Province, ServicePoint

PAGE_SIZE = 25

# The converter page offers these to try; each is a full old address.
EXAMPLES = (
    "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị",
    "12 Quang Trung, phường Hải Thành, thành phố Đồng Hới, tỉnh Quảng Bình",
    "thi tran Khe Sanh, huyen Huong Hoa, Quang Tri",
)


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_http_methods(["GET", "POST"])
def convert(request):
    # POST, not GET: an address is personal data and must stay out of URLs, browser
    # history and access logs (the JSON API offers GET for machines).
    form = ConvertForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = convert_old_address(form.cleaned_data["address"])
    context = {"form": form, "result": result, "examples": EXAMPLES}
    if _is_htmx(request):
        return render(request, "places/_converter.html", context)
    return render(request, "places/convert.html", context)


def _point_url(point: ServicePoint) -> str:
    return reverse("places:service_point", args=[point.code])


@require_http_methods(["GET", "POST"])
def find(request):
    """Find a post office near a commune, an address, a Vpostcode or the browser's
    position. POST, like the converter: an address or a position is personal data and
    stays out of URLs and logs. Works without JavaScript as a list."""
    form = FindForm(request.POST if request.method == "POST" else None)
    origin = None
    found: list = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            origin = finder.locate(
                data["place"], data["vpostcode"], data["latitude"], data["longitude"]
            )
        except finder.NotPlaced as exc:
            form.add_error(exc.field, exc.message)
        else:
            found = finder.results(origin, timezone.localtime())
    return render(
        request,
        "places/find.html",
        {
            "form": form,
            "origin": origin,
            "found": found,
            "markers": finder.markers(origin, found, _point_url) if found else [],
        },
    )


@require_GET
def service_points(request):
    form = ServicePointFilterForm(request.GET or None)
    points = ServicePoint.objects.filter(active=True).select_related("commune__province")
    commune = None
    if form.is_bound:
        form.is_valid()  # filter by the fields that are valid; the others show their error
        data = form.cleaned_data
        for term in search_terms(data.get("q")):
            points = points.filter(
                Q(name_folded__contains=term)
                | Q(commune__name_folded__contains=term)
                | Q(postal_code__startswith=term)
                | Q(code__iexact=term)
            )
        if data.get("kind"):
            points = points.filter(kind=data["kind"])
        if data.get("commune"):
            commune = Commune.objects.select_related("province").get(code=data["commune"])
            points = points.filter(commune=commune)
    page = Paginator(points.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "places/service_points.html",
        {"form": form, "page_obj": page, "commune": commune},
    )


@require_GET
def service_point(request, code: str):
    if "\x00" in code:  # PostgreSQL refuses NUL in a query; no code holds one anyway
        raise Http404
    point = get_object_or_404(ServicePoint.objects.select_related("commune__province"), code=code)
    postal_code = postal_codes.lookup(point.postal_code) if point.postal_code else None
    has_position = point.latitude is not None and point.longitude is not None
    code = postal_codes.vpostcode_of_point(point)
    return render(
        request,
        "places/service_point.html",
        {
            "point": point,
            "postal_code": postal_code,
            "vpostcode": code,
            "vpostcode_pretty": vpostcode.pretty(code) if code else "",
            "markers": finder.point_markers(point) if has_position else [],
            "osm_url": postal_codes.osm_url(point.latitude, point.longitude)
            if point.latitude is not None and point.longitude is not None
            else "",
        },
    )


@require_GET
def communes(request):
    form = CommuneFilterForm(request.GET or None)
    rows = Commune.objects.select_related("province").annotate(
        points=Count("service_points", filter=Q(service_points__active=True))
    )
    province = None
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        if data.get("province"):
            province = (
                Province.objects.prefetch_related("predecessors")
                .filter(code=data["province"])
                .first()
            )
            rows = rows.filter(province=province)
        for term in search_terms(data.get("q")):
            rows = rows.filter(Q(name_folded__contains=term) | Q(code=term))
    page = Paginator(rows.order_by("province__code", "name_folded"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "places/communes.html", {"form": form, "page_obj": page, "province": province}
    )


@require_GET
def postal_code_lookup(request):
    search = PostalCodeSearchForm(request.GET if "q" in request.GET else None)
    lookup_form = VpostcodeForm(request.GET if "vpostcode" in request.GET else None)
    code_set = postal_codes.current_set()
    codes = postal_codes.current_codes()
    exact = None
    if search.is_bound and search.is_valid() and (query := search.cleaned_data["q"].strip()):
        if query.isdigit():
            codes = codes.filter(code__startswith=query)
            exact = postal_codes.lookup(query) if len(query) == 5 else None
        else:
            for term in search_terms(query):
                codes = codes.filter(
                    Q(name__icontains=term)
                    | Q(commune__name_folded__contains=term)
                    | Q(province__name_folded__contains=term)
                )
    place = None
    if lookup_form.is_bound and lookup_form.is_valid():
        try:
            place = postal_codes.locate_vpostcode(lookup_form.cleaned_data["vpostcode"])
        except (VpostcodeError, postal_codes.UnknownPostalArea) as exc:
            lookup_form.add_error("vpostcode", str(exc))
    page = Paginator(codes.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "places/postal_codes.html",
        {
            "search": search,
            "lookup_form": lookup_form,
            "code_set": code_set,
            "page_obj": page,
            "exact": exact,
            "place": place,
            "place_osm_url": postal_codes.osm_url(place.latitude, place.longitude) if place else "",
        },
    )


@require_GET
def commune_search(request):
    """The commune picker's suggestions: at most 20 communes whose names hold the words
    typed (diacritics optional), as JSON. Public, like the communes page, and limited per
    client like the other public lookups."""
    client = network_key(client_ip(request)) or "unknown"
    if not ratelimit.hit("commune-search", client, settings.COMMUNE_SEARCH_PER_MINUTE, 60):
        response = JsonResponse({"results": [], "limited": True}, status=429)
        response["Retry-After"] = str(ratelimit.seconds_left(60))
        return response
    query = request.GET.get("q", "")
    rows = picker.suggestions(query) if "\x00" not in query else []
    return JsonResponse(
        {"results": [{"id": c.pk, "code": c.code, "label": picker.label(c)} for c in rows]}
    )
