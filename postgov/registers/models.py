"""Digitising paper registers: projects, their schemas as versioned data, the scanned
pages, two blind keyings per record by different operators and a verifier's decisions
where they differ (docs/domain.md, "Digitising registers")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from postgov.places.models import Commune, Province


class Project(models.Model):
    class Kind(models.TextChoices):
        POPULATION = "population", _("Population register")
        HEALTH_INSURANCE = "health_insurance", _("Health-insurance households")
        SOCIAL_INSURANCE = "social_insurance", _("Social-insurance files")
        OTHER = "other", _("Other register")

    class KeyingMode(models.TextChoices):
        BLIND_DOUBLE = "blind_double", _("Blind double keying")
        # registers/keying_modes.py serves the two other modes.
        SAMPLE_DOUBLE = "sample_double", _("Double keying of a sample")
        IMMEDIATE = "immediate", _("Immediate verification")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    province = models.ForeignKey(
        Province, models.PROTECT, related_name="+", verbose_name=_("province")
    )
    commune = models.ForeignKey(
        Commune, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    keying_mode = models.CharField(
        _("keying mode"),
        max_length=20,
        choices=KeyingMode.choices,
        default=KeyingMode.BLIND_DOUBLE,
    )
    sample_percent = models.PositiveSmallIntegerField(_("quality sample (%)"), default=5)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Text recognition: whether every upload is read in the background, and whether the
    # operators may see what was read beside the scan (off: they key blind from the scan).
    read_text = models.BooleanField(_("recognise the text of uploaded pages"), default=False)
    ocr_prefill = models.BooleanField(_("operators may see the recognised text"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("digitisation project")
        verbose_name_plural = _("digitisation projects")

    def __str__(self) -> str:
        return self.name

    def current_schema(self) -> SchemaVersion | None:
        return self.schemas.order_by("-number").first()


class SchemaVersion(models.Model):
    """The ordered fields of a project's records, as data (`fields.py` reads them). A record
    keeps the version it was keyed under; changing a version in use makes a new one."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="schemas")
    number = models.PositiveIntegerField()
    fields = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="registers_schema_number")
        ]

    def __str__(self) -> str:
        return f"{self.project} v{self.number}"


def localised(text: dict | str) -> str:
    """A schema's {"vi": ..., "en": ...} text in the page's language."""
    if isinstance(text, dict):
        language = (get_language() or "vi")[:2]
        return str(text.get(language) or text.get("vi") or text.get("en") or "")
    return str(text or "")


class Membership(models.Model):
    class Role(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        VERIFIER = "verifier", _("Verifier")
        MANAGER = "manager", _("Project manager")

    project = models.ForeignKey(Project, models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user", "role"], name="registers_one_role_once"
            )
        ]


class Batch(models.Model):
    """One upload: a PDF or images cut into records of `pages_per_record` pages."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="batches")
    label = models.CharField(_("label"), max_length=200)
    source_name = models.CharField(max_length=255)
    pages = models.PositiveIntegerField(default=0)
    pages_per_record = models.PositiveSmallIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class Record(models.Model):
    class Status(models.TextChoices):
        KEYING = "keying", _("Being keyed")
        ADJUDICATION = "adjudication", _("To the verifier")
        SETTLED = "settled", _("Settled")

    project = models.ForeignKey(Project, models.CASCADE, related_name="records")
    batch = models.ForeignKey(Batch, models.CASCADE, related_name="records")
    number = models.PositiveIntegerField()  # its place in the batch, from 1
    schema = models.ForeignKey(SchemaVersion, models.PROTECT, related_name="records")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.KEYING)
    # In the quality sample: its entries agreed, a verifier checks it all the same.
    in_sample = models.BooleanField(default=False)
    values = models.JSONField(default=dict)  # the clean values once settled
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    verifier_claimed_until = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        indexes = [models.Index(fields=["project", "status"], name="registers_record_queue")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Page(models.Model):
    record = models.ForeignKey(Record, models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField()  # within the record, from 1
    image = models.FileField(upload_to="registers/pages/%Y/%m/")
    thumbnail = models.FileField(upload_to="registers/thumbs/%Y/%m/")

    class Meta:
        ordering = ["record", "number"]


class Keying(models.Model):
    """One operator's entry of one record, in slot 1 or 2. Claimed while the operator keys;
    a claim left to expire lets another operator take the slot (the old row is kept,
    abandoned)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being keyed")
        SUBMITTED = "submitted", _("Submitted")
        ABANDONED = "abandoned", _("Handed to another operator")

    record = models.ForeignKey(Record, models.CASCADE, related_name="keyings")
    slot = models.PositiveSmallIntegerField()
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    values = models.JSONField(default=dict)
    claimed_until = models.DateTimeField()
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["record", "slot", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "slot"],
                condition=~Q(status="abandoned"),
                name="registers_one_keying_per_slot",
            ),
            models.UniqueConstraint(
                fields=["record", "operator"],
                condition=~Q(status="abandoned"),
                name="registers_two_different_operators",
            ),
        ]


