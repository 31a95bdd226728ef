"""Reading the text of scanned pages: OCRmyPDF straightens (deskew) and cleans (unpaper)
each page, Tesseract reads it in Vietnamese, and the result is a searchable PDF (the scan
with the text laid invisibly over it) and the plain text. Both programs are Debian packages
(`ocrmypdf`, `tesseract-ocr`, `tesseract-ocr-vie`, `unpaper`); without OCRmyPDF, Tesseract
alone still reads the page, without straightening or cleaning it.

Tesseract is kept to the characters Vietnamese writing uses (`ALPHABET`): a register holds
Vietnamese words, numbers and plain punctuation, and a stray `ß` or `ĉ` read from a speck is
always wrong (docs/operations.md has the measured effect)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from postgov.registers.jobs import JobFailed

LANGUAGE = "vie"
# Seconds for one page: a clean A4 page at 300 dpi takes 3 to 5 s on one core.
PAGE_SECONDS = 180
# A page's resolution when its file does not say: its short side taken as A4's (8.27 in).
A4_SHORT_INCHES = 8.27

# How a page is prepared before Tesseract reads it. unpaper's noise filter takes the dot
# of the heavy tone (nặng: ạ, ộ, ị) for a speck on pages under 200 dpi, so the workroom
# cleans with it turned off; OCRmyPDF's other unpaper arguments are kept as they are.
NONE, DESKEW, CLEAN, CLEAN_KEEP_DOTS = "none", "deskew", "clean", "clean_keep_dots"
UNPAPER_KEEPING_DOTS = (
    "--layout none --mask-scan-size 100 --no-border-align --no-mask-center --no-grayfilter "
    "--no-blackfilter --no-deskew --no-noisefilter"
)
PREPARATIONS = {
    NONE: [],
    DESKEW: ["--deskew"],
    CLEAN: ["--deskew", "--clean"],
    CLEAN_KEEP_DOTS: ["--deskew", "--clean", "--unpaper-args", UNPAPER_KEEPING_DOTS],
}
PREPARATION = CLEAN_KEEP_DOTS


def _vietnamese_letters() -> str:
    """Every letter Vietnamese writing uses, both cases, precomposed (NFC)."""
    vowels = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones}
    letters |= set("bcdđfghjklmnpqrstvwxz")  # f, j, w, z: foreign names and words
    return "".join(sorted(letters | {c.upper() for c in letters}))


PUNCTUATION = ".,;:!?()[]/-–'\"%&+*=#@°№"
# The space sits inside the list: Tesseract's LSTM engine drops every character outside
# it, spaces too, and a config line loses its trailing blanks.
ALPHABET = _vietnamese_letters() + " 0123456789" + PUNCTUATION


class OcrError(JobFailed):
    """A page that could not be read, or a server that cannot read pages, and why."""


@dataclass(frozen=True)
class Reading:
    text: str
    pdf: bytes
    prepared: str  # how the page was prepared (PREPARATIONS)


@cache
def _languages(tesseract: str) -> frozenset[str]:
    try:
        # A fixed program and argument.
        listed = subprocess.run(  # noqa: S603
            [tesseract, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(listed.stdout.decode("utf-8", "replace").split()[1:]) | frozenset(
        listed.stderr.decode("utf-8", "replace").split()[1:]
    )


def problem() -> OcrError | None:
    """Why this server cannot read pages, or None when it can."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        return OcrError(
            _(
                "Text recognition is not installed on this server: ask the administrator to "
                "install the Debian packages tesseract-ocr, tesseract-ocr-vie and ocrmypdf."
            )
        )
    if LANGUAGE not in _languages(tesseract):
        return OcrError(
            _(
                "Tesseract has no Vietnamese on this server: ask the administrator to install "
                "the Debian package tesseract-ocr-vie."
            )
        )
    return None


def _require() -> str:
    found = problem()
    if found is not None:
        raise found
    return str(shutil.which("tesseract"))


