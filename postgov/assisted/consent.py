"""The notice a citizen agrees to before a clerk helps them online, and its version.

The session keeps the version it was shown, so a later change of the words never changes
what an earlier citizen agreed to: a new text gets a new version (decision 0022)."""

from django.utils.translation import gettext_lazy as _

NOTICE_VERSION = "2026-12"

NOTICE = (
    _(
        "I ask the post office clerk to help me use the online public service. "
        "I log in to the portal myself and type my own password and one-time code; "
        "the clerk never asks for them and never types them."
    ),
    _(
        "I allow the post office to keep my name, phone number and ID number, the "
        "service used and its outcome, to give me a receipt and to send me the result "
        "if I ask for it."
    ),
    _("I can withdraw at any time; what I filed on the portal stays mine."),
)
