"""The audit trail names and finds what the apps above it registered, whatever their order."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from postgov.audit import registry
from postgov.audit.actions import record
from postgov.audit.labels import action_label, detail_lines
from postgov.audit.models import AuditEvent
from postgov.audit.templatetags.audit_words import role_label
from postgov.audit.views import search


@pytest.fixture
def tables(monkeypatch):
    """Empty tables for the test to fill, the apps' registrations back afterwards."""
    for name in ("STEP_LABELS", "VALUE_LABELS", "CODE_FINDERS"):
        monkeypatch.setattr(registry, name, {})


def test_a_registered_step_label_names_the_action(tables):
    assert action_label("parcel.weighed") == "parcel.weighed"
    registry.register_step_labels("parcel", {"weighed": gettext_lazy("Checklist saved")})
    with translation.override("vi"):
        assert action_label("parcel.weighed") == str(gettext_lazy("Checklist saved"))
    assert action_label("parcel.opened") == "parcel.opened"


def test_a_registered_code_in_the_details_reads_as_words(tables):
    registry.register_value_labels(("colour", "paint"), {"r": "red"})
    assert detail_lines({"colour": "r", "paint": ["r", "g"], "shade": "r"}) == [
        ("colour", "red"),
        ("paint", "red, g"),
        ("shade", "r"),
    ]


def test_registering_again_changes_nothing_and_a_conflict_fails(tables):
    registry.register_value_labels(("colour",), {"r": "red"})
    registry.register_value_labels(("colour",), {"r": "red"})  # a second ready()
    with pytest.raises(ValueError, match="colour"):
        registry.register_value_labels(("colour",), {"r": "rouge"})
    assert registry.value_label("colour", "r") == "red"


@pytest.mark.django_db
def test_a_registered_finder_finds_events_by_code(tables):
    record("places.point_changed", object_type="places.servicepoint", object_id="7")
    record("places.point_changed", object_type="places.servicepoint", object_id="8")
    events = AuditEvent.objects.all()
    assert not search(events, "PT-0007").exists()

    def point_coded(codes):
        return [("places.servicepoint", 7)] if "PT-0007" in codes else []

    registry.register_code_finder(point_coded)
    registry.register_code_finder(point_coded)  # once, however often registered
    found = search(events, "pt-0007")  # as typed, or in capitals
    assert [e.object_id for e in found] == ["7"]


def test_the_apps_above_register_their_words_and_finders():
    """Dossiers name their steps and states, identity its roles; dossiers and the post find
    their codes. The audit app itself imports none of them (import contracts)."""
    with translation.override("en"):
        assert action_label("dossier.seal") != "dossier.seal"
        assert role_label("clerk") != "clerk"
        assert registry.value_label("to", "sealed") not in (None, "sealed")
    assert role_label("nobody") == "nobody"
    assert set(registry.CODE_FINDERS) == {
        "postgov.dossiers.audit_codes.dossier_coded",
        "postgov.delivery.audit_codes.delivery_coded",
    }
