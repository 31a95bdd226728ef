"""State mail: clearances gate every step, lists hide what the level hides, a failed seal
check stops the item until a supervisor closes the incident, and the delivery book prints
the chain."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image, ImageDraw
from pypdf import PdfReader

from postgov.audit.labels import action_label
from postgov.audit.models import AuditEvent
from postgov.statemail import actions
from postgov.statemail.labels import STEP_LABELS
from postgov.statemail.models import CustodyEvent, Incident, Item, Level

pytestmark = pytest.mark.clock

ID_NUMBER = "044090000123"


def _drawn_signature() -> str:
    image = Image.new("RGBA", (200, 80), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 40), (190, 45)], fill=(11, 42, 91, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


SIGNATURE = _drawn_signature()


def clear(world, user, level=Level.TUYET_MAT, *, by=None, days=30):
    today = timezone.localdate()
    return actions.grant_clearance(
        by=by or world.provincial_admin,
        user=user,
        level=level,
        province_id=world.province.pk,
        valid_from=today - timedelta(days=1),
        valid_until=today + timedelta(days=days),
    )


def accepted(world, level=Level.TUYET_MAT, *, guard=False) -> Item:
    return actions.accept(
        clerk=world.clerk_a,
        point=world.point_a,
        form=actions.Acceptance(
            level=level,
            sender_body="Văn phòng Tỉnh ủy Quảng Trị",
            addressee_body="Ban Nội chính Trung ương",
            brought_by="Giao liên Hồ Văn Tâm",
            outer_seal="NP-0001",
            inner_seal="NP-0002" if level == Level.TUYET_MAT else "",
            named_person="Trần Quốc Vượng" if level == Level.TUYET_MAT else "",
            named_person_id_number=ID_NUMBER if level == Level.TUYET_MAT else "",
            guard_requested=guard,
        ),
    )


def refusals(user) -> int:
    return AuditEvent.objects.filter(actor_id=user.pk, action="statemail.refused").count()


@pytest.fixture
def cleared(world):
    for person in (world.clerk_a, world.postman_a, world.supervisor_a):
        clear(world, person)
    return world


# -- clearances --------------------------------------------------------------------------------


def test_an_uncleared_clerk_cannot_accept_and_the_refusal_is_audited(world):
    with pytest.raises(actions.StateMailError):
        accepted(world, Level.MAT)
    assert refusals(world.clerk_a) == 1
    assert not Item.objects.exists()


def test_a_lower_clearance_is_refused_a_higher_level(client, world):
    clear(world, world.clerk_a, Level.TUYET_MAT)
    item = accepted(world, Level.TUYET_MAT)
    clear(world, world.postman_a, Level.TOI_MAT)
    client.force_login(world.postman_a)
    with translation.override("en"):
        response = client.post(
            reverse("statemail:find"), {"number": item.item_number}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 403
    assert "You are not cleared for" in response.content.decode()
    assert refusals(world.postman_a) == 1
    response = client.get(reverse("statemail:item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 403
    assert "Bạn chưa được cấp phép" in response.content.decode()
    assert refusals(world.postman_a) == 2


def test_expired_and_revoked_clearances_do_not_count(world, _pinned_clock):
    clearance = clear(world, world.clerk_a, Level.MAT, days=2)
    assert actions.is_cleared(world.clerk_a, Level.MAT)
    assert not actions.is_cleared(world.clerk_a, Level.TOI_MAT)
    _pinned_clock.shift(timedelta(days=3))
    assert not actions.is_cleared(world.clerk_a, Level.MAT)
    clearance = clear(world, world.clerk_a, Level.MAT)
    actions.revoke_clearance(by=world.supervisor_a, clearance_id=clearance.pk)
    assert not actions.is_cleared(world.clerk_a, Level.MAT)
    assert AuditEvent.objects.filter(action="statemail.clearance_revoked").count() == 1


def test_only_a_supervisor_or_administrator_of_the_province_grants(world):
    with pytest.raises(actions.StateMailError):
        clear(world, world.postman_a, by=world.clerk_a)
    with pytest.raises(actions.StateMailError):
        clear(world, world.supervisor_a, by=world.supervisor_a)
    clear(world, world.postman_a, by=world.supervisor_a)


def test_the_clearance_page_grants_and_revokes(client, world):
    client.force_login(world.supervisor_a)
    today = timezone.localdate()
    response = client.post(
        reverse("statemail:clearances"),
        {
            "user": world.postman_a.pk,
            "level": Level.TOI_MAT,
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert actions.is_cleared(world.postman_a, Level.TOI_MAT)
    clearance = world.postman_a.statemail_clearances.get()
    client.post(reverse("statemail:revoke", args=[clearance.pk]))
    assert not actions.is_cleared(world.postman_a, Level.MAT)


# -- lists -------------------------------------------------------------------------------------


def test_lists_hide_names_per_level(client, cleared):
    world = cleared
    top = accepted(world, Level.TUYET_MAT)
    low = accepted(world, Level.MAT)
    client.force_login(world.clerk_a)
    page = client.get(reverse("statemail:items")).content.decode()
    assert top.item_number in page and low.item_number in page
    # The sender shows once (the Mật item's row), the named person never.
    assert page.count("Văn phòng Tỉnh ủy Quảng Trị") == 1
    assert "Trần Quốc Vượng" not in page
    assert AuditEvent.objects.filter(action="statemail.listed").count() == 1


def test_a_list_leaves_out_items_above_the_viewers_clearance(client, world):
    clear(world, world.clerk_a)
    top = accepted(world, Level.TUYET_MAT)
    clear(world, world.postman_a, Level.MAT)
    client.force_login(world.postman_a)
    page = client.get(reverse("statemail:items")).content.decode()
    assert top.item_number not in page


def test_every_view_of_an_item_is_audited(client, cleared):
    item = accepted(cleared, Level.TOI_MAT)
    client.force_login(cleared.clerk_a)
    assert client.get(reverse("statemail:item", args=[item.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="statemail.viewed", object_id=str(item.pk)).count() == 1


def test_staff_of_another_point_do_not_find_the_item(client, cleared):
    clear(cleared, cleared.clerk_b)
    item = accepted(cleared, Level.MAT)
    client.force_login(cleared.clerk_b)
    assert client.get(reverse("statemail:item", args=[item.pk])).status_code == 404


# -- custody -----------------------------------------------------------------------------------


def test_marks_follow_the_level(cleared):
    assert accepted(cleared, Level.TUYET_MAT).mark == "A"
    assert accepted(cleared, Level.TOI_MAT).mark == "B"
    assert accepted(cleared, Level.MAT).mark == "C"
    assert accepted(cleared, Level.MAT).inner_seal == ""


def test_a_seal_mismatch_holds_the_item_and_only_a_supervisor_releases_it(cleared):
    world = cleared
    item = accepted(world)
    actions.offer(giver=world.clerk_a, item_id=item.pk, taker=world.postman_a, place="Quầy 1")
    event = actions.take(
        taker=world.postman_a,
        item_id=item.pk,
        point_id=world.point_a.pk,
        seals_typed=["NP-0001", "NP-9999"],
    )
    item.refresh_from_db()
    assert event.kind == CustodyEvent.Kind.REFUSED
    assert item.state == Item.State.HELD and item.holder == world.clerk_a
    incident = Incident.objects.get(item=item)
    with pytest.raises(actions.StateMailError):
        actions.offer(giver=world.clerk_a, item_id=item.pk, taker=world.postman_a, place="Quầy 1")
    with pytest.raises(actions.StateMailError):
        actions.close_incident(supervisor=world.clerk_a, incident_id=incident.pk, note="ok")
    actions.close_incident(
        supervisor=world.supervisor_a, incident_id=incident.pk, note="Số niêm phong ghi nhầm"
    )
    item.refresh_from_db()
    assert item.state == Item.State.ACCEPTED
    actions.offer(giver=world.clerk_a, item_id=item.pk, taker=world.postman_a, place="Quầy 1")


def test_a_broken_seal_stops_the_item(cleared):
    item = accepted(cleared, Level.MAT)
    actions.offer(giver=cleared.clerk_a, item_id=item.pk, taker=cleared.postman_a, place="Quầy 1")
    actions.take(
        taker=cleared.postman_a,
        item_id=item.pk,
        point_id=None,
        seals_typed=["NP-0001"],
        seal_broken=True,
    )
    item.refresh_from_db()
    assert item.state == Item.State.HELD


def test_an_uncleared_taker_is_refused(world):
    clear(world, world.clerk_a)
    item = accepted(world, Level.MAT)
    with pytest.raises(actions.StateMailError):
        actions.offer(giver=world.clerk_a, item_id=item.pk, taker=world.postman_a, place="Quầy 1")
    assert refusals(world.clerk_a) == 1


def test_a_guard_is_named_when_the_sender_asked(cleared):
    item = accepted(cleared, Level.TOI_MAT, guard=True)
    with pytest.raises(actions.StateMailError):
        actions.offer(giver=cleared.clerk_a, item_id=item.pk, taker=cleared.postman_a, place="Q1")
    with pytest.raises(actions.StateMailError, match="số định danh"):
        actions.offer(
            giver=cleared.clerk_a,
            item_id=item.pk,
            taker=cleared.postman_a,
            place="Q1",
            guard="Võ An",
        )
    actions.offer(
        giver=cleared.clerk_a,
        item_id=item.pk,
        taker=cleared.postman_a,
        place="Q1",
        guard="Võ An",
        guard_id_number=GUARD_ID,
    )


GUARD_ID = "044085001234"


def test_the_guard_signs_every_hand_and_the_book_shows_every_signature(client, cleared):
    item = accepted(cleared, Level.TOI_MAT, guard=True)
    client.force_login(cleared.clerk_a)
    offered = client.post(
        reverse("statemail:offer", args=[item.pk]),
        {
            "taker": cleared.postman_a.pk,
            "place": "Bưu điện Đông Hà, quầy 1",
            "guard": "Võ Văn An",
            "guard_id_number": GUARD_ID,
        },
    )
    assert offered.status_code == 302
    client.force_login(cleared.postman_a)
    take = reverse("statemail:take", args=[item.pk])
    page = client.get(reverse("statemail:item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-signature-pad="id_guard_signature"' in page.content.decode()
    unsigned = client.post(take, {"outer_seal": "NP-0001"}, HTTP_ACCEPT_LANGUAGE="en")
    assert unsigned.status_code == 400
    assert "Võ Văn An signs on the screen as well" in unsigned.content.decode()
    assert (
        client.post(take, {"outer_seal": "NP-0001", "guard_signature": SIGNATURE}).status_code
        == 302
    )
    deliver = reverse("statemail:deliver", args=[item.pk])
    form = client.get(reverse("statemail:item", args=[item.pk])).content.decode()
    assert 'value="Võ Văn An"' in form  # the guard of the last hand, ready to sign
    proof = {
        "recipient_name": "Lê Thị Hoa",
        "recipient_id_number": "044190000456",
        "outer_seal": "NP-0001",
        "signature": SIGNATURE,
        "guard": "Võ Văn An",
        "guard_id_number": GUARD_ID,
    }
    refused = client.post(deliver, proof, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400 and "signs on the screen as well" in refused.content.decode()
    assert "Lê Thị Hoa" in refused.content.decode()  # nothing typed is lost
    no_guard = client.post(
        deliver, {**proof, "guard": "", "guard_id_number": "", "guard_signature": SIGNATURE}
    )
    assert no_guard.status_code == 400
    done = client.post(deliver, {**proof, "guard_signature": SIGNATURE})
    assert done.status_code == 302
    handed, delivered = item.events.filter(kind__in=["handed_over", "delivered"]).order_by(
        "at", "pk"
    )
    for event in (handed, delivered):
        assert (event.guard, event.guard_id_number) == ("Võ Văn An", GUARD_ID)
        assert bytes(event.guard_signature).startswith(b"\x89PNG") and event.guard_signed_at
    page = client.get(reverse("statemail:item", args=[item.pk])).content.decode()
    assert GUARD_ID not in page and "••••••••1234" in page
    book = client.get(reverse("statemail:item_book", args=[item.pk])).content
    text = pdf_text(book)
    assert "Áp tải: Võ Văn An (CCCD ••••••••1234), đã ký" in text and GUARD_ID not in text
    drawn = b"".join(page.get_contents().get_data() for page in PdfReader(io.BytesIO(book)).pages)
    # The guard at both hands, the recipient at the door (one image, drawn three times).
    assert len(re.findall(rb"/I\d+ Do", drawn)) == 3
    logged = AuditEvent.objects.filter(object_type="statemail.item", object_id=str(item.pk))
    assert all(GUARD_ID not in str(e.details) and "Võ" not in str(e.details) for e in logged)


def full_chain(client, world) -> Item:
    item = accepted(world)
    client.force_login(world.clerk_a)
    response = client.post(
        reverse("statemail:offer", args=[item.pk]),
        {"taker": world.postman_a.pk, "place": "Bưu điện Đông Hà, quầy 1"},
    )
    assert response.status_code == 302
    client.force_login(world.postman_a)
    response = client.post(
        reverse("statemail:take", args=[item.pk]),
        {"outer_seal": "np-0001", "inner_seal": "NP-0002"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("statemail:deliver", args=[item.pk]),
        {
            "recipient_name": "Trần Quốc Vượng",
            "recipient_id_number": "044090000999",
            "outer_seal": "NP-0001",
            "inner_seal": "NP-0002",
            "signature": SIGNATURE,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "only to the named person" in response.content.decode()
    response = client.post(
        reverse("statemail:deliver", args=[item.pk]),
        {
            "recipient_name": "Trần Quốc Vượng",
            "recipient_id_number": ID_NUMBER,
            "outer_seal": "NP-0001",
            "inner_seal": "NP-0002",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400  # neither a signature nor why there is none
    assert "The recipient signs on the screen" in response.content.decode()
    response = client.post(
        reverse("statemail:deliver", args=[item.pk]),
        {
            "recipient_name": "Trần Quốc Vượng",
            "recipient_id_number": ID_NUMBER,
            "outer_seal": "NP-0001",
            "inner_seal": "NP-0002",
            "signature": SIGNATURE,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    return item


def test_the_full_chain_to_delivery(client, cleared):
    item = full_chain(client, cleared)
    assert item.state == Item.State.DELIVERED
    kinds = list(item.events.values_list("kind", flat=True))
    assert kinds == ["accepted", "handed_over", "delivered"]
    handed = item.events.get(kind="handed_over")
    assert handed.giver == cleared.clerk_a and handed.taker == cleared.postman_a
    assert handed.giver_signed_at and handed.taker_signed_at
    delivered = item.events.get(kind="delivered")
    assert bytes(delivered.taker_signature).startswith(b"\x89PNG") and delivered.taker_signed_at
    with pytest.raises(ValueError):
        handed.save()
    with pytest.raises(ValueError):
        handed.delete()


def pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def test_the_delivery_books_have_the_events(client, cleared):
    item = full_chain(client, cleared)
    client.force_login(cleared.clerk_a)
    response = client.get(reverse("statemail:item_book", args=[item.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "SỔ GIAO NHẬN" in text and item.item_number in text
    for words in ("Nhận gửi", "Giao nhận", "Phát cho người nhận", "NP-0001"):
        assert words in text
    assert "Trần Quốc Vượng" in text  # the recipient signed for it
    assert "Văn phòng Tỉnh ủy" not in text  # the sender of a Tuyệt mật item stays hidden
    response = client.get(reverse("statemail:day_book"), {"day": timezone.localdate()})
    text = pdf_text(response.content)
    assert item.item_number in text and "Nhận gửi" in text and "Giao nhận" in text
    assert AuditEvent.objects.filter(action="statemail.book_printed").count() == 2


def test_the_public_tracking_lookup_does_not_find_state_mail(client, cleared):
    # State mail items are not postal items of a dossier: the public lookup (page and API)
    # answers "not found" for their numbers.
    item = accepted(cleared)
    response = client.get(reverse("dossiers:track"), {"code": item.item_number})
    assert response.status_code == 404
    assert "Ban Nội chính" not in response.content.decode()
    assert client.get(f"/api/v1/track/{item.item_number}").status_code in (404, 429)


def test_every_step_reads_as_words_in_both_languages():
    for step in STEP_LABELS:
        with translation.override("en"):
            english = action_label(f"statemail.{step}")
        with translation.override("vi"):
            vietnamese = action_label(f"statemail.{step}")
        assert english != f"statemail.{step}" and vietnamese != english


def test_only_a_supervisor_closes_an_incident_on_the_page(client, cleared):
    world = cleared
    item = accepted(world, Level.MAT)
    actions.offer(giver=world.clerk_a, item_id=item.pk, taker=world.postman_a, place="Quầy 1")
    actions.take(taker=world.postman_a, item_id=item.pk, point_id=None, seals_typed=["NP-1"])
    url = reverse("statemail:close_incident", args=[item.pk])
    client.force_login(world.postman_a)
    assert client.post(url, {"note": "xong"}).status_code == 403
    client.force_login(world.supervisor_a)
    page = client.get(reverse("statemail:item", args=[item.pk])).content.decode()
    assert "Đóng sự cố" in page
    response = client.post(url, {"note": ""})
    assert response.status_code == 400  # the note is required; nothing changes
    assert Incident.objects.get(item=item).is_open
    assert client.post(url, {"note": "Niêm phong ghi nhầm số"}).status_code == 302
    assert not Incident.objects.get(item=item).is_open
    assert AuditEvent.objects.filter(action="statemail.incident_closed").count() == 1


def test_an_outsider_and_other_staff_are_refused_every_page(client, cleared):
    item = accepted(cleared, Level.MAT)
    pages = [
        reverse("statemail:items"),
        reverse("statemail:accept"),
        reverse("statemail:item", args=[item.pk]),
        reverse("statemail:item_book", args=[item.pk]),
        reverse("statemail:clearances"),
    ]
    for person in (cleared.outsider, cleared.citizen, cleared.agency_officer):
        client.force_login(person)
        for url in pages:
            assert client.get(url).status_code in (403, 404), (person, url)


def test_bad_acceptance_input_keeps_what_was_typed(client, cleared):
    client.force_login(cleared.clerk_a)
    response = client.post(
        reverse("statemail:accept"),
        {
            "level": Level.TUYET_MAT,
            "sender_body": "Văn phòng Tỉnh ủy",
            "addressee_body": "Ban Nội chính",
            "brought_by": "Hồ Văn Tâm",
            "outer_seal": "NP-1",
            "named_person_id_number": "123",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Required for a top secret item." in page and "An ID number has 12 digits." in page
    assert 'value="Văn phòng Tỉnh ủy"' in page
    assert not Item.objects.exists()


def test_the_giver_withdraws_an_unsigned_hand_over(client, cleared):
    item = accepted(cleared, Level.MAT)
    actions.offer(giver=cleared.clerk_a, item_id=item.pk, taker=cleared.postman_a, place="Q1")
    url = reverse("statemail:withdraw", args=[item.pk])
    client.force_login(cleared.postman_a)
    client.post(url)
    item.refresh_from_db()
    assert item.state == Item.State.OFFERED
    client.force_login(cleared.clerk_a)
    assert "Rút lại việc bàn giao" in client.get(reverse("statemail:item", args=[item.pk])).text
    client.post(url)
    item.refresh_from_db()
    assert item.state == Item.State.ACCEPTED and item.offered_to is None
    with pytest.raises(actions.StateMailError):
        actions.take(taker=cleared.postman_a, item_id=item.pk, point_id=None, seals_typed=["NP-1"])


def test_the_day_book_keeps_to_the_point_and_the_clearance(client, cleared):
    world = cleared
    secret = accepted(world, Level.TOI_MAT)
    plain = accepted(world, Level.MAT)
    clear(world, world.clerk_b, Level.TUYET_MAT)
    client.force_login(world.clerk_b)
    text = pdf_text(
        client.get(reverse("statemail:day_book"), {"day": timezone.localdate()}).content
    )
    assert plain.item_number not in text  # accepted at another point
    world.supervisor_a.statemail_clearances.update(level=Level.MAT)
    client.force_login(world.supervisor_a)
    text = pdf_text(
        client.get(reverse("statemail:day_book"), {"day": timezone.localdate()}).content
    )
    assert plain.item_number in text and secret.item_number not in text


def test_a_clearance_ending_before_it_starts_is_refused_in_words(client, world):
    client.force_login(world.supervisor_a)
    today = timezone.localdate()
    response = client.post(
        reverse("statemail:clearances"),
        {
            "user": world.postman_a.pk,
            "level": Level.MAT,
            "valid_from": today.isoformat(),
            "valid_until": (today - timedelta(days=1)).isoformat(),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "The end of validity comes before its start." in response.text
    assert not world.postman_a.statemail_clearances.exists()


def test_the_menu_shows_state_mail_to_cleared_point_staff_only(client, world):
    clear(world, world.clerk_a)
    items = reverse("statemail:items")
    client.force_login(world.clerk_a)
    assert f'href="{items}"' in client.get(reverse("home")).content.decode()
    client.force_login(world.clerk_b)  # point staff without a clearance
    assert f'href="{items}"' not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_menu_follows_a_revoked_clearance_at_once(client, world):
    """The menu reads clearances from the per-process cache; a revocation drops it."""
    clearance = clear(world, world.clerk_a)
    items = reverse("statemail:items")
    client.force_login(world.clerk_a)
    assert f'href="{items}"' in client.get(reverse("home")).content.decode()
    with CaptureQueriesContext(connection) as again:
        client.get(reverse("home"))
    assert not [q for q in again.captured_queries if "statemail_clearance" in q["sql"]]
    actions.revoke_clearance(by=world.provincial_admin, clearance_id=clearance.pk)
    assert f'href="{items}"' not in client.get(reverse("home")).content.decode()
