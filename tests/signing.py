"""Signatures as the phone's pad sends them, for tests: a scribble with ink on it, and an
empty pad."""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw


def scribble(width: int = 300, height: int = 90) -> bytes:
    """A PNG with a stroke across it, transparent around it (as a canvas exports it)."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    points = [(10 + step * 25, height // 2 + (20 if step % 2 else -20)) for step in range(11)]
    ImageDraw.Draw(image).line(points, fill=(11, 42, 91, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def blank(width: int = 300, height: int = 90) -> bytes:
    """An untouched pad: transparent all over."""
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
