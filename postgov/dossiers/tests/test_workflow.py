"""The workflow table is consistent, and `perform` enforces it."""

from __future__ import annotations

import pytest

from postgov.audit.models import AuditEvent
from postgov.dossiers.actions import TransitionError, allowed_actions, perform, visible_dossiers
from postgov.dossiers.models import DossierEvent
from postgov.dossiers.workflow import STATES, TRANSITIONS, State
from postgov.identity.access import Access
from tests.factories import make_dossier


def test_every_state_is_described_and_every_transition_is_between_known_states():
    assert set(STATES) == set(State.values)
    for step in TRANSITIONS:
        assert step.target in STATES
        assert step.sources <= set(STATES)
        assert step.roles, step.action
    actions = [t.action for t in TRANSITIONS]
    assert len(actions) == len(set(actions))


def test_national_statuses_cover_the_portal_codes():
    statuses = {info.national_status for info in STATES.values()} - {None}
    assert statuses == set(range(1, 11))


def test_final_states_have_no_way_out():
    for state, info in STATES.items():
        if info.final:
            assert not [t for t in TRANSITIONS if state in t.sources], state


def test_clerk_of_the_point_dispatches(world, clerk_a):
    dossier = make_dossier(world, status=State.SEALED)
    dossier, event = perform(dossier.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    assert dossier.status == State.IN_TRANSIT
    assert event.from_status == State.SEALED and event.national_status == 1
    assert event.actor_role == "clerk"
    assert AuditEvent.objects.filter(action="dossier.dispatch", object_id=str(dossier.pk)).exists()


def test_clerk_of_another_point_may_not_act(world, clerk_b):
    dossier = make_dossier(world, status=State.SEALED)
    with pytest.raises(TransitionError):
        perform(dossier.pk, "dispatch", actor=clerk_b, access=Access.for_user(clerk_b))
    dossier.refresh_from_db()
    assert dossier.status == State.SEALED
    assert not DossierEvent.objects.filter(dossier=dossier).exists()


def test_wrong_role_is_refused_with_a_clear_message(world, agency_officer):
    dossier = make_dossier(world, status=State.IN_TRANSIT)
    # An officer may not take the hand-over; only receivers (and officers) of the agency
    # may, and this officer's agency is the dossier's: allowed. A postman action is not.
    with pytest.raises(TransitionError, match="không|not"):
        perform(
            dossier.pk, "dispatch", actor=agency_officer, access=Access.for_user(agency_officer)
        )


def test_illegal_transition_is_refused(world, clerk_a):
    dossier = make_dossier(world, status=State.DRAFT)
    with pytest.raises(TransitionError):
        perform(dossier.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))


def test_a_reason_is_required_where_the_table_says_so(world, clerk_a):
    dossier = make_dossier(world)
    with pytest.raises(TransitionError):
        perform(dossier.pk, "cancel", actor=clerk_a, access=Access.for_user(clerk_a))
    perform(
        dossier.pk,
        "cancel",
        actor=clerk_a,
        access=Access.for_user(clerk_a),
        note="Người dân không mang đủ giấy tờ",
    )


def test_allowed_actions_depend_on_place_and_role(world, clerk_a, clerk_b):
    dossier = make_dossier(world, status=State.SEALED)
    assert [t.action for t in allowed_actions(dossier, Access.for_user(clerk_a))] == ["dispatch"]
    assert allowed_actions(dossier, Access.for_user(clerk_b)) == []


def test_visibility_follows_points_agencies_and_provinces(
    world, clerk_a, clerk_b, officer_b, auditor, outsider
):
    dossier = make_dossier(world)
    assert list(visible_dossiers(Access.for_user(clerk_a))) == [dossier]
    assert list(visible_dossiers(Access.for_user(clerk_b))) == []
    assert list(visible_dossiers(Access.for_user(officer_b))) == []
    assert list(visible_dossiers(Access.for_user(auditor))) == [dossier]
    assert list(visible_dossiers(Access.for_user(outsider))) == []


def test_events_are_append_only(world, clerk_a):
    dossier = make_dossier(world, status=State.SEALED)
    _, event = perform(dossier.pk, "dispatch", actor=clerk_a, access=Access.for_user(clerk_a))
    event.note = "rewritten"
    with pytest.raises(RuntimeError):
        event.save()
