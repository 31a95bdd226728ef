"""The words of this app's audit steps, read by the audit trail below it."""

from django.utils.translation import gettext_lazy as _

STEP_LABELS = {
    "started": _("Assisted session started"),
    "consented": _("Citizen's consent to assisted filing recorded"),
    "submitted": _("Assisted session ended: dossier submitted online"),
    "not_possible": _("Assisted session ended: filing online not possible"),
    "fee_recorded": _("Assistance fee recorded"),
    "return_by_post": _("Assisted session: result ordered by post"),
    "return_refused": _("Assisted session: result by post refused"),
    "receipt_printed": _("Assisted session: receipt printed"),
    "report_exported": _("Assisted sessions report exported"),
}
