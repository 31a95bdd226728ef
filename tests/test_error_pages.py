"""The refusal pages (400, 403, 404) of requests that are themselves the problem: they
stay refusals and never become server errors. Django's own pages checked the CSRF token
once more, reading the refused request again."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
TOKEN = "k" * 32  # a CSRF secret in the form Django expects
LATIN_1_FORM = "application/x-www-form-urlencoded; charset=latin-1"


@pytest.fixture
def browser() -> Client:
    """A browser with a CSRF cookie and the checks on, as in production."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = TOKEN
    return client


def test_a_form_in_another_charset_is_a_bad_request(browser):
    # Django refuses a form body that is not UTF-8; its own 400 page then read it again.
    response = browser.generic(
        "POST", "/accounts/login/", f"csrfmiddlewaretoken={TOKEN}", content_type=LATIN_1_FORM
    )
    assert response.status_code == 400


def test_a_form_in_another_charset_to_no_page_is_not_found(browser):
    response = browser.generic("POST", "/no/such/page/", "a=1", content_type=LATIN_1_FORM)
    assert response.status_code == 404


def test_a_form_in_another_charset_to_the_token_endpoint_is_a_bad_request(browser):
    response = browser.generic("POST", "/oidc/token", "a=1", content_type=LATIN_1_FORM)
    assert response.status_code == 400


def test_an_unknown_host_with_a_form_in_another_charset_is_a_bad_request(browser):
    # The refused Host leads to the 400 page, which read the form again.
    response = browser.generic(
        "POST", "/oidc/logout", "a=1", content_type=LATIN_1_FORM, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400


def test_the_bad_request_page_speaks_the_language_of_the_page(client):
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 400
    assert "Không hiểu được yêu cầu" in response.content.decode()
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    assert "Request not understood" in response.content.decode()
