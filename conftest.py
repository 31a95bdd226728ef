"""Shared test fixtures: named personas (docs/domain.md §1) and the places they work at.

The personas are built on a tiny slice of reference data (one province, two communes,
two service points, two agencies) so tests stay fast; tests that need the full national
data load it themselves.
"""

from __future__ import annotations

import datetime
import math
import os
import shutil
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import translation

from tests.clients import PostGovClient
from tests.personas import World, build_world, make_national_admin


@pytest.fixture
def client() -> PostGovClient:
    """Its force_login gives staff the second factor their login would (tests/clients.py)."""
    return PostGovClient()


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def clerk_a(world):
    return world.clerk_a


@pytest.fixture
def clerk_b(world):
    return world.clerk_b


@pytest.fixture
def postman_a(world):
    return world.postman_a


@pytest.fixture
def supervisor_a(world):
    return world.supervisor_a


@pytest.fixture
def agency_officer(world):
    return world.agency_officer


@pytest.fixture
def agency_receiver(world):
    return world.agency_receiver


@pytest.fixture
def provincial_admin(world):
    return world.provincial_admin


@pytest.fixture
def auditor(world):
    return world.auditor


@pytest.fixture
def officer_b(world):
    return world.officer_b


@pytest.fixture
def outsider(world):
    return world.outsider


@pytest.fixture
def citizen(world):
    return world.citizen


@pytest.fixture
def national_admin(world):
    """Not part of the world: portals, upstream providers and national reference data."""
    return make_national_admin()


# -- environment-dependent tests ------------------------------------------------------------
# Under CI (CI=true) a missing PostgreSQL or Chromium is a failure, not a skip.

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


# -- the clock of date-sensitive tests ---------------------------------------------------------
# A test marked `clock` picks dates relative to today (a booking on the first day one may
# take, a deadline some working days on) and must pass whatever today is. It runs with the
# clock pinned, moving on from there: by default at 09:00 on an ordinary Tuesday (no
# holiday near it), else at the moment given by --clock or POSTGOV_TEST_CLOCK (ISO 8601
# with an offset, e.g. 2026-02-13T15:30+07:00, a Friday afternoon before Tết). CI runs
# these tests a second time with such a clock: one that books "today + 2 days" fails there.
# A test written around one particular day travels to that day itself (time_machine, or
# `working_morning`), and the option does not move it.

ORDINARY_MORNING = "2026-03-10T09:00+07:00"


def pytest_addoption(parser):
    parser.addoption(
        "--clock",
        default=os.environ.get("POSTGOV_TEST_CLOCK") or ORDINARY_MORNING,
        help="the moment (ISO 8601 with an offset) tests marked `clock` start at "
        f"(default: POSTGOV_TEST_CLOCK, else {ORDINARY_MORNING})",
    )


def pytest_configure(config):
    value = config.getoption("--clock")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None:
        raise pytest.UsageError(f"--clock / POSTGOV_TEST_CLOCK: not an ISO 8601 moment: {value!r}")
    if moment.tzinfo is None:
        raise pytest.UsageError(f"--clock / POSTGOV_TEST_CLOCK: give an offset: {value!r}")
    config.postgov_clock = moment


def pytest_report_header(config):
    return f"tests marked `clock` start at {config.postgov_clock.isoformat()}"


@pytest.fixture(autouse=True)
def _pinned_clock(request):
    """Autouse, so the clock is pinned before the world and the test's other fixtures
    write their timestamps."""
    if request.node.get_closest_marker("clock") is None:
        yield None
        return
    with time_machine.travel(request.config.postgov_clock, tick=True) as traveller:
        yield traveller


@pytest.fixture
def working_morning():
    """The clock at 09:00 on Tuesday 10 March 2026 (no holiday near it), moving on from
    there: for tests written around that day (its named weekdays, a holiday weeks ahead).
    A test that only needs "a day one may book" is marked `clock` instead and asks the
    code for that day, so that it also runs on a Friday before a holiday."""
    at = datetime.datetime.fromisoformat(ORDINARY_MORNING)
    with time_machine.travel(at, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_reference_data(monkeypatch):
    """Each test starts without the reference data an earlier test's rows left in this
    process (its rows were rolled back without a signal). The check whether another
    process changed reference data falls due once a second on whichever request comes
    then: in a test it would land inside a statement count at random, so it is not due
    here; the tests of that check make it due themselves (`checked_at` = 0)."""
    from postgov.lib import refcache

    refcache.forget()
    monkeypatch.setitem(refcache._shared, "checked_at", math.inf)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language, whatever language an earlier test
    activated in this thread (a request's middleware or a test's own `activate`)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _needs_postgres(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.skip("PostgreSQL-only test; this CI pass runs on SQLite")
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def tesseract() -> str:
    """Text recognition's programs: Tesseract with Vietnamese, and OCRmyPDF."""
    found = shutil.which("tesseract")
    if not found or not shutil.which("ocrmypdf"):
        _missing(
            "Tesseract or OCRmyPDF not found: "
            "apt-get install tesseract-ocr tesseract-ocr-vie ocrmypdf unpaper"
        )
    assert found is not None
    tessdata = {p.stem for p in Path("/usr/share").glob("tesseract-ocr/*/tessdata/*.traineddata")}
    if "vie" not in tessdata and not os.environ.get("TESSDATA_PREFIX"):
        _missing("Tesseract has no Vietnamese: apt-get install tesseract-ocr-vie")
    return found


@pytest.fixture(scope="session")
def _playwright_browser():
    if not CHROMIUM:
        _missing("Chromium not found: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        _missing("playwright is not installed")
    # Playwright runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


SCREENSHOTS = os.path.join(os.path.dirname(__file__), "var", "screenshots")


@pytest.fixture
def page(_playwright_browser, live_server, request):
    """A fresh browser tab on the live server; a screenshot is kept after each test in
    var/screenshots/ so people can look at what was built."""
    context = _playwright_browser.new_context(
        base_url=live_server.url, locale="vi-VN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    # Whatever the Content-Security-Policy refused fails the test (Chromium reports it here).
    refused = []
    tab.on(
        "console",
        lambda m: (
            "Content Security Policy" in m.text
            and refused.append(f"{m.location.get('url')}: {m.text}")
        ),
    )
    yield tab
    os.makedirs(SCREENSHOTS, exist_ok=True)
    try:
        tab.screenshot(path=os.path.join(SCREENSHOTS, f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
    assert not refused, "Content-Security-Policy violations:\n" + "\n".join(refused)
