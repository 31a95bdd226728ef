"""Documents attached to status changes through the agency API: checked (base64, type,
size), stored with their SHA-256 on the event, listed in the dossier, downloadable by
the agency and by no one else."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from postgov.dossiers.models import EventAttachment
from postgov.dossiers.workflow import State
from postgov.exchange.integration import create_api_key
from tests.agency_helpers import handed_over, move

# Deadlines, bookings, reports by day or rate-limit windows: on a pinned clock.
pytestmark = pytest.mark.clock

BASE = "/api/v1/agency"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def key_a(world):
    return create_api_key(world.agency_a, "Một cửa")[1]


@pytest.fixture
def key_b(world):
    return create_api_key(world.agency_b, "Khác")[1]


def post(client, path, key, body):
    return client.post(
        BASE + path, data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
    )


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_a_supplement_request_carries_its_annex(client, world, key_a, key_b):
    dossier = handed_over(world)
    move(dossier, "accept", world.agency_receiver)
    body = {
        "action": "request_supplement",
        "missing": ["Bản sao giấy chứng sinh"],
        "files": [
            {"name": "Phụ lục mẫu 02.pdf", "content_base64": b64(PDF)},
            {"name": "anh-chup.png", "content_base64": b64(PNG)},
        ],
    }
    response = post(client, f"/dossiers/{dossier.code}/actions", key_a, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "supplement_requested"
    listed = data["attachments"]
    assert [a["name"] for a in listed] == ["Phụ lục mẫu 02.pdf", "anh-chup.png"]
    assert listed[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (
        listed[0]["content_type"] == "application/pdf" and listed[1]["content_type"] == "image/png"
    )
    event = dossier.events.get(action="request_supplement")
    assert listed[0]["event_id"] == event.pk
    assert [a["sha256"] for a in event.details["attachments"]] == [a["sha256"] for a in listed]
    download = client.get(listed[0]["url"], HTTP_X_API_KEY=key_a)
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert client.get(listed[0]["url"], HTTP_X_API_KEY=key_b).status_code == 404
    assert client.get(listed[0]["url"]).status_code == 401
    missing = f"{BASE}/dossiers/{dossier.code}/attachments/999999"
    assert client.get(missing, HTTP_X_API_KEY=key_a).status_code == 404


def test_a_refusal_letter(client, world, key_a):
    dossier = handed_over(world)
    body = {
        "action": "refuse",
        "reason_code": "NOT_COMPETENT",
        "files": [{"name": "cong-van-tu-choi.pdf", "content_base64": b64(PDF)}],
    }
    data = post(client, f"/dossiers/{dossier.code}/actions", key_a, body).json()
    assert data["status"] == "refused" and len(data["attachments"]) == 1
    assert EventAttachment.objects.get().event.action == "refuse"


@pytest.mark.parametrize(
    ("content_base64", "words"),
    [("!!not base64!!", "base64"), (b64(b"GIF89a" + b"\x00" * 20), "PDF, PNG hoặc JPEG")],
)
def test_a_bad_file_is_refused_clearly_and_nothing_changes(
    client, world, key_a, content_base64, words
):
    dossier = handed_over(world)
    body = {
        "action": "refuse",
        "reason_code": "NOT_COMPETENT",
        "files": [{"name": "thu.pdf", "content_base64": content_base64}],
    }
    response = post(client, f"/dossiers/{dossier.code}/actions", key_a, body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert words in response.json()["detail"]
    dossier.refresh_from_db()
    assert dossier.status == State.HANDED_OVER
    assert not EventAttachment.objects.exists()


def test_too_many_files_are_refused(client, world, key_a):
    dossier = handed_over(world)
    body = {
        "action": "accept",
        "files": [{"name": f"{n}.pdf", "content_base64": b64(PDF)} for n in range(11)],
    }
    assert post(client, f"/dossiers/{dossier.code}/actions", key_a, body).status_code == 422
