"""The scripted citizens of practice cases, and what the clerk is expected to do.

Each scenario is a citizen at the counter: what they say, the ID card whose QR the trainee
scans, the papers they bring, and the right outcome (seal, or turn them away with advice).
They are code, reviewed and translated like the rest of the screens, not data an
administrator edits: a script that teaches the wrong rule would be worse than none."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ScenarioKind(models.TextChoices):
    COMPLETE = "complete", _("A complete dossier")
    MISSING_DOCUMENT = "missing_document", _("A missing document")
    NOT_BY_POST = "not_by_post", _("A procedure that cannot go by post")
    EXEMPT = "exempt", _("An exempt citizen")
    WRONG_QR = "wrong_qr", _("Someone else's ID card")


class MistakeKind(models.TextChoices):
    MISSING_DOCUMENT = "missing_document", _("Accepted a dossier with a mandatory document missing")
    NOT_BY_POST = "not_by_post", _("Accepted by post a procedure that cannot go by post")
    CHARGED_EXEMPT = "charged_exempt", _("Charged a citizen who is exempt")
    WRONG_ID = "wrong_id", _("Accepted a dossier on someone else's ID card")
    TURNED_AWAY = "turned_away", _("Turned away a citizen whose dossier could be received")


class Outcome(models.TextChoices):
    SEAL = "seal", _("Receive and seal the dossier")
    TURN_AWAY = "turn_away", _("Do not seal: explain to the citizen what to do")


@dataclass(frozen=True)
class Script:
    kind: str
    citizen_name: str
    # What the scanner types from the card the citizen hands over.
    qr: str
    phone: str
    story: str | Promise
    expected: str
    advice: str | Promise
    # Whether every mandatory document is in the citizen's hands.
    all_documents: bool = True
    exemption_card: str = ""
    # The card's owner is not the citizen at the counter.
    card_number_not_theirs: str = ""


SCRIPTS: dict[str, Script] = {
    ScenarioKind.COMPLETE: Script(
        kind=ScenarioKind.COMPLETE,
        citizen_name="Trần Văn Phúc",
        qr="045088004411||Trần Văn Phúc|12051988|Nam|Khu phố 3, Phường Đông Hà, Quảng Trị|05062021",
        phone="0900000101",
        story=_("The citizen brings every paper the procedure asks for and pays in cash."),
        expected=Outcome.SEAL,
        advice=_("Check each paper against the checklist, collect the fees and seal."),
    ),
    ScenarioKind.MISSING_DOCUMENT: Script(
        kind=ScenarioKind.MISSING_DOCUMENT,
        citizen_name="Nguyễn Thị Hà",
        qr="045192005522||Nguyễn Thị Hà|03091992|Nữ|Thôn Đông, Phường Đông Hà, Quảng Trị|11022022",
        phone="0900000102",
        story=_(
            "The citizen brings the papers but the last mandatory one on the checklist is "
            "not among them."
        ),
        expected=Outcome.TURN_AWAY,
        advice=_("Tick only what is handed in; guide the citizen to complete the dossier."),
        all_documents=False,
    ),
    ScenarioKind.NOT_BY_POST: Script(
        kind=ScenarioKind.NOT_BY_POST,
        citizen_name="Phạm Văn Long",
        qr=(
            "045085006633||Phạm Văn Long|20071985|Nam|"
            "Khu phố 1, Phường Đồng Hới, Quảng Trị|01032021"
        ),
        phone="0900000103",
        story=_(
            "The citizen wants to send by post a procedure that needs them in person at the agency."
        ),
        expected=Outcome.TURN_AWAY,
        advice=_(
            "Do not receive it under another procedure: tell the citizen to go to the agency."
        ),
    ),
    ScenarioKind.EXEMPT: Script(
        kind=ScenarioKind.EXEMPT,
        citizen_name="Hoàng Văn Sơn",
        qr="045050007744||Hoàng Văn Sơn|15021950|Nam|Thôn Bắc, Phường Đông Hà, Quảng Trị|20042021",
        phone="0900000104",
        story=_("The citizen shows a war invalid's card (người có công) with the papers."),
        expected=Outcome.SEAL,
        advice=_("Record the exemption with the card's number: the citizen pays no charge."),
        exemption_card="TB-44-0123",
    ),
    ScenarioKind.WRONG_QR: Script(
        kind=ScenarioKind.WRONG_QR,
        citizen_name="Lê Thị Hồng",
        qr="045089009966||Lê Văn Tùng|08101989|Nam|Thôn Nam, Phường Đông Hà, Quảng Trị|14052021",
        phone="0900000105",
        story=_(
            "The citizen, a woman, hands over an ID card; its photo and name are her "
            "husband's, not hers."
        ),
        expected=Outcome.TURN_AWAY,
        advice=_("Compare the card with the person: ask for her own ID card."),
        card_number_not_theirs="045089009966",
    ),
}


def script(kind: str) -> Script:
    return SCRIPTS[kind]
