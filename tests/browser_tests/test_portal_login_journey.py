"""A citizen logs in to a portal with PostID in a real browser: login, consent, back."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from postgov.identity.models import RelyingParty
from tests.personas import PASSWORD

SHOTS = "var/screenshots"


@pytest.mark.browser
def test_citizen_logs_in_to_a_portal_and_consents(page, live_server, citizen, settings):
    settings.OIDC_ISSUER = live_server.url
    callback = live_server.url + "/healthz"
    RelyingParty.objects.create(
        name="Cổng Dịch vụ công tỉnh Quảng Trị",
        description="Nộp hồ sơ trực tuyến, theo dõi kết quả.",
        client_id="dvc",
        client_type="confidential",
        client_secret="x" * 40,
        redirect_uris=callback,
        allowed_scopes=["openid", "profile", "phone", "address"],
    )
    query = {
        "client_id": "dvc",
        "redirect_uri": callback,
        "response_type": "code",
        "scope": "openid profile phone",
        "state": "abc",
        "nonce": "n",
    }
    page.goto("/oidc/authorize?" + urlencode(query))
    assert "Cổng Dịch vụ công tỉnh Quảng Trị" in page.content()
    page.screenshot(path=f"{SHOTS}/portal_1_login.png", full_page=True)
    page.fill("#id_username", "citizen")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Đồng ý", exact=True).is_visible()
    page.screenshot(path=f"{SHOTS}/portal_2_consent.png", full_page=True)
    page.get_by_role("button", name="Đồng ý", exact=True).click()
    page.wait_for_load_state()
    params = parse_qs(urlsplit(page.url).query)
    assert page.url.startswith(callback) and params["state"] == ["abc"] and params["code"]
