"""What people see when a page does not exist, is refused or fails: a page in the
language they read, never Django's debug pages, never both languages at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

from postgov import error_pages

ROOT = Path(__file__).resolve().parents[1]
VI_404, EN_404 = "Không tìm thấy trang", "Page not found"
VI_403, EN_403 = "Không có quyền truy cập", "Access refused"
VI_500, EN_500 = "Lỗi hệ thống", "Server error"


def settings_in_a_fresh_process(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    code = "import json, django; django.setup(); from django.conf import settings; "
    code += "print(json.dumps({'debug': settings.DEBUG}))"
    result = subprocess.run(  # noqa: S603 — our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "postgov.settings",
            "POSTGOV_ENV": "development",
            "POSTGOV_DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_runs_without_the_debug_pages_unless_asked(tmp_path):
    # `make run` is a demo: the pages people will see, unless DEBUG=1 asks for Django's.
    assert settings_in_a_fresh_process(tmp_path)["debug"] is False
    assert settings_in_a_fresh_process(tmp_path, DEBUG="1")["debug"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/catalog/9.999999/", "/dossiers/9999/", "/no/such/page/"])
def test_a_missing_page_is_friendly_in_the_language_of_the_page(client, url, clerk_a):
    client.force_login(clerk_a)
    vi = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
    assert vi.status_code == 404
    assert VI_404 in vi.content.decode() and EN_404 not in vi.content.decode()
    assert "URLconf" not in vi.content.decode()
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert EN_404 in en.content.decode() and VI_404 not in en.content.decode()


@pytest.mark.django_db
def test_a_refused_page_speaks_one_language(client, outsider):
    client.force_login(outsider)
    vi = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert VI_403 in vi
    assert "You do not have permission" not in vi and EN_403 not in vi
    en = client.get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert EN_403 in en and VI_403 not in en


# No database for these: the server-error page must render when the database is what failed.
@pytest.mark.parametrize(
    ("headers", "shown", "hidden"),
    [
        ({}, VI_500, EN_500),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, EN_500, VI_500),
        ({"HTTP_ACCEPT_LANGUAGE": "vi,en;q=0.5"}, VI_500, EN_500),
        ({"HTTP_COOKIE": "django_language=en", "HTTP_ACCEPT_LANGUAGE": "vi"}, EN_500, VI_500),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, VI_500, EN_500),
    ],
)
def test_the_server_error_page_needs_no_database_and_speaks_the_visitors_language(
    headers, shown, hidden
):
    request = RequestFactory().get("/somewhere/", **headers)
    response = error_pages.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert shown in html and hidden not in html
    assert "Traceback" not in html and "a fault on our side" not in html


def test_the_server_error_page_survives_a_broken_template(monkeypatch):
    def broken(name):
        raise OSError("templates unreadable")

    monkeypatch.setattr(error_pages.loader, "get_template", broken)
    response = error_pages.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and VI_500 in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.errors_urls")
def test_a_failing_view_shows_the_server_error_page():
    browser = Client(raise_request_exception=False)
    response = browser.get("/fails/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    html = response.content.decode()
    assert EN_500 in html and VI_500 not in html and "RuntimeError" not in html
