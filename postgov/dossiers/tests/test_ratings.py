"""The citizen rates the handling of their delivered dossier through the link in an SMS:
only with that link, once, while it is valid, with stars from 1 to 5 and a short comment;
practice dossiers never ask."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from postgov.audit.models import AuditEvent
from postgov.dossiers import actions
from postgov.dossiers.models import DossierEvent, DossierRating
from postgov.dossiers.views.rating import PAGES_PER_CLIENT
from postgov.dossiers.workflow import State
from postgov.notify.models import Message
from tests.agency_helpers import at, handed_over, move
from tests.factories import make_dossier

pytestmark = pytest.mark.clock


def delivered(world):
    """Handed over, result ready and handed to the citizen at the agency's desk; the
    path of the rating page from the SMS it sent."""
    with time_machine.travel(at("2026-11-23 09:00"), tick=False):
        dossier = handed_over(world)
        move(dossier, "accept", world.agency_receiver)
        move(dossier, "result_ready", world.agency_officer)
        move(dossier, "deliver_at_agency", world.agency_receiver)
    message = Message.objects.get(template="dossier_rating", object_id=str(dossier.pk))
    _, text = message.outgoing()
    path = re.search(r"https?://[^/]+(/\S+)", text).group(1)
    return dossier, message, path


def test_a_delivered_dossier_asks_once_and_keeps_only_the_hash(world, client):
    dossier, message, path = delivered(world)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    rating = DossierRating.objects.get(dossier=dossier)
    assert rating.token_hash == actions.rating_token_hash(token)
    assert token not in rating.token_hash and token not in message.body  # stored masked
    assert dossier.code not in path and dossier.applicant_phone not in path
    assert message.recipient == dossier.applicant_phone

    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        page = client.get(path)
        assert page.status_code == 200 and page["Cache-Control"] == "no-store"
        done = client.post(path, {"stars": "4", "comment": "  Nhanh,\n chu đáo  "})
        assert done.status_code == 200
        again = client.post(path, {"stars": "1"})
    assert again.status_code == 200
    assert "đã được đánh giá" in again.content.decode()  # already rated (Vietnamese)
    rating.refresh_from_db()
    assert (rating.stars, rating.comment) == (4, "Nhanh, chu đáo")
    assert rating.rated_at == at("2026-11-24 10:00")
    with pytest.raises(actions.RatingError):
        actions.rate_dossier(rating, 5)
    event = AuditEvent.objects.get(action="dossier.rated")
    assert event.details == {"stars": 4, "commented": True}
    assert "chu đáo" not in str(event.details)


def test_the_page_refuses_without_a_valid_token(world, client):
    _, _, path = delivered(world)
    for wrong in ("/rate/x/", "/rate/" + "A" * 24 + "/", "/rate/" + "z" * 200 + "/"):
        page = client.get(wrong)
        assert page.status_code == 404
        assert "không hợp lệ" in page.content.decode()
        assert client.post(wrong, {"stars": "5"}).status_code == 404
    assert DossierRating.objects.filter(stars__isnull=False).count() == 0
    # Expired: a clear message, and nothing taken.
    with time_machine.travel(at("2026-11-23 09:00") + timedelta(days=31), tick=False):
        late = client.post(path, {"stars": "5"})
    assert late.status_code == 410 and "hết hạn" in late.content.decode()
    assert DossierRating.objects.get().stars is None


def test_hostile_input_is_refused_cleanly(world, client):
    _, _, path = delivered(world)
    with time_machine.travel(at("2026-11-24 10:00"), tick=False):
        for stars in ("0", "6", "-1", "abc", "", "4.5", "99999999999999999999"):
            page = client.post(path, {"stars": stars})
            assert page.status_code == 400, stars
        long = client.post(path, {"stars": "3", "comment": "x" * 501})
        assert long.status_code == 400
        script = client.post(path, {"stars": "3", "comment": "<script>alert(1)</script>"})
    assert script.status_code == 200
    rating = DossierRating.objects.get()
    assert rating.stars == 3 and rating.comment == "<script>alert(1)</script>"
    with pytest.raises(actions.RatingError):
        actions.rate_dossier(rating, 7)


def test_the_page_is_rate_limited(world, client):
    cache.clear()
    _, _, path = delivered(world)
    codes = [client.get(path).status_code for _ in range(PAGES_PER_CLIENT + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}
    cache.clear()


def test_practice_dossiers_and_other_steps_never_ask(world):
    practice = make_dossier(world, practice=True)
    event = DossierEvent(dossier=practice, to_status=State.DELIVERED, at=at("2026-11-23 09:00"))
    actions.ask_for_rating(practice, event)
    with time_machine.travel(at("2026-11-23 09:00"), tick=False):
        dossier = handed_over(world)
        move(dossier, "accept", world.agency_receiver)
        move(dossier, "result_ready", world.agency_officer)
    assert not DossierRating.objects.exists()
    assert not Message.objects.filter(template="dossier_rating").exists()