class Decision(models.Model):
    """A verifier's decision on one field of one record: entry 1, entry 2, or a value of
    their own; whoever keyed something else made an error."""

    class Choice(models.TextChoices):
        ENTRY_1 = "1", _("Entry 1")
        ENTRY_2 = "2", _("Entry 2")
        TYPED = "typed", _("Typed by the verifier")

    record = models.ForeignKey(Record, models.CASCADE, related_name="decisions")
    field_key = models.CharField(max_length=50)
    entry_1 = models.TextField(blank=True)
    entry_2 = models.TextField(blank=True)
    choice = models.CharField(max_length=5, choices=Choice.choices)
    value = models.TextField(blank=True)
    operator_1 = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    operator_2 = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    wrong_1 = models.BooleanField(default=False)
    wrong_2 = models.BooleanField(default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["record", "pk"]


# -- background jobs ----------------------------------------------------------------------


class Job(models.Model):
    """A long piece of work for a project (rendering an upload, an import, OCR,
    deduplication, an export) run by the worker, with progress that any page can poll."""

    class Kind(models.TextChoices):
        UPLOAD = "upload", _("Upload of scans")
        IMPORT = "import", _("Spreadsheet import")
        OCR = "ocr", _("Text recognition")
        DEDUP = "dedup", _("Deduplication")
        EXPORT = "export", _("Export")
        ARCHIVE = "archive", _("Archive files")

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("job state", "waiting")
        RUNNING = "running", pgettext_lazy("job state", "running")
        DONE = "done", pgettext_lazy("job state", "done")
        FAILED = "failed", pgettext_lazy("job state", "failed")

    class Phase(models.TextChoices):
        # A job in phases counts each phase from zero; one without phases leaves it blank.
        READING = "reading", _("Reading the file")
        CHECKING = "checking", _("Checking the rows")
        WRITING = "writing", _("Writing the records")

    project = models.ForeignKey(Project, models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    phase = models.CharField(max_length=10, choices=Phase.choices, blank=True, db_default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    params = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    # What went wrong, once per language ({"vi": …, "en": …}): a job is read later by
    # people who may speak the other language.
    failure = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["project", "-created_at"], name="registers_job_recent")]

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def failure_text(self) -> str:
        return localised(self.failure)


# -- text recognition and the archive -----------------------------------------------------


class PageText(models.Model):
    """What Tesseract read on one page: the text, the same folded for search (lower case,
    no diacritics, đ as d) and the page as a searchable PDF (image plus invisible text)."""

    page = models.OneToOneField(Page, models.CASCADE, related_name="ocr")
    text = models.TextField(blank=True)
    # Searched with `contains` on folded words; no index helps a match inside the text
    # (docs/decisions/0012-registers.md).
    folded = models.TextField(blank=True)
    pdf = models.FileField(upload_to="registers/ocr/%Y/%m/", blank=True)
    prepared = models.CharField(max_length=20, blank=True)  # how (ocr.PREPARATIONS)
    made_at = models.DateTimeField()


class RecordIndex(models.Model):
    """A settled record's keyed values, folded for search; for a social-insurance file also
    its keyed fields one by one and the file as one searchable PDF (the archive)."""

    record = models.OneToOneField(Record, models.CASCADE, related_name="index")
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    values_folded = models.TextField(blank=True)
    # The archive's keys: code, birth date and box are found by exact value or prefix within
    # a project, which the indexes below serve; names by words anywhere, which no B-tree
    # index helps.
    si_code = models.CharField(max_length=20, blank=True)
    name_folded = models.CharField(max_length=200, blank=True)
    birth_date = models.CharField(max_length=10, blank=True)
    box = models.CharField(max_length=50, blank=True)
    retention = models.CharField(max_length=20, blank=True)
    pdf = models.FileField(upload_to="registers/archive/%Y/%m/", blank=True)
    indexed_at = models.DateTimeField()
    pdf_made_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["record"]
        indexes = [
            models.Index(fields=["project", "si_code"], name="registers_index_code"),
            models.Index(fields=["project", "birth_date"], name="registers_index_birth"),
            models.Index(fields=["project", "box"], name="registers_index_box"),
        ]


# -- deduplication ------------------------------------------------------------------------


class LinkageModel(models.Model):
    """A project's deduplication settings and its Splink model (registers/dedup.py): the
    threshold people review candidates from, and the model trained on the project's own
    records (Splink's JSON), which the check at settling reuses."""

    project = models.OneToOneField(Project, models.CASCADE, related_name="linkage")
    threshold = models.FloatField(_("match probability to review from"), default=0.6)
    model = models.JSONField(default=dict, blank=True)
    # False: the project was too small to learn from, the model's fixed m and u are used.
    trained = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    records = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(null=True, blank=True)


class BlockingKey(models.Model):
    """A clean record's blocking keys (dedup.blocking_keys): a settled record is compared
    with the clean records that share one, without reading the whole project."""

    record = models.ForeignKey(Record, models.CASCADE, related_name="blocking_keys")
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["project", "key"], name="registers_blocking_key")]


