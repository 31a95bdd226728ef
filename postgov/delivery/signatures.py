"""Signatures drawn on a phone (a canvas turned into a PNG data URL) and photos taken as
proof: checked before they are kept, never trusted as sent. A drawing with no ink (an
empty pad) is no signature."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from PIL import Image, ImageChops, UnidentifiedImageError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 300 * 1024
MAX_PHOTO_BYTES = 6 * 1024 * 1024
# A phone's pad is about 1200 × 600 device pixels; more is not a drawn signature, and a
# small PNG of a huge blank canvas would cost memory to inspect.
MAX_SIGNATURE_PIXELS = 4_000_000
_PREFIX = "data:image/png;base64,"


class ProofFileError(ValueError):
    """The file is not what it should be; the message says what to do."""


@dataclass(frozen=True)
class Unsigned:
    """Why a person did not sign on the screen (a `MissingSignature.Reason`) and what
    happened, in the words of whoever records the step."""

    reason: str
    note: str


def signature_png(data_url: str | None) -> bytes | None:
    """The PNG bytes of a canvas signature, or None when nothing was drawn (no JavaScript,
    the field left empty, or a pad without a stroke on it). Anything else than a small,
    real PNG is refused."""
    data_url = (data_url or "").strip()
    if not data_url:
        return None
    if not data_url.startswith(_PREFIX):
        raise ProofFileError("signature: not a PNG image")
    if len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(_PREFIX) + 4:
        raise ProofFileError("signature: too large")
    try:
        content = base64.b64decode(data_url[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProofFileError("signature: not valid base64") from exc
    _check_image(content, "PNG", MAX_SIGNATURE_BYTES)
    return content if has_ink(content) else None


def has_ink(content: bytes) -> bool:
    """Whether a drawn PNG has a visible stroke: a pixel that is neither transparent nor
    close to white."""
    with Image.open(io.BytesIO(content)) as image:
        width, height = image.size
        if width * height > MAX_SIGNATURE_PIXELS:
            raise ProofFileError("signature: image too large")
        gray, alpha = image.convert("LA").split()
    dark = gray.point(lambda value: 255 if value < 200 else 0)
    visible = alpha.point(lambda value: 255 if value > 32 else 0)
    return ImageChops.multiply(dark, visible).getbbox() is not None


def checked_photo(upload) -> tuple[bytes, str] | None:
    """(bytes, extension) of an uploaded photo (JPEG or PNG), or None when none was sent."""
    if upload is None:
        return None
    if upload.size > MAX_PHOTO_BYTES:
        raise ProofFileError("photo: larger than 6 MB")
    content = upload.read()
    kind = _check_image(content, None, MAX_PHOTO_BYTES)
    return content, {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[kind]


def _check_image(content: bytes, expected: str | None, limit: int) -> str:
    if len(content) > limit:
        raise ProofFileError("image too large")
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ProofFileError("not a readable image") from exc
    if expected and kind != expected:
        raise ProofFileError(f"expected a {expected} image")
    if kind not in ("PNG", "JPEG", "WEBP"):
        raise ProofFileError("photos must be JPEG, PNG or WebP")
    return kind
