"""Every page and endpoint refuses people without the right, found by walking the URL
configuration: a new view cannot be added without being either listed here as public (or
open to any logged-in person) or refusing anonymous visitors and outsiders.

Views with object ids are called with an id that does not exist: they must still answer
with a refusal (login, 403, 404) and never with a page; each app's own tests check the
same views with real objects of another point or agency."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Open to anyone, logged in or not.
PUBLIC = {
    "home",
    "healthz",
    "readyz",
    "set_language",
    "identity:login",
    "identity:login_verify",
    "identity:login_enrol",
    "identity:register",
    "identity:register_check",
    "identity:register_verify",
    "identity:recover",
    "identity:recover_verify",
    "identity:federation_start",
    "identity:federation_callback",
    "identity:logout",
    "identity:oidc_discovery",
    "identity:oidc_jwks",
    "identity:oidc_authorize",
    "identity:oidc_consent",
    "identity:oidc_token",
    "identity:oidc_userinfo",
    "identity:oidc_revoke",
    "identity:oidc_introspect",
    "identity:oidc_logout",
    "identity:rp_logo",
    "identity:demo_portal",
    "identity:demo_portal_start",
    "identity:demo_portal_callback",
    "notify:sent_messages",  # development only (404 otherwise), like the demo portal
    "places:service_points",
    "places:service_point",
    "places:communes",
    "places:commune_search",
    "places:postal_codes",
    "places:convert",
    "places:find",
    "maps:archive",  # the base-map file (404 when none is configured)
    "catalog:procedures",
    "catalog:procedure",
    "catalog:procedure_points",
    "catalog:declaration_form",
    "catalog:checklist",
    "catalog:export_json",
    "catalog:export_csv",
    "agencies:agencies",
    "agencies:agency",
    "delivery:book_pickup",
    "delivery:pickup_status",
    "delivery:pickup_change",  # only with the signed proof the tracking page gives
    "dossiers:track",
    "dossiers:rate",  # only with the token of the SMS sent at delivery
    "dossiers:track_form_01",  # only with the signed token the tracking page gives
    "queues:book_service",
    "queues:book",
    # Each only with its unguessable token: numbers only, or the holder's own ticket or
    # appointment (postgov/queues/tests/test_pages.py).
    "queues:display",
    "queues:follow",
    "queues:appointment",
}
# Open to any logged-in person, staff role or not (their own account).
ANY_ACCOUNT = {
    "identity:account",
    "identity:profile_edit",
    "identity:contact_edit",
    "identity:sessions",
    "identity:portals",
    "identity:security",
    "identity:totp_add",
    "identity:totp_remove",
    "identity:passkey_add",
    "identity:passkey_rename",
    "identity:passkey_remove",
    "identity:sms_login_toggle",
    "identity:backup_codes_new",
    "identity:activity",
    "identity:enrolment",
    "identity:password_change",
    "identity:reauth",
    "identity:step_up",
    # The citizen's own records: each view keeps to them (tests/security/test_citizen_records.py).
    "mine:dossiers",
    "mine:dossier",
    "mine:pickups",
    "mine:pickup_change",
}
REFUSED = {302, 401, 403, 404, 405}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield prefix + str(pattern.pattern), name or ""


def _sample_path(route: str) -> str:
    path = re.sub(r"<int:\w+>", "987654", route)
    path = re.sub(r"<(?:str|slug|path):\w+>", "nothing-here", path)
    return "/" + path


def _guarded_routes():
    for route, name in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "api/", "_simulator/")) or name in PUBLIC:
            continue
        yield pytest.param(_sample_path(route), name, id=name or route)


GUARDED = list(_guarded_routes())


def test_the_walk_finds_the_views():
    names = {name for _, name in (p.values for p in GUARDED)}
    assert {"dossiers:today", "dossiers:agency_inbox", "audit:events"} <= names


def _refused(response) -> bool:
    if response.status_code == 302:
        return "/accounts/login/" in response.url
    return response.status_code in REFUSED


@pytest.mark.parametrize("path, name", GUARDED)
def test_anonymous_visitors_are_refused(client, db, path, name):
    for method in (client.get, client.post):
        response = method(path)
        assert _refused(response), (
            f"{method.__name__.upper()} {path} ({name}) answered {response.status_code}"
        )


@pytest.mark.parametrize("path, name", GUARDED)
def test_outsiders_are_refused(client, outsider, path, name):
    if name in ANY_ACCOUNT:
        pytest.skip("the person's own account")
    client.force_login(outsider)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code in REFUSED - {302} or (
            response.status_code == 302 and "/accounts/" in response.url
        ), f"{method.__name__.upper()} {path} ({name}) answered {response.status_code}"
