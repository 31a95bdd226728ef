"""What the operations commands record: a backup made and a restore, in the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from postgov.audit.actions import record


def record_backup(name: str, manifest: dict[str, Any]) -> None:
    """A backup holds every record and scan: that one was taken, and when, is
    security-relevant. The parts' SHA-256 tie a copy found somewhere to this event (the
    backup itself was taken just before, so it does not hold the event)."""
    with transaction.atomic():
        record(
            "ops.backup_made",
            object_type="backup",
            object_id=name[:64],
            details={
                "engine": manifest["engine"],
                "parts": {part: about["sha256"] for part, about in manifest["parts"].items()},
            },
        )


def record_restore(name: str, manifest: dict[str, Any], *, tables: int, rows: int) -> None:
    with transaction.atomic():
        record(
            "ops.restored",
            object_type="backup",
            object_id=name[:64],
            details={"created_at": manifest["created_at"], "tables": tables, "rows": rows},
        )
