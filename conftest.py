"""Shared test fixtures: named personas (docs/domain.md §1) and the places they work at.

The personas are built on a tiny slice of reference data (one province, two communes,
two service points, two agencies) so tests stay fast; tests that need the full national
data load it themselves.
"""

from __future__ import annotations

import pytest

from tests.clients import PostGovClient
from tests.personas import World, build_world


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
    from tests.personas import make_national_admin

    return make_national_admin()


# -- environment-dependent tests ------------------------------------------------------------
# Under CI (CI=true) a missing PostgreSQL or Chromium is a failure, not a skip.

import os  # noqa: E402
import shutil  # noqa: E402

from django.db import connection  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = (
    os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
)


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture
def working_morning():
    """The clock at 09:00 on an ordinary Tuesday (no holiday near it), moving on from
    there: for tests that pick dates relative to today (a booking two days ahead must
    not fall on a weekend whatever day the suite runs)."""
    import datetime
    import zoneinfo

    import time_machine

    at = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    with time_machine.travel(at, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Each test starts without the reference data an earlier test's rows left in this
    process (its rows were rolled back without a signal)."""
    from postgov.lib import refcache

    refcache.forget()


@pytest.fixture(autouse=True)
def _needs_postgres(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.skip("PostgreSQL-only test; this CI pass runs on SQLite")
        _missing("needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres")


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
