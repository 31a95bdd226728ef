"""What follows a record settling, however it settles (agreement, a verifier, a single
entry, immediate verification): its search index and its deduplication keys, in the same
transaction."""

from __future__ import annotations

from postgov.registers import archive, dedup_actions
from postgov.registers.models import Record


def index(row: Record) -> None:
    archive.index_record(row)
    dedup_actions.index_record(row)
