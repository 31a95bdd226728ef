"""Scans of a register turned into page images: a PDF through poppler's `pdftoppm`, TIFF,
JPEG or PNG through Pillow (every frame of a multi-page TIFF). Everything is rendered
before anything is saved, so a bad file leaves nothing behind."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageSequence, UnidentifiedImageError

from postgov.registers.jobs import JobFailed

MAX_BYTES = 200 * 1024 * 1024
MAX_PAGES = 1000
RESOLUTION = 150  # dpi: enough to read handwriting, a page stays under a megabyte or two
THUMB_WIDTH = 240
PDFTOPPM_SECONDS = 600


class SourceError(JobFailed, ValueError):
    """A file that gives no pages, and why."""


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    thumbnail: bytes


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
    return _png(small)


def _from_image(data: bytes) -> list[RenderedPage]:
    try:
        picture = Image.open(io.BytesIO(data))
        pages = []
        for frame in ImageSequence.Iterator(picture):
            frame.load()
            pages.append(RenderedPage(_png(frame), _thumbnail(frame)))
            if len(pages) > MAX_PAGES:
                raise SourceError(_("More than %(n)s pages in one file."), n=MAX_PAGES)
        return pages
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, SourceError):
            raise
        raise SourceError(_("This image file is damaged and cannot be read.")) from exc


def pdftoppm_available() -> bool:
    return shutil.which("pdftoppm") is not None


def _pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        raise SourceError(
            _(
                "PDF files cannot be read on this server: poppler-utils (pdftoppm) is not "
                "installed. Upload images, or ask the administrator to install it."
            )
        )
    return found


def _from_pdf(data: bytes) -> list[RenderedPage]:
    program = _pdftoppm()
    with tempfile.TemporaryDirectory(prefix="registers-") as folder:
        source = Path(folder) / "source.pdf"
        source.write_bytes(data)
        try:
            # A fixed program and arguments; the only path is our own temporary file.
            run = subprocess.run(  # noqa: S603
                [
                    program,
                    "-r",
                    str(RESOLUTION),
                    "-png",
                    "-l",
                    str(MAX_PAGES + 1),
                    str(source),
                    str(Path(folder) / "page"),
                ],
                capture_output=True,
                timeout=PDFTOPPM_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SourceError(
                _("This PDF takes too long to read; split it into smaller files.")
            ) from exc
        message = run.stderr.decode("utf-8", "replace").lower()
        if "password" in message or "encrypt" in message:
            raise SourceError(
                _("This PDF is protected by a password; upload a copy without the password.")
            )
        outputs = sorted(
            Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
        )
        if run.returncode != 0 or not outputs:
            raise SourceError(_("This PDF is damaged and cannot be read."))
        if len(outputs) > MAX_PAGES:
            raise SourceError(_("More than %(n)s pages in one file."), n=MAX_PAGES)
        pages = []
        for output in outputs:
            with Image.open(output) as image:
                image.load()
                pages.append(RenderedPage(output.read_bytes(), _thumbnail(image)))
        return pages


IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


def sniff(uploaded) -> None:
    """What can be told without reading the whole file: SourceError when it is empty, too
    large, or neither a PDF nor an image."""
    if uploaded.size == 0:
        raise SourceError(_("The file is empty."))
    if uploaded.size > MAX_BYTES:
        raise SourceError(_("The file is too large (at most %(n)s MB)."), n=MAX_BYTES // 1_048_576)
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    if not head.startswith((b"%PDF-", *IMAGE_MAGIC)):
        raise SourceError(_("This file is not a PDF, TIFF, JPEG or PNG file."))


def render(uploaded) -> list[RenderedPage]:
    """The pages of an uploaded file, or SourceError."""
    sniff(uploaded)
    data = uploaded.read()
    if data.startswith(b"%PDF-"):
        return _from_pdf(data)
    return _from_image(data)


def page_ranges(count: int, per_record: int) -> list[range]:
    """Pages 1..count cut into records of `per_record` pages (the last may be shorter)."""
    return [
        range(start, min(start + per_record, count + 1))
        for start in range(1, count + 1, per_record)
    ]
