"""Scanned pages with known Vietnamese text, made with Pillow and the Noto Sans font the
PDF prints use: clean as a 300 dpi scanner gives them, or degraded as a cheap scanner or a
phone does (lower resolution, blur, a page put in askew, JPEG compression, specks). Used by
the OCR tests and by `bench/ocr/run.py`."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path(__file__).resolve().parents[2] / "lib" / "fonts" / "NotoSans-Regular.ttf"

TEXTS = (
    """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
TỜ KHAI THAM GIA BẢO HIỂM XÃ HỘI
Họ và tên: Nguyễn Văn Dũng
Ngày sinh: 12/05/1985, giới tính: Nam
Mã số bảo hiểm xã hội: 4512345678
Nơi cư trú: phường Đông Hà, tỉnh Quảng Trị
Đơn vị sử dụng lao động: Bưu điện tỉnh Quảng Trị
Mức lương đóng: 6.250.000 đồng, từ tháng 03/2010
Hồ sơ lưu tại hộp số 17, thời hạn bảo quản 70 năm""",
    """SỔ HỘ KHẨU - QUYỂN SỐ 4
Chủ hộ: Trần Thị Hường, sinh năm 1962
Quan hệ với chủ hộ: con trai Lê Đức Thắng, sinh ngày 07/11/1990
Con dâu: Phạm Ngọc Ánh, dân tộc Kinh, nghề nghiệp giáo viên
Thường trú tại thôn Xuân Lộc, xã Vĩnh Linh, huyện Vĩnh Linh
Chuyển đến ngày 21/08/2004 từ phường Thuận Hóa, thành phố Huế
Ghi chú: đã đối chiếu với căn cước công dân số 045090001234
Người lập sổ ký tên và đóng dấu, ngày 15 tháng 9 năm 2005""",
)


@dataclass(frozen=True)
class Setting:
    name: str
    dpi: int
    blur: float = 0.0  # Gaussian radius in pixels at that resolution
    skew: float = 0.0  # degrees
    jpeg: int | None = None  # JPEG quality, None for PNG
    specks: int = 0  # dark specks per page
    bilevel: bool = False  # black and white, one bit a pixel


CLEAN_300 = Setting("300 dpi, grey, PNG", 300)
SETTINGS = (
    CLEAN_300,
    Setting("200 dpi, grey, PNG", 200),
    Setting("150 dpi, grey, PNG", 150),
    Setting("200 dpi, blur 0.8, 1.5° askew, JPEG 50, specks", 200, 0.8, 1.5, 50, 400),
    Setting("150 dpi, blur 1.0, 3° askew, JPEG 30, specks", 150, 1.0, 3.0, 30, 400),
    Setting("300 dpi, black and white (1 bit)", 300, bilevel=True),
    Setting("200 dpi, black and white (1 bit)", 200, bilevel=True),
    Setting("300 dpi, grey, JPEG 75", 300, jpeg=75),
)


def page(text: str, setting: Setting, *, points: float = 11, seed: int = 1) -> bytes:
    """An A4 page with `text` in `points`-point type, scanned as `setting` says."""
    dpi = setting.dpi
    size = (round(8.27 * dpi), round(11.69 * dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), round(points / 72 * dpi))
    y = dpi  # one inch from the top
    for line in text.split("\n"):
        draw.text((round(0.9 * dpi), y), line, font=font, fill=20)
        y += round(points / 72 * dpi * 1.7)
    rng = random.Random(seed)
    for _ in range(setting.specks):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        radius = rng.choice((1, 1, 2))
        draw.ellipse((x, y, x + radius, y + radius), fill=rng.randrange(0, 120))
    if setting.skew:
        image = image.rotate(setting.skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if setting.blur:
        image = image.filter(ImageFilter.GaussianBlur(setting.blur))
    if setting.bilevel:
        # A fixed threshold, as a scanner's black-and-white mode (no dithering).
        image = image.point(lambda value: 255 if value > 128 else 0).convert("1")
    out = io.BytesIO()
    if setting.jpeg:
        image.save(out, format="JPEG", quality=setting.jpeg, dpi=(dpi, dpi))
    else:
        image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