class DuplicateCandidate(models.Model):
    """Records that may be the same person, found by the deduplication job or when one of
    them was settled, waiting for a person to merge or separate them."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        SEPARATE = "separate", _("Not the same person")

    class Source(models.TextChoices):
        JOB = "job", _("Deduplication run")
        SETTLED = "settled", _("Check when settled")

    project = models.ForeignKey(Project, models.CASCADE, related_name="duplicate_candidates")
    records = models.ManyToManyField(Record, related_name="duplicate_candidates")
    probability = models.FloatField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices)
    job = models.ForeignKey(Job, models.SET_NULL, null=True, blank=True, related_name="+")
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-probability", "pk"]
        indexes = [
            models.Index(fields=["project", "status", "-probability"], name="registers_dup_queue")
        ]


class DuplicateDecision(models.Model):
    """A person's decision on a candidate: merge its records into one that survives (with a
    value chosen for each field where they differ), or keep them apart. Undoing restores
    every record as it was; the decision stays, marked undone."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("Merged")
        SEPARATE = "separate", _("Not the same person")

    candidate = models.ForeignKey(DuplicateCandidate, models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    survivor = models.ForeignKey(Record, models.PROTECT, null=True, blank=True, related_name="+")
    # The records merged into the survivor: no longer part of the clean register.
    absorbed = models.ManyToManyField(Record, related_name="absorbed_by", blank=True)
    values = models.JSONField(default=dict)  # the survivor's values after the merge
    before = models.JSONField(default=dict)  # {record pk: its values before}
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["candidate", "-decided_at", "-pk"]


# -- keying modes, operator effort and stored counters --------------------------------------


class KeyingEffort(models.Model):
    """What one keying cost its operator, as the keying page reports it field by field:
    keys pressed, time keying and time paused (no key for longer than the page's pause
    threshold)."""

    keying = models.OneToOneField(Keying, models.CASCADE, primary_key=True, related_name="effort")
    keystrokes = models.PositiveIntegerField(default=0)
    active_seconds = models.FloatField(default=0)
    paused_seconds = models.FloatField(default=0)


class Rekey(models.Model):
    """Immediate verification: a field the second operator keyed differently from the first
    entry, which they were asked to key again from the scan without seeing the first entry.
    Their second try is their decision; the wrong_ flags say who erred, once settled."""

    keying = models.ForeignKey(Keying, models.CASCADE, related_name="rekeys")
    field_key = models.CharField(max_length=50)
    first_entry = models.TextField(blank=True)  # what the first operator keyed
    first_try = models.TextField(blank=True)
    second_try = models.TextField(null=True, blank=True)
    wrong_1 = models.BooleanField(default=False)
    wrong_2 = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["keying", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["keying", "field_key"], name="registers_one_rekey")
        ]

    @property
    def matched_first_entry(self) -> bool:
        return self.second_try is not None and self.second_try == self.first_entry


class FieldCounter(models.Model):
    """Running agreement counts of one operator on one field of a project, kept in the
    transaction that compares or decides, so the project page reads them instead of
    comparing every pair again. The row with an empty field_key counts the operator's
    compared records."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    field_key = models.CharField(max_length=50, blank=True)
    compared = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "operator", "field_key"], name="registers_one_field_counter"
            )
        ]


class OperatorDay(models.Model):
    """One operator's work on a project on one day (the day each keying was submitted):
    records, keys, time keying and paused, and the errors later found in that work."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    day = models.DateField()
    records = models.PositiveIntegerField(default=0)
    keystrokes = models.PositiveIntegerField(default=0)
    active_seconds = models.FloatField(default=0)
    paused_seconds = models.FloatField(default=0)
    errors = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "operator", "day"], name="registers_one_operator_day"
            )
        ]
