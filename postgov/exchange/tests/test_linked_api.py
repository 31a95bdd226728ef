"""A linked package's parts through the agency API, unchanged: each part is an ordinary
dossier of its agency, and the package follows what the API does to it."""

from __future__ import annotations

import pytest

from postgov.dossiers.linked.queries import Pressing, rollup
from postgov.dossiers.tests.linked_helpers import (
    BIRTH,
    INSURANCE,
    RESIDENCE,
    linked_world,
    part,
    take_in,
)
from postgov.dossiers.workflow import State
from postgov.exchange.integration import create_api_key
from postgov.exchange.tests.test_integration_api import call
from tests.agency_helpers import move

pytestmark = pytest.mark.clock


@pytest.fixture
def key_a(world):
    return create_api_key(world.agency_a, "Một cửa điện tử tỉnh")[1]


def _handed_over(world, dossier):
    dossier = move(dossier, "dispatch", world.postman_a)
    return move(dossier, "hand_over", world.agency_receiver)


def test_a_result_given_through_the_api_starts_the_parts_it_feeds(client, world, key_a):
    package = take_in(world, linked_world(world))
    birth = _handed_over(world, part(package, BIRTH).dossier)
    waiting = part(package, RESIDENCE).dossier
    # A waiting part is not on its way: the agency's API does not offer an action on it.
    detail = call(client, "get", f"/dossiers/{waiting.code}", key=key_a).json()
    assert detail["status"] == State.WAITING and detail["allowed_actions"] == []
    path = f"/dossiers/{birth.code}"
    accepted = call(client, "post", f"{path}/actions", key=key_a, body={"action": "accept"})
    assert accepted.status_code == 200
    body = {"documents": [{"name": "Giấy khai sinh", "number": "12/2026"}]}
    data = call(client, "post", f"{path}/results", key=key_a, body=body).json()
    assert data["status"] == "result_ready"
    residence = part(package, RESIDENCE)
    assert residence.dossier.status == State.SEALED
    assert residence.inputs[0]["documents"][0]["number"] == "12/2026"
    assert part(package, INSURANCE).dossier.status == State.SEALED


def test_a_refusal_through_the_api_closes_the_dependent_parts(client, world, key_a):
    package = take_in(world, linked_world(world))
    birth = _handed_over(world, part(package, BIRTH).dossier)
    body = {"action": "refuse", "reason_code": "INVALID", "note": "Thiếu giấy chứng sinh"}
    response = call(client, "post", f"/dossiers/{birth.code}/actions", key=key_a, body=body)
    assert response.json()["status"] == "refused", response.content
    for code in (RESIDENCE, INSURANCE):
        assert part(package, code).dossier.status == State.NOT_PROCESSED
    assert rollup(package).state == Pressing.RETURNING
