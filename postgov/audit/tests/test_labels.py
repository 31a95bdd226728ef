"""Every audit action reads as words in both languages, and details read as lines."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse
from django.utils import translation

from postgov.audit.actions import record
from postgov.audit.labels import ACTION_LABELS, action_label, detail_lines
from postgov.identity.models import Role

ROOT = Path(__file__).resolve().parents[2]
# record("x.y", …), _audit("x.y", …) and an action chosen into a variable first.
LITERAL = re.compile(r'(?:record|_audit)\(\s*"([a-z_]+\.[a-z_]+)"|^\s+"([a-z_]+\.[a-z_]+)"$', re.M)
FAMILIES = {
    # f"proofing.{case.status}" and f"proofing.review_{case.status}"
    "proofing.": ["proofing.passed", "proofing.failed", "proofing.review"],
    "proofing.review_": ["proofing.review_approved", "proofing.review_rejected"],
}


def recorded_actions() -> set[str]:
    found = set()
    for path in ROOT.glob("**/*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "record(" not in text and "_audit(" not in text:
            continue
        for match in LITERAL.finditer(text):
            found.add(match.group(1) or match.group(2))
    return {a for a in found if a.split(".")[0] in {k.split(".")[0] for k in ACTION_LABELS}}


def test_the_scan_finds_the_actions():
    found = recorded_actions()
    assert {"auth.login", "oidc.code_reuse_detected", "pickup.booked", "mfa.sms_sent"} <= found


def test_every_recorded_action_has_a_label_in_both_languages():
    from postgov.dossiers.orders.workflow import STEPS
    from postgov.dossiers.workflow import TRANSITIONS

    actions = recorded_actions() | {f"dossier.{t.action}" for t in TRANSITIONS}
    actions |= {f"order.{s.action}" for s in STEPS}
    actions |= {a for family in FAMILIES.values() for a in family}
    actions |= {"admin.add", "admin.change", "admin.delete", "admin.other"}  # audit/signals.py
    for action in sorted(actions):
        with translation.override("en"):
            english = action_label(action)
        with translation.override("vi"):
            vietnamese = action_label(action)
        assert english != action, f"{action} has no label"
        assert vietnamese != english, f"{action} has no Vietnamese label"


def test_details_read_as_label_and_value_lines():
    from postgov.dossiers.workflow import State

    with translation.override("vi"):
        lines = detail_lines({"role": Role.CLERK, "from": "draft", "to": "sealed", "fraud": False})
        assert lines == [
            ("vai trò", str(Role.CLERK.label)),
            ("từ", str(State.DRAFT.label)),
            ("thành", str(State.SEALED.label)),
            ("nghi gian lận", "không"),
        ]
        assert lines[1][1] == "Đang tiếp nhận tại quầy"


def test_the_audit_trail_shows_words_not_dictionaries(client, world, auditor):
    record(
        "identity.role_granted",
        actor=world.provincial_admin,
        role=Role.PROVINCIAL_ADMIN,
        service_point_id=world.point_a.pk,
        details={"role": Role.CLERK, "user": "clerk_b"},
    )
    client.force_login(auditor)
    body = client.get(reverse("audit:events"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Cấp vai trò" in body
    assert "{&#x27;role&#x27;" not in body and "{'role'" not in body
    assert f"vai trò:</span> {Role.CLERK.label}" in body
    assert "(provincial_admin)" not in body


def test_a_citizen_reads_their_activity_in_words(client, citizen):
    record("oidc.code_reuse_detected", actor=citizen, obj=citizen)
    client.force_login(citizen)
    for language, words in (("vi", "Mã đăng nhập bị dùng hai lần"), ("en", "used twice")):
        body = client.get(reverse("identity:activity"), HTTP_ACCEPT_LANGUAGE=language).content
        assert words in body.decode() and "oidc.code_reuse_detected" not in body.decode()
