"""The tracking card kept as a form with marks and filled with a dossier's values is byte
for byte the card the template renders for that dossier: every status, the optional
parts shown or not, markup and quotes in every text value, both languages, two time zones
and a change of summer time; the cards the form does not cover are rendered."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from postgov.dossiers.tracking import card as cards
from postgov.dossiers.tracking.lookup import Step, Tracking
from postgov.dossiers.workflow import STATES, State

pytestmark = pytest.mark.clock

ZONES = ["Asia/Ho_Chi_Minh", "Europe/Paris"]
# Europe/Paris moves to summer time at 01:00 UTC on 29 March 2026.
CHANGE = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
MARKUP = "<b>A & B</b> \"C\" 'D' &amp; {{ x }} %s"


def dates(n: int) -> dict[str, datetime | None]:
    """The three dates of the `n`th card: each shown or not, around the change."""
    shown = [bool(n & 1), bool(n & 2), bool(n & 4)]
    at = [CHANGE + timedelta(minutes=37 * n - 90 + 23 * k) for k in range(3)]
    names = ["expected_handover", "due_at", "expected_return_at"]
    return {name: at[k] if shown[k] else None for k, name in enumerate(names)}


def tracking(status: str, n: int, text: str) -> Tracking:
    steps = [
        Step(at=CHANGE - timedelta(hours=1), code="a", label=f"{text} 1", place=text),
        Step(at=CHANGE + timedelta(hours=2), code="b", label="Đã gửi", place=""),
    ][: n % 3]
    items = [f"EB{n}VN", text][: n % 3]
    return Tracking(
        code=f"HS.{n}-260329-{text}",
        items=items,
        masked_name=f"Nguyễn {text} A**",
        procedure=f"Cấp {text}",
        agency=text if n % 4 else "",
        status=status,
        status_label=str(State(status).label),
        national_status=STATES[status].national_status,
        final=STATES[status].final,
        steps=steps,
        **dates(n),
    )


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_filled_card_is_the_templates_card(zone, language):
    texts = [MARKUP, "", "plain", "pgCardCodeSlotQx7 <", "Bưu cục số 1 – Hà Nội"]
    with timezone.override(zone), translation.override(language):
        compared = 0
        for (status, n), text in zip(
            itertools.product(State.values, range(8)), itertools.cycle(texts), strict=False
        ):
            result = tracking(status, n, text)
            assert cards._fits(result)
            for has_form in (True, False):
                filled = cards.render(result, has_form)
                fresh = cards.render_template(result, has_form)
                assert filled == fresh, (status, n, text, has_form)
                compared += 1
        assert compared == len(State.values) * 16
        # Every card above was filled in a kept form, none rendered for want of one.
        assert cards._forms and all(cards._forms.values())


@pytest.mark.parametrize("zone", ZONES)
def test_dates_show_as_the_templates_filters_show_them(zone):
    from django.template.defaultfilters import date

    start = CHANGE - timedelta(hours=30)
    zoned = timezone.override(zone)
    with zoned, translation.override("vi"):
        current = timezone.get_current_timezone()
        for hours in range(0, 60, 7):
            at = start + timedelta(hours=hours, minutes=hours)
            local = timezone.template_localtime(at)
            assert cards.shown_date(at, current, with_time=False) == date(local, "d/m/Y")
            assert cards.shown_date(at, current, with_time=True) == date(local, "H:i d/m/Y")


def test_a_kept_form_serves_other_dossiers_of_the_same_shape():
    with timezone.override("Asia/Ho_Chi_Minh"), translation.override("vi"):
        first = tracking(State.SEALED, 7, "một")
        second = tracking(State.SEALED, 7, MARKUP)
        cards.render(first, True)
        kept = len(cards._forms)
        assert cards.render(second, True) == cards.render_template(second, True)
        assert len(cards._forms) == kept


@pytest.mark.parametrize(
    "change",
    [
        {"due_at": datetime(2026, 3, 29, 9, 0)},  # naive: the filter would not convert it
        {"agency": None},  # the template shows "None"
        {"items": ["EB1VN", 7]},  # a number would be localized
    ],
)
def test_cards_the_form_does_not_cover_are_rendered(change):
    import dataclasses

    result = dataclasses.replace(tracking(State.SEALED, 7, "x"), **change)
    with timezone.override("Europe/Paris"), translation.override("en"):
        assert not cards._fits(result)
        assert cards.render(result, False) == cards.render_template(result, False)
