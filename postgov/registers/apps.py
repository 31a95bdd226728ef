from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "postgov.registers"
    verbose_name = _("Register digitisation")
    # The modules that change this app's records' state (tests/test_one_write_path.py).
    action_modules = (
        "actions",
        "jobs",
        "imports",
        "exports",
        "ocr_jobs",
        "archive",
        "dedup_actions",
        "keying_modes",
        "stats",
    )

    def ready(self) -> None:
        # A schema version saved again is forgotten by the keying screen's cache.
        from postgov.registers import schemas  # noqa: F401
