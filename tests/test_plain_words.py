"""Badges and statuses say what they are in visible words, not in a tooltip or a word that
means something else."""

from django.urls import reverse

from tests.agency_helpers import handed_over


def test_demo_records_are_called_test_data_not_a_form_template(client, world):
    world.point_a.is_demo = True
    world.point_a.save(update_fields=["is_demo"])
    page = client.get(reverse("places:service_points"), HTTP_ACCEPT_LANGUAGE="vi").content
    assert 'pg-demo-badge">dữ liệu thử</span>' in page.decode()
    assert 'pg-demo-badge">mẫu</span>' not in page.decode()


def test_the_national_status_is_explained_in_visible_text(client, world):
    dossier = handed_over(world)
    client.force_login(world.agency_officer)
    page = client.get(
        reverse("dossiers:agency_dossier", args=[dossier.pk]), HTTP_ACCEPT_LANGUAGE="vi"
    ).content.decode()
    assert "Cổng quốc gia:" in page
    assert 'title="Trạng thái trên Cổng quốc gia"' not in page
