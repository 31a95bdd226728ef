"""Synthetic population records of the new Quảng Trị for the registers' benchmarks
(deduplication here; a spreadsheet import may read the same rows), seeded so that every
run makes the same people.

Names come from Faker's `vi_VN` lists in Vietnamese order (family, one or two middle
names, given name; Faker's own `name()` puts the given name first and adds titles).
Communes are the province's current communes from the `vietnamadminunits` data set (by
code and name). An ID number is a CCCD that fits the birth year and gender (province 044
or 045 as old Quảng Bình and Quảng Trị issued them), unique, for four records in five.

A share of the records are planted duplicates of others, each with one to three of:
a slip in the name (a letter changed, dropped or two swapped), the name keyed without
marks, day and month swapped, another commune; sometimes the copy lacks the ID number or
knows only the birth year. `truth` lists the (original, duplicate) pairs.
"""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from faker import Faker
from faker.providers.person.vi_VN import Provider as Names

from postgov.lib.text import unaccent
from postgov.places.loading import dataset_dir

PROVINCE_CODE = "44"  # the new Quảng Trị
TODAY = date(2026, 1, 1)


def communes(province_code: str = PROVINCE_CODE) -> list[tuple[str, str]]:
    """(code, name) of the province's current communes."""
    with closing(sqlite3.connect(f"file:{dataset_dir() / 'dataset.db'}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT wardCode, ward FROM admin_units WHERE provinceCode = ? ORDER BY wardCode",
            (province_code,),
        ).fetchall()
    return [(str(code), str(name)) for code, name in rows]


@dataclass
class Population:
    records: list[dict[str, Any]]  # {"pk", "full_name", "birth_date", "gender", ...}
    truth: set[tuple[int, int]] = field(default_factory=set)  # (original pk, duplicate pk)
    communes: list[tuple[str, str]] = field(default_factory=list)


def _cccd(rng: random.Random, born: date, gender: str, used: set[str]) -> str:
    century = (born.year // 100) - 19  # 1900s: 0, 2000s: 1
    digit = 2 * century + (1 if gender == "female" else 0)
    while True:
        number = (
            f"{rng.choice(('044', '045'))}{digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"
        )
        if number not in used:
            used.add(number)
            return number


def _slip(rng: random.Random, name: str) -> str:
    """One keying slip in a name: a letter changed, dropped, doubled or two swapped."""
    positions = [i for i, ch in enumerate(name) if ch.isalpha()]
    i = rng.choice(positions[1:] or positions)
    kind = rng.randrange(4)
    if kind == 0:
        return name[:i] + rng.choice("aăâeêioôơuưy") + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    if i + 1 < len(name) and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i - 1] + name[i] + name[i + 1 :]


def _date_text(born: date, year_only: bool) -> str:
    return f"{born.year:04d}" if year_only else born.strftime("%d/%m/%Y")


def person(fake: Faker, rng: random.Random, places: list[tuple[str, str]], used: set[str]):
    gender = rng.choice(("male", "female"))
    given = (
        rng.choice(Names.first_names_male + Names.first_names_unisex)
        if gender == "male"
        else rng.choice(Names.first_names_female + Names.first_names_unisex)
    )
    middles = [rng.choice(Names.middle_names) for _ in range(rng.choice((1, 1, 2)))]
    if gender == "female" and rng.random() < 0.5:
        middles[0] = "Thị"
    name = " ".join([fake.last_name(), *middles, given])
    born = TODAY - timedelta(days=rng.randrange(0, 95 * 365))
    year_only = rng.random() < 0.05
    code, _commune = rng.choice(places)
    return {
        "full_name": name,
        "born": born,
        "birth_date": _date_text(born, year_only),
        "gender": gender,
        "id_number": _cccd(rng, born, gender, used) if rng.random() < 0.8 else "",
        "home_commune": code,
    }


def duplicate_of(original: dict[str, Any], rng: random.Random, places) -> dict[str, Any]:
    copy = dict(original)
    born: date = original["born"]
    changes = rng.sample(("slip", "marks", "swap", "commune"), rng.choice((1, 2, 2, 3)))
    if "slip" in changes:
        copy["full_name"] = _slip(rng, copy["full_name"])
    if "marks" in changes:
        copy["full_name"] = unaccent(copy["full_name"])
    if "swap" in changes and born.day <= 12 and born.day != born.month:
        copy["birth_date"] = date(born.year, born.day, born.month).strftime("%d/%m/%Y")
    if "commune" in changes:
        copy["home_commune"] = rng.choice([p for p in places if p[0] != original["home_commune"]])[
            0
        ]
    if rng.random() < 0.2:
        copy["id_number"] = ""
    if rng.random() < 0.05:
        copy["birth_date"] = f"{born.year:04d}"
    return copy


def population(total: int, *, duplicates: float = 0.05, seed: int = 14) -> Population:
    """`total` records, `duplicates` of them planted copies of others (at most one copy
    per person), shuffled."""
    rng = random.Random(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    places = communes()
    planted = round(total * duplicates)
    used: set[str] = set()
    people = [person(fake, rng, places, used) for _ in range(total - planted)]
    copies = [
        (i, duplicate_of(people[i], rng, places)) for i in rng.sample(range(len(people)), planted)
    ]
    rows = [(i, None, p) for i, p in enumerate(people)] + [(None, i, c) for i, c in copies]
    rng.shuffle(rows)
    pk_of_person: dict[int, int] = {}
    records, pending = [], []
    for pk, (person_index, copy_of, values) in enumerate(rows, start=1):
        values = {k: v for k, v in values.items() if k != "born"}
        records.append({"pk": pk, **values})
        if person_index is not None:
            pk_of_person[person_index] = pk
        else:
            pending.append((copy_of, pk))
    truth = {tuple(sorted((pk_of_person[i], pk))) for i, pk in pending}
    return Population(records=records, truth=truth, communes=places)  # type: ignore[arg-type]
