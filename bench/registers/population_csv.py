"""Synthetic population-register rows as a CSV file, for the import benchmark: Faker's
Vietnamese names, birth dates written as registers have them (a full date, a month or a
year), ID numbers consistent with the birth year and gender, a commune of the province,
and a share of planted duplicates (the same person keyed again with a small difference).

Seeded, so two runs write the same file. Standalone: python bench/registers/population_csv.py
OUT.csv ROWS [--seed S] [--commune NAME ...]
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số định danh cá nhân",
    "Dân tộc",
    "Nơi thường trú (xã, phường)",
    "Quan hệ với chủ hộ",
    "Số điện thoại",
]
ETHNIC = ["Kinh"] * 17 + ["Vân Kiều", "Tà Ôi", "Tày", "Thái", "Mường"]
RELATION = ["Chủ hộ", "Vợ/chồng", "Con", "Con", "Bố/mẹ", "Khác"]
MOBILE = ["090", "091", "093", "094", "096", "097", "098", "086", "088", "070", "077", "083"]
# The CCCD's province code of Quảng Trị, the benchmark project's province.
PROVINCE_CODE = "045"


def _id_number(rnd: random.Random, born: date, female: bool) -> str:
    century = (0 if born.year < 2000 else 2) + (1 if female else 0)
    return f"{PROVINCE_CODE}{century}{born.year % 100:02d}{rnd.randrange(10**6):06d}"


def _birth_text(rnd: random.Random, born: date) -> str:
    shape = rnd.random()
    if shape < 0.8:
        return f"{born.day:02d}/{born.month:02d}/{born.year}"
    if shape < 0.9:
        return f"{born.month:02d}/{born.year}"
    return str(born.year)


def rows(count: int, *, seed: int, communes: list[str], duplicates: float = 0.05):
    """`count` rows, about `duplicates` of them a copy of an earlier row with one change."""
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    made: list[list[str]] = []
    start = date(1930, 1, 1)
    for _n in range(count):
        if made and rnd.random() < duplicates:
            copy = list(rnd.choice(made))
            change = rnd.randrange(3)
            if change == 0:  # a tone mark dropped or a space doubled
                copy[0] = copy[0].replace("ễ", "ê").replace("ư", "u", 1) or copy[0]
            elif change == 1:
                copy[7] = ""
            else:
                copy[6] = rnd.choice(RELATION)
            made.append(copy)
            yield copy
            continue
        female = rnd.random() < 0.5
        given = fake.first_name_female() if female else fake.first_name_male()
        middle = "Thị" if female and rnd.random() < 0.5 else fake.middle_name()
        name = f"{fake.last_name()} {middle} {given}"
        born = start + timedelta(days=rnd.randrange(365 * 94))
        row = [
            name,
            _birth_text(rnd, born),
            "Nữ" if female else "Nam",
            _id_number(rnd, born, female) if rnd.random() < 0.7 else "",
            rnd.choice(ETHNIC),
            rnd.choice(communes),
            rnd.choice(RELATION),
            f"{rnd.choice(MOBILE)}{rnd.randrange(10**7):07d}" if rnd.random() < 0.6 else "",
        ]
        if len(made) < 50_000:
            made.append(row)
        yield row


def write(path: Path, count: int, *, seed: int, communes: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows(count, seed=seed, communes=communes))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--commune", action="append", default=None)
    args = parser.parse_args()
    write(args.out, args.rows, seed=args.seed, communes=args.commune or ["Đông Hà"])
