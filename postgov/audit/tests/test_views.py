import pytest
from django.urls import reverse

from postgov.audit.actions import record
from postgov.audit.models import AuditEvent

EVENTS = reverse("audit:events")
VERIFY = reverse("audit:verify")


def test_it_checks_access(client, clerk_a, outsider, agency_officer):
    assert client.get(EVENTS).status_code == 302
    for person in (clerk_a, outsider, agency_officer):
        client.force_login(person)
        assert client.get(EVENTS).status_code == 403
        assert client.post(VERIFY).status_code == 403


@pytest.mark.parametrize("who", ["auditor", "provincial_admin"])
def test_oversight_sees_events_of_its_province(client, world, who):
    record(
        "dossier.sealed",
        actor=world.clerk_a,
        service_point_id=world.point_a.pk,
        object_type="dossiers.dossier",
        object_id="42",
    )
    client.force_login(getattr(world, who))
    body = client.get(EVENTS, {"action": "dossier."}).content.decode()
    assert "dossier.sealed" in body and "clerk_a" in body


def test_events_of_another_province_stay_hidden(client, world, auditor):
    record("dossier.sealed", service_point_id=999_999, object_id="elsewhere")
    client.force_login(auditor)
    assert "elsewhere" not in client.get(EVENTS).content.decode()


def test_verify_reports_and_is_itself_audited(client, auditor):
    client.force_login(auditor)
    response = client.post(VERIFY, follow=True)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="audit.verified").exists()
