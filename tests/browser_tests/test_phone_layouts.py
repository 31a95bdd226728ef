"""Every public page and every page of the postman, on a 390×844 phone: nothing wider than
the screen, no select whose text is cut, lists as cards, the intake's steps on one or two
rows, a procedure's documents before its version panel. Each page leaves a screenshot in
var/screenshots/phone-*.png to look at."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from postgov.delivery import actions as delivery
from postgov.delivery import scheduling
from postgov.dossiers.tests.intake_helpers import draft
from postgov.identity.access import Access
from tests.browser import log_in
from tests.browser_tests.test_intake_journey import shot
from tests.browser_tests.test_proof_journey import collected
from tests.factories import make_intake_catalog

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LONG_NAME = "Bản chụp giấy tờ tùy thân (thẻ căn cước, căn cước công dân hoặc hộ chiếu)"

# What a phone shows wrongly, measured in the page: the page scrolls sideways; a select
# is narrower than the option it shows (the text is cut, e.g. "Bản cl").
MEASURE = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const cut = [];
  for (const select of document.querySelectorAll("select")) {
    if (!select.offsetParent) continue;
    const style = getComputedStyle(select);
    canvas.font = style.font;
    const option = select.selectedOptions[0];
    const text = option ? canvas.measureText(option.text).width : 0;
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = select.clientWidth - padding;
    if (select.scrollWidth > select.clientWidth || text > room + 1) {
      cut.push((select.id || select.name) + ": " + (option ? option.text : ""));
    }
  }
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    cut: cut,
  };
}"""


def check(page, pages: dict[str, str]) -> None:
    """Visits each page, keeps its screenshot; fails naming every page that does not fit."""
    problems = []
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        shot(page, f"phone-{name}")
        seen = page.evaluate(MEASURE)
        if seen["overflow"] > 0:
            problems.append(f"{name}: {seen['overflow']} px wider than the screen")
        if seen["cut"]:
            problems.append(f"{name}: selects cut: {seen['cut']}")
    assert not problems, "\n".join(problems)


def rows_of(page, selector: str) -> int:
    tops = page.eval_on_selector_all(
        selector, "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
    )
    return len(set(tops))


@pytest.fixture
def version(world, working_morning):
    cache.clear()
    version = make_intake_catalog(world)
    version.documents.filter(position=1).update(name=LONG_NAME)
    yield version
    cache.clear()


def test_the_public_pages_fit_a_phone(page, world, version):
    page.set_viewport_size(PHONE)
    code = version.procedure.code
    pages = {
        "home": "/",
        "procedures": reverse("catalog:procedures"),
        "procedure": reverse("catalog:procedure", args=[code]),
        "procedure-points": reverse("catalog:procedure_points", args=[code]),
        "post-offices": reverse("places:service_points"),
        "post-office": reverse("places:service_point", args=[world.point_a.code]),
        "communes": reverse("places:communes"),
        "postal-codes": reverse("places:postal_codes"),
        "converter": reverse("places:convert"),
        "agencies": reverse("agencies:agencies"),
        "agency": reverse("agencies:agency", args=[world.agency_a.unit_code]),
        "track": reverse("dossiers:track"),
        "book-pickup": reverse("delivery:book_pickup") + f"?procedure={code}",
        "login": reverse("identity:login"),
        "register": reverse("identity:register"),
        "not-found": "/no/such/page/",
    }
    check(page, pages)

    # The post offices are cards, one under the other, not a six-column table.
    page.goto(reverse("places:service_points"))
    assert page.locator("table.pg-cards thead").bounding_box()["height"] <= 1
    address = page.locator("table.pg-cards td", has_text="1 Trần Hưng Đạo").bounding_box()
    assert address["width"] >= PHONE["width"] * 0.6, "the address squeezed into a column"
    assert page.locator("table.pg-cards tbody tr").first.bounding_box()["height"] < 200

    # A procedure: what to hand in comes before the version panel.
    page.goto(reverse("catalog:procedure", args=[code]))
    documents = page.locator("#documents-title").bounding_box()["y"]
    assert documents < page.locator("#summary-title").bounding_box()["y"]
    assert documents < page.locator("#versions-title").bounding_box()["y"]
    assert page.locator("#book-pickup").bounding_box()["y"] < documents  # the way on first
    name = page.locator(".pg-documents td", has_text="Bản chụp giấy tờ tùy thân").bounding_box()
    assert name["width"] >= PHONE["width"] * 0.6, "document names squeezed into a column"


def test_the_postmans_pages_fit_a_phone(page, world, version, supervisor_a, postman_a):
    page.set_viewport_size(PHONE)
    booking = delivery.book_pickup(
        procedure=version.procedure,
        name="Hoàng Thị Mai",
        phone="0987654321",
        address="Số 12 Lê Duẩn",
        commune=world.commune_a,
        day=scheduling.first_collection_day(world.province.pk),
        window="morning",
        note="Nhà có cổng xanh",
    )
    delivery.assign_pickup(
        booking.pk, postman_a, actor=supervisor_a, access=Access.for_user(supervisor_a)
    )
    result = collected(world)
    dossier = draft(world, version, postman_a)
    log_in(page, "postman_a")
    pages = {
        "postman-home": "/",
        "postman-pickups": reverse("delivery:pickups"),
        "postman-pickup": reverse("delivery:pickup", args=[booking.pk]),
        "postman-manifests": reverse("carriage:manifests"),
        "postman-deliveries": reverse("carriage:deliveries"),
        "postman-delivery": reverse("carriage:delivery", args=[result.pk]),
        "postman-intake": reverse("dossiers:intake_applicant", args=[dossier.pk]),
        "postman-checklist": reverse("dossiers:intake_checklist", args=[dossier.pk]),
        "postman-fees": reverse("dossiers:intake_fees", args=[dossier.pk]),
    }
    check(page, pages)

    # The checklist: each document a card, its name on the card's width; the hint speaks
    # of touch, not of the space bar; the four steps on one or two rows.
    page.goto(reverse("dossiers:intake_checklist", args=[dossier.pk]))
    assert rows_of(page, ".pg-steps li") <= 2
    hint = page.locator(".pg-intake .card-body > p.small:visible").inner_text()
    assert "Phím cách" not in hint and "phím" not in hint.lower()
    label = page.locator("label", has_text="Bản chụp giấy tờ tùy thân")
    assert label.bounding_box()["width"] >= PHONE["width"] * 0.6
    assert label.bounding_box()["height"] < 4 * 24  # three lines at most, not two words a line
    page.goto(reverse("dossiers:intake_applicant", args=[dossier.pk]))
    assert rows_of(page, ".pg-steps li") <= 2
    assert not page.get_by_text("Ctrl+Enter").is_visible()  # no keyboard on a phone


def test_the_checklists_selects_are_not_cut_on_a_counter_screen(page, world, version, clerk_a):
    page.set_viewport_size({"width": 1366, "height": 768})
    dossier = draft(world, version, clerk_a)
    log_in(page, "clerk_a")
    page.goto(reverse("dossiers:intake_checklist", args=[dossier.pk]))
    page.wait_for_load_state("networkidle")
    shot(page, "counter-1366-checklist")
    assert not page.evaluate(MEASURE)["cut"]
