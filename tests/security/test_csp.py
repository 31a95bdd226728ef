"""A Content-Security-Policy stops injected markup from running: every page says which
scripts and styles may run (only files this site serves), and the templates carry no
inline script, event handler or style the policy would refuse.

The browser test visits the pages no journey covers with Chromium enforcing the policy;
the `page` fixture fails a test on any violation Chromium reports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from postgov.identity.printing import code128_svg, qr_svg
from tests.browser import log_in

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
TEMPLATES = sorted((ROOT / "postgov").glob("**/templates/**/*.html"))

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")", re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"csp-{name}.png", full_page=True)


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/track/", "/api/docs"])
def test_every_page_carries_a_strict_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]  # never framed (clickjacking)
    assert "Content-Security-Policy-Report-Only" not in response  # enforced, not reported


@pytest.mark.django_db
def test_the_policy_also_covers_pages_of_signed_in_staff(client, clerk_a):
    client.force_login(clerk_a)
    assert policy_of(client.get(reverse("dossiers:today")))["script-src"] == ["'self'"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_carry_nothing_inline_the_policy_would_refuse(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script>: put it in a static file"
    assert not EVENT_HANDLER.search(text), "on...= handler: bind it from a static file"
    assert not STYLE_ATTRIBUTE.search(text), "style=...: use a class in a stylesheet"
    assert not STYLE_BLOCK.search(text), "<style>: use a stylesheet"


@pytest.mark.django_db
def test_htmx_is_told_not_to_eval_nor_inject_styles(client):
    body = client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', body)
    assert config, "htmx reads its configuration from this meta tag"
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"style"' not in config.group(1)  # never copies style attributes on a swap


def test_printed_codes_draw_without_style_attributes():
    for svg in (code128_svg("ABCD1234EFGH5678"), qr_svg("ABCD1234EFGH5678")):
        assert not STYLE_ATTRIBUTE.search(svg)
    assert 'fill="black"' in code128_svg("ABCD")


@pytest.mark.django_db
def test_api_docs_serve_swagger_from_this_site(client):
    body = client.get("/api/docs").content.decode()
    assert "cdn." not in body and not INLINE_SCRIPT.search(body)


@pytest.mark.browser
def test_pages_outside_the_journeys_run_under_the_policy(page, world, national_admin, citizen):
    """Print pages, the admin, the API docs: no violation (checked by the fixture)."""
    log_in(page, citizen.username)
    page.goto(reverse("identity:enrolment"))
    page.locator("#main form.d-inline button").click()  # get an enrolment code
    page.wait_for_load_state()
    page.goto(reverse("identity:enrolment") + "?print=1")
    assert "print=1" in page.url
    assert page.locator("svg rect[fill=black]").count() > 10  # the barcode's bars
    shot(page, "enrolment-print")
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info")
    shot(page, "api-docs")
    page.context.clear_cookies()
    log_in(page, national_admin.username)
    for name in ("admin:index", "admin:identity_relyingparty_add", "catalog:import"):
        page.goto(reverse(name))
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(reverse(name)), page.url
        shot(page, name.replace(":", "-"))
    assert page.evaluate("document.activeElement.id") == "id_file"  # focus.js ran
