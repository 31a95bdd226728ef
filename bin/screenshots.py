#!/usr/bin/env python
"""Screenshots of the main screens for the README (docs/screenshots/*.png).

Starts the app on a fresh SQLite database with the Quảng Trị demo, drives Debian's
Chromium through the journeys as the demo users would, and saves one picture per screen.
Usage: .venv/bin/python bin/screenshots.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyotp
from playwright.sync_api import sync_playwright

# Without POSTGOV_ENV PostGov runs as production; this is a developer's tool.
os.environ.setdefault("POSTGOV_ENV", "development")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    data = tempfile.mkdtemp(prefix="postgov-shots-")
    port = free_port()
    env = {**os.environ, "POSTGOV_DATA_DIR": data, "SITE_URL": f"http://127.0.0.1:{port}"}
    manage = [PY, str(ROOT / "manage.py")]
    for args in (["migrate", "-v0"], ["createcachetable"], ["load_demo"]):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))
    os.environ.update(env, DJANGO_SETTINGS_MODULE="postgov.settings")
    import django

    django.setup()
    from postgov.identity.demo import DEMO_PASSWORD, demo_totp_secret

    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )

            def tab(width=1280, height=860):
                context = browser.new_context(
                    base_url=base, locale="vi-VN", viewport={"width": width, "height": height}
                )
                return context.new_page()

            def shot(page, name):
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print("saved", name)

            def log_in(page, username):
                page.goto("/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", DEMO_PASSWORD)
                page.click("#main form button[type=submit]")
                page.wait_for_load_state()
                if "/accounts/login/verify/" in page.url:
                    code = pyotp.TOTP(demo_totp_secret(username)).now()
                    page.check("#id_method_0")
                    page.fill("#id_code", code)
                    page.click("#main form button[value=verify]")
                    page.wait_for_load_state()

            page = tab()
            page.goto("/")
            shot(page, "01-home-public")
            page.goto("/catalog/?q=khai+sinh")
            shot(page, "02-catalog-search")
            page.goto("/places/convert/")
            old_address = "Phường 1, thành phố Đông Hà, tỉnh Quảng Trị"
            page.fill("textarea, input[name=address]", old_address)
            page.click("#main form button[type=submit]")
            page.wait_for_load_state()
            shot(page, "03-address-converter")

            clerk = tab()
            log_in(clerk, "gdv.donghoi")
            shot(clerk, "04-clerk-home")
            clerk.goto("/dossiers/intake/")
            shot(clerk, "05-intake-start")
            clerk.goto("/dossiers/today/")
            shot(clerk, "06-clerk-day")

            agency = tab()
            log_in(agency, "tiepnhan.tinh")
            agency.goto("/agency/")
            shot(agency, "07-agency-inbox")

            postman = tab(width=400, height=820)
            log_in(postman, "buuta.donghoi")
            postman.goto("/delivery/deliveries/")
            shot(postman, "08-postman-deliveries")

            boss = tab()
            log_in(boss, "giamsat.donghoi")
            boss.goto("/reports/")
            shot(boss, "09-dashboard")

            citizen = tab()
            log_in(citizen, "congdan.muc2")
            citizen.goto("/accounts/me/")
            shot(citizen, "10-postid-account")
            page.goto("/places/find/")
            page.fill("input[name=place]", old_address)
            page.click("[data-testid=find-submit]")
            page.locator("[data-map-ready]").wait_for()
            shot(page, "11-find-post-office")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
