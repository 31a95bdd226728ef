"""The base-map archive, served by byte ranges: the PMTiles reader in the browser asks
for the header, then for the directories and tiles it needs, never for the whole file."""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_http_methods

from postgov.maps.config import archive_path

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 64 * 1024


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, inclusive,
    clipped to the file; None when it cannot be satisfied or is not one of those forms
    (several ranges at once are not offered: the reader never asks for them)."""
    match = _RANGE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            return None
        return max(size - length, 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or end < start:
        return None
    return start, end


def _slice(path, start: int, length: int):
    with path.open("rb") as file:
        file.seek(start)
        while length > 0:
            chunk = file.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


@require_http_methods(["GET", "HEAD"])
def archive(request):
    """The configured PMTiles archive; nothing else: the URL takes no path, so no request
    can name another file. Public, like the maps that use it."""
    path = archive_path()
    if path is None or not path.is_file():
        raise Http404
    size = path.stat().st_size
    header = request.headers.get("Range")
    if header is None:
        response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    else:
        span = _byte_range(header, size)
        if span is None:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response
        start, end = span
        length = end - start + 1
        response = StreamingHttpResponse(
            _slice(path, start, length), status=206, content_type="application/octet-stream"
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    # The archive changes only when an operator replaces it; a day is a fair trade.
    response["Cache-Control"] = "public, max-age=86400"
    return response
