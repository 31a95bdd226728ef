"""Checking a scanned file before it is attached: its type by its first bytes (never by
its name or the browser's word), its size, and its SHA-256."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext as _

# (magic bytes, MIME type, extension)
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


class ScanError(ValueError):
    """A file that may not be attached; the message says why."""


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, mime, extension in SIGNATURES:
        if head.startswith(magic):
            return mime, extension
    return None


def check_scan(uploaded) -> tuple[str, str, str]:
    """Return (MIME type, extension, SHA-256 hex) of an uploaded file, or raise ScanError."""
    limit = settings.SCAN_MAX_BYTES
    if uploaded.size == 0:
        raise ScanError(_("The file “%(name)s” is empty.") % {"name": uploaded.name[:80]})
    if uploaded.size > limit:
        raise ScanError(
            _("The file “%(name)s” is too large (%(size)s MB; at most %(limit)s MB).")
            % {
                "name": uploaded.name[:80],
                "size": f"{uploaded.size / 1_048_576:.1f}",
                "limit": f"{limit / 1_048_576:.0f}",
            }
        )
    uploaded.seek(0)
    kind = sniff(uploaded.read(16))
    if kind is None:
        raise ScanError(
            _("The file “%(name)s” is not a PDF, JPEG or PNG file.") % {"name": uploaded.name[:80]}
        )
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return kind[0], kind[1], digest.hexdigest()
