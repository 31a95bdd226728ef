"""A page in one language shows no text of the other.

The main pages of each persona are walked (every page without an id in its address, as
tests/test_every_view_checks_access.py finds them, plus a dossier, a pickup and the admin
lists) in English and in Vietnamese. What people typed or loaded (names, addresses,
procedures: every text stored in the database) is not the interface's words and is left
out; so are codes ("auth.login") and a short list of proper nouns.

- An English page shows no word with Vietnamese diacritics.
- A Vietnamese page shows no common English word.
"""

from __future__ import annotations

import html
import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import get_resolver, reverse

from postgov.audit.actions import record
from postgov.delivery import actions as delivery
from postgov.delivery import scheduling
from postgov.dossiers.tests.intake_helpers import ready, seal
from postgov.identity.models import Role
from postgov.places.views import EXAMPLES
from tests.factories import make_intake_catalog
from tests.test_every_view_checks_access import _walk

# Not pages: machine endpoints, redirects that act, downloads.
SKIPPED = {
    "set_language",
    "healthz",
    "readyz",
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
    "identity:demo_portal_start",
    "identity:demo_portal_callback",
    "catalog:export_json",
    "catalog:export_csv",
    "reports:portal_retry",
}
PERSONAS = [
    None,
    "citizen",
    "clerk_a",
    "postman_a",
    "supervisor_a",
    "agency_officer",
    "provincial_admin",
    "auditor",
]

# Words an English page may show although they carry Vietnamese letters: the language
# switcher names Vietnamese in Vietnamese.
VIETNAMESE_ALLOWED = {"Tiếng Việt"}
VIETNAMESE_LETTER = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I
)
# Common English words that are no Vietnamese word written without its marks.
ENGLISH_WORDS = {
    "the", "and", "with", "your", "you", "this", "that", "from", "are", "was", "were",
    "have", "has", "been", "will", "please", "created", "sent", "version", "versions",
    "tariff", "tariffs", "procedure", "procedures", "dossier", "dossiers", "postal",
    "account", "password", "save", "cancel", "delete", "search", "error", "name", "date",
    "status", "user", "users", "role", "roles", "office", "agency", "agencies", "pretend",
    "government", "portal", "today", "drafts", "all", "settings", "sign", "there", "which",
    "when", "where", "what", "who", "not", "yes", "add", "change", "history", "view",
    "filter", "submit", "back", "next", "help", "home", "waiting", "dispatch", "message",
    "messages", "updated", "new", "edit", "list", "select", "none", "unknown",
}  # fmt: skip
# Codes ("auth.login", "dossiers.dossier:22"), setting names, addresses and e-mails.
CODE = re.compile(r"\b[\w-]+(?:[.:][\w-]+)+\b|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|https?://\S+|\S+@\S+")


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


def stored_texts() -> list[str]:
    """Every text the database holds, and the converter's example addresses: data, not
    the interface's words."""
    texts = set(EXAMPLES)
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.get_fields()
            if isinstance(f, models.CharField | models.TextField) and f.concrete
        ]
        for name in fields:
            for value in model.objects.values_list(name, flat=True).distinct():
                if value and len(value.strip()) > 1:
                    texts.add(value.strip())
                    texts.update(part.strip() for part in value.split(",") if part.strip())
    return sorted(texts, key=len, reverse=True)


def interface_words(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return CODE.sub(" ", text)


def wrong_words(text: str, language: str) -> list[str]:
    if language == "en":
        for allowed in VIETNAMESE_ALLOWED:
            text = text.replace(allowed, " ")
        return [w for w in re.findall(r"\w+", text) if VIETNAMESE_LETTER.search(w)]
    return [w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH_WORDS]


def persona_pages(client, world) -> list[str]:
    paths = []
    for route, name in _walk(get_resolver().url_patterns):
        if "<" in route or name in SKIPPED or route.startswith(("admin/", "api/", "_sim")):
            continue
        paths.append("/" + route)
    return paths


@pytest.fixture
def scenery(world):
    """A sealed dossier, a booked pickup and a few audit events to show."""
    version = make_intake_catalog(world)
    dossier, _ = seal(ready(world, version))
    booking = delivery.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=scheduling.first_collection_day(None),
        window="morning",
    )
    record(
        "identity.role_granted",
        actor=world.provincial_admin,
        role=Role.PROVINCIAL_ADMIN,
        service_point_id=world.point_a.pk,
        details={"role": Role.CLERK, "user": world.clerk_a.username},
    )
    record("oidc.code_reuse_detected", actor=world.citizen, obj=world.citizen)
    return {"dossier": dossier, "booking": booking}


def object_pages(persona: str | None, scenery) -> list[str]:
    dossier, booking = scenery["dossier"], scenery["booking"]
    return {
        "clerk_a": [reverse("dossiers:dossier", args=[dossier.pk])],
        "supervisor_a": [reverse("delivery:pickup", args=[booking.pk])],
        "provincial_admin": ["/admin/"],
    }.get(persona, [])


def admin_lists(client) -> list[str]:
    index = client.get("/admin/").content.decode()
    return sorted(set(re.findall(r'href="(/admin/\w+/\w+/)"', index)))


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p or "anonymous")
def test_each_page_speaks_one_language(client, world, scenery, persona):
    if persona:
        client.force_login(getattr(world, persona))
    paths = persona_pages(client, world) + object_pages(persona, scenery)
    if persona == "provincial_admin":
        paths += admin_lists(client)
    data = stored_texts()
    problems, seen = [], 0
    for path in paths:
        for language in ("vi", "en"):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                break
            seen += 1
            text = interface_words(visible_text(response.content.decode()), data)
            wrong = wrong_words(text, language)
            if wrong:
                problems.append(f"{language} {path}: {sorted(set(wrong))[:12]}")
    assert seen, "no page was looked at"
    assert not problems, "\n".join(problems)


def test_the_checks_find_both_kinds_of_stray_words():
    assert wrong_words("Today · Bản nháp", "en") == ["Bản", "nháp"]
    assert wrong_words("Hôm nay · Procedure versions · CREATED AT", "vi") == [
        "Procedure",
        "versions",
        "CREATED",
    ]
    assert wrong_words(interface_words("Mã auth.login", []), "vi") == []


def test_the_demo_portal_speaks_the_page_language(client, db):
    english = visible_text(client.get("/demo-portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    vietnamese = visible_text(
        client.get("/demo-portal/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    )
    assert "Log in with PostID" in english and not wrong_words(english, "en")
    assert "Đăng nhập bằng PostID" in vietnamese and "pretend" not in vietnamese