def resolution(image: Image.Image) -> int:
    """The page's dots per inch: as its file says when credible, else from its size."""
    dpi = image.info.get("dpi")
    if dpi and 70 <= float(dpi[0]) <= 1200:
        return round(float(dpi[0]))
    return max(70, min(1200, round(min(image.size) / A4_SHORT_INCHES)))


def read_page(
    image: bytes,
    *,
    prepare: str = PREPARATION,
    alphabet: bool = True,
    timeout: int = PAGE_SECONDS,
) -> Reading:
    """The text and the searchable PDF of one page image (PNG, JPEG or TIFF bytes).
    `prepare` names how the page is straightened and cleaned first (PREPARATIONS; without
    unpaper it is only straightened, without OCRmyPDF not at all); `alphabet` keeps
    Tesseract to Vietnamese letters, digits and plain punctuation. OcrError when the server
    cannot read pages or this page cannot be read."""
    tesseract = _require()
    try:
        with Image.open(io.BytesIO(image)) as opened:
            dpi = resolution(opened)
            opened.load()
            picture = opened.convert("L") if opened.mode not in ("L", "RGB", "1") else opened
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG", dpi=(dpi, dpi))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise OcrError(_("This page's image is damaged and cannot be read.")) from exc
    ocrmypdf = shutil.which("ocrmypdf")
    with tempfile.TemporaryDirectory(prefix="registers-ocr-") as folder:
        work = Path(folder)
        source = work / "page.png"
        source.write_bytes(buffer.getvalue())
        config = work / "alphabet.cfg"
        config.write_text(f"tessedit_char_whitelist {ALPHABET}\n", encoding="utf-8")
        if ocrmypdf:
            if prepare in (CLEAN, CLEAN_KEEP_DOTS) and shutil.which("unpaper") is None:
                prepare = DESKEW
            command = [
                ocrmypdf,
                "--quiet",
                "--language",
                LANGUAGE,
                "--output-type",
                "pdf",
                "--jobs",
                "1",
                "--image-dpi",
                str(dpi),
                "--tesseract-timeout",
                str(timeout),
                "--sidecar",
                str(work / "page.txt"),
            ]
            command += PREPARATIONS[prepare]
            if alphabet:
                command += ["--tesseract-config", str(config)]
            command += [str(source), str(work / "page.pdf")]
        else:
            prepare = NONE
            command = [
                tesseract,
                str(source),
                str(work / "page"),
                "-l",
                LANGUAGE,
                "--dpi",
                str(dpi),
                *([str(config)] if alphabet else []),
                "pdf",
                "txt",
            ]
        try:
            # Fixed programs and arguments; the only paths are our own temporary files.
            run = subprocess.run(  # noqa: S603
                command, capture_output=True, timeout=timeout + 60, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrError(
                _("Reading a page took more than %(n)s seconds; it was stopped."), n=timeout
            ) from exc
        pdf, text = work / "page.pdf", work / "page.txt"
        if run.returncode != 0 or not pdf.exists() or not text.exists():
            raise OcrError(
                _("The page could not be read (the recognition program stopped with %(code)s)."),
                code=run.returncode,
            )
        return Reading(
            text=tidy(text.read_text(encoding="utf-8", errors="replace")),
            pdf=pdf.read_bytes(),
            prepared=prepare,
        )


def tidy(text: str) -> str:
    """Tesseract's text without form feeds, trailing spaces and runs of blank lines."""
    lines = [
        line.rstrip() for line in unicodedata.normalize("NFC", text).replace("\f", "\n").split("\n")
    ]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions that turn `a` into `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def cer(expected: str, read: str) -> float:
    """Character error rate of `read` against `expected`, both with whitespace collapsed
    to single spaces (layout is not what is measured) and in NFC."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    truth = norm(expected)
    return levenshtein(truth, norm(read)) / max(1, len(truth))
