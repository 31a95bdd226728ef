"""Training classes for new counter staff (decision 0019).

A trainer opens a class at a service point; its trainees practise on the real counter
screens, each on the cases the trainer hands out. A case follows a script (`scenarios`);
what the trainee did is compared with the script when they seal or turn the citizen away,
and each departure is kept as a mistake for the trainer. The practice dossiers themselves
are the dossiers app's, marked `practice` and tied to the class by its id."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from postgov.training.scenarios import MistakeKind, ScenarioKind


class TrainingClass(models.Model):
    name = models.CharField(_("name"), max_length=120)
    service_point = models.ForeignKey(
        "places.ServicePoint", models.PROTECT, related_name="+", verbose_name=_("post office")
    )
    province = models.ForeignKey("places.Province", models.PROTECT, related_name="+")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("trainer")
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Trainee(models.Model):
    training_class = models.ForeignKey(TrainingClass, models.CASCADE, related_name="trainees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["user__full_name"]
        constraints = [
            models.UniqueConstraint(fields=["training_class", "user"], name="trainee_once")
        ]


class PracticeCase(models.Model):
    """One scripted citizen handed to one trainee."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Waiting")
        STARTED = "started", _("At the counter")
        SEALED = "sealed", _("Sealed")
        TURNED_AWAY = "turned_away", _("Turned away")

    trainee = models.ForeignKey(Trainee, models.CASCADE, related_name="cases")
    scenario = models.CharField(_("scenario"), max_length=20, choices=ScenarioKind.choices)
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", models.PROTECT, related_name="+", verbose_name=_("procedure")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ASSIGNED
    )
    # The practice dossier the trainee sealed for it (the dossiers app's row).
    dossier_id = models.PositiveIntegerField(null=True, blank=True)
    dossier_code = models.CharField(_("practice code"), max_length=60, blank=True)
    turn_away_note = models.CharField(_("what the citizen was told"), max_length=300, blank=True)
    # What the simulated agency answered, in the words of its step.
    agency_answer = models.CharField(_("the agency's answer"), max_length=20, blank=True)
    assigned_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]


class Mistake(models.Model):
    case = models.ForeignKey(PracticeCase, models.CASCADE, related_name="mistakes")
    kind = models.CharField(_("mistake"), max_length=24, choices=MistakeKind.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
