"""Loading the administrative units from the MIT-licensed `vietnamadminunits` package.

The package ships a SQLite file (`data/dataset.db`) with the current units (table
`admin_units`: 34 provinces, 3,321 communes) and the units before 1 July 2025
(`admin_units_legacy`: 63 provinces, their districts and communes), and a JSON file
(`data/converter_2025.json`) mapping each old commune to the new one(s) by name keys such
as `tinhquangtri_thanhphodongha_phuong1`. The five ward-less island districts map with an
empty ward part (`tinhquangtri_huyenconco_`).

Rows are matched on their official codes, so loading is idempotent: a second run writes
nothing, and a run after a package update rewrites only what changed (a renamed commune,
a moved centroid). Units that disappear from the data set are kept, because dossiers and
service points may still point to them; their stale successions are removed.

Each load is remembered with a fingerprint of the package's files (`AdminUnitsLoad`);
when the same files were already loaded and the tables still hold what that load left,
a rerun stops there (a few milliseconds instead of comparing every row).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from django.db import models, transaction

from postgov.audit.actions import record
from postgov.lib.text import fold
from postgov.places.models import (
    AdminUnitsLoad,
    Commune,
    CommuneSuccession,
    LegacyCommune,
    LegacyDistrict,
    LegacyProvince,
    Province,
)

# Part of the fingerprint: bump it when the loader changes what it writes, so that data
# loaded by an older loader is compared again.
LOADER_VERSION = "1"
COUNTED: dict[str, type[models.Model]] = {
    "provinces": Province,
    "communes": Commune,
    "legacy provinces": LegacyProvince,
    "legacy districts": LegacyDistrict,
    "legacy communes": LegacyCommune,
    "successions": CommuneSuccession,
}

COMMUNE_KINDS = {
    "Phường": Commune.Kind.WARD,
    "Xã": Commune.Kind.COMMUNE,
    "Đặc khu": Commune.Kind.SPECIAL_ZONE,
}


class DatasetError(Exception):
    """The package's data is not what this loader understands (a format change)."""


@dataclass
class TableReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        text = f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.removed} removed" if self.removed else "")

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


@dataclass
class LoadReport:
    source: str
    tables: dict[str, TableReport] = field(default_factory=dict)
    # Legacy communes (or ward-less districts) the mapping does not mention: each would
    # make an old address unconvertible, so the command shows them.
    unmapped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    already_loaded: bool = False

    @property
    def changed(self) -> bool:
        return any(report.changed for report in self.tables.values())

    def summary(self) -> str:
        if self.already_loaded:
            return f"{self.source}: already loaded, nothing to do ({self.seconds:.2f} s)"
        counts = "; ".join(f"{name}: {report}" for name, report in self.tables.items())
        text = f"{self.source} in {self.seconds:.1f} s: {counts}"
        if self.unmapped:
            text += f"; {len(self.unmapped)} legacy units without a successor"
        return text


def dataset_dir() -> Path:
    # Found without importing the package, whose import loads its parser tables (0.6 s).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or spec.origin is None:
        raise DatasetError("the vietnamadminunits package is not installed")
    return Path(spec.origin).parent / "data"


def _source_label() -> str:
    try:
        return f"vietnamadminunits {metadata.version('vietnamadminunits')}"
    except metadata.PackageNotFoundError:  # pragma: no cover - a vendored copy
        return "vietnamadminunits"


def _read_rows(db_path: Path, sql: str) -> list[sqlite3.Row]:
    # Read-only: the file lives in site-packages and is not ours to touch.
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def _with_type(name: str, kind: str) -> str:
    """'Thành Phố Đồng Hới' -> 'Thành phố Đồng Hới': the data set capitalises some types."""
    if kind and name.lower().startswith(kind.lower() + " "):
        return kind + name[len(kind) :]
    return name


# The tables matched on their official codes.
Coded = TypeVar("Coded", Province, Commune, LegacyProvince, LegacyDistrict, LegacyCommune)


def _sync(model: type[Coded], wanted: dict[str, dict], report: TableReport) -> dict[str, int]:
    """Make the rows of `model` with the codes in `wanted` hold those values; return
    code -> id for every row of the table. Only changed rows are written."""
    existing = {obj.code: obj for obj in model.objects.order_by()}
    to_create, to_update, changed_fields = [], [], set()
    for code, values in wanted.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **values))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            to_update.append(obj)
            changed_fields.update(changed)
        else:
            report.unchanged += 1
    model.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=500)
    report.created += len(to_create)
    report.updated += len(to_update)
    return dict(model.objects.order_by().values_list("code", "id"))


def _sync_successions(wanted: dict[tuple[int, int | None, int], bool], report: TableReport):
    existing = {
        (row.legacy_district_id, row.legacy_commune_id, row.commune_id): row
        for row in CommuneSuccession.objects.order_by()
    }
    to_create, to_update = [], []
    for key, is_default in wanted.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                CommuneSuccession(
                    legacy_district_id=key[0],
                    legacy_commune_id=key[1],
                    commune_id=key[2],
                    is_default=is_default,
                )
            )
        elif row.is_default != is_default:
            row.is_default = is_default
            to_update.append(row)
        else:
            report.unchanged += 1
    stale = [row.pk for key, row in existing.items() if key not in wanted]
    if stale:
        CommuneSuccession.objects.filter(pk__in=stale).delete()
    CommuneSuccession.objects.bulk_create(to_create, batch_size=2000)
    if to_update:
        CommuneSuccession.objects.bulk_update(to_update, ["is_default"], batch_size=500)
    report.created += len(to_create)
    report.updated += len(to_update)
    report.removed += len(stale)


def _unique(rows: Iterable[sqlite3.Row], key: str) -> dict[str, sqlite3.Row]:
    result: dict[str, sqlite3.Row] = {}
    for row in rows:
        result.setdefault(row[key], row)
    return result


def fingerprint(data_dir: Path) -> str:
    digest = hashlib.sha256(LOADER_VERSION.encode())
    for name in ("dataset.db", "converter_2025.json"):
        with (data_dir / name).open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def _counts() -> dict[str, int]:
    return {name: model._default_manager.count() for name, model in COUNTED.items()}


@transaction.atomic
def load_admin_units(data_dir: Path | None = None, *, force: bool = False) -> LoadReport:
    """Load (or refresh) provinces, communes, the legacy units and the old → new mapping.
    `force` compares every row even when these very files were loaded before."""
    started = time.monotonic()
    data_dir = data_dir or dataset_dir()
    db_path = data_dir / "dataset.db"
    try:
        files_fingerprint = fingerprint(data_dir)
    except OSError as exc:
        raise DatasetError(f"cannot read the vietnamadminunits data in {data_dir}: {exc}") from exc
    last = AdminUnitsLoad.objects.filter(fingerprint=files_fingerprint).first()
    if not force and last is not None and last.counts == _counts():
        return LoadReport(
            source=last.source, already_loaded=True, seconds=time.monotonic() - started
        )
    try:
        current = _read_rows(
            db_path,
            "SELECT provinceCode, province, provinceShort, provinceLat, provinceLon, "
            "provinceKey, wardCode, ward, wardShort, wardType, wardLat, wardLon, wardAreaKm2, "
            "wardKey FROM admin_units",
        )
        legacy = _read_rows(
            db_path,
            "SELECT provinceCode, province, provinceShort, provinceKey, districtCode, district, "
            "districtType, districtKey, wardCode, ward, wardType, wardLat, wardLon, wardKey "
            "FROM admin_units_legacy",
        )
        mapping = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    except (OSError, sqlite3.Error, ValueError) as exc:
        raise DatasetError(f"cannot read the vietnamadminunits data in {data_dir}: {exc}") from exc

    report = LoadReport(source=_source_label())
    tables = report.tables

    # -- current units -----------------------------------------------------------------
    provinces = _unique(current, "provinceCode")
    tables["provinces"] = TableReport()
    province_ids = _sync(
        Province,
        {
            code: {
                "name": row["province"],
                "short_name": row["provinceShort"],
                "latitude": row["provinceLat"],
                "longitude": row["provinceLon"],
                # bulk operations skip save(), which is where the model folds its name
                "name_folded": fold(row["provinceShort"]),
            }
            for code, row in provinces.items()
        },
        tables["provinces"],
    )
    wanted_communes = {}
    for row in current:
        kind = COMMUNE_KINDS.get(row["wardType"])
        if kind is None:
            raise DatasetError(f"unknown commune type {row['wardType']!r} ({row['wardCode']})")
        wanted_communes[row["wardCode"]] = {
            "province_id": province_ids[row["provinceCode"]],
            "name": row["ward"],
            "short_name": row["wardShort"],
            "kind": kind,
            "latitude": row["wardLat"],
            "longitude": row["wardLon"],
            "area_km2": row["wardAreaKm2"],
            "name_folded": fold(row["ward"]),
        }
    tables["communes"] = TableReport()
    commune_ids = _sync(Commune, wanted_communes, tables["communes"])

    # -- legacy units ------------------------------------------------------------------
    new_province_key_to_code = {row["provinceKey"]: code for code, row in provinces.items()}
    old_to_new_province: dict[str, str] = {}
    for new_key, old_keys in mapping["DICT_PROVINCE"].items():
        for old_key in old_keys:
            old_to_new_province[old_key] = new_province_key_to_code[new_key]
    legacy_provinces = _unique(legacy, "provinceCode")
    wanted_legacy_provinces = {}
    for code, row in legacy_provinces.items():
        successor = old_to_new_province.get(row["provinceKey"])
        if successor is None:
            raise DatasetError(f"legacy province {row['province']} has no successor")
        wanted_legacy_provinces[code] = {
            "name": row["province"],
            "short_name": row["provinceShort"],
            "successor_id": province_ids[successor],
        }
    tables["legacy provinces"] = TableReport()
    legacy_province_ids = _sync(LegacyProvince, wanted_legacy_provinces, tables["legacy provinces"])

    tables["legacy districts"] = TableReport()
    legacy_district_ids = _sync(
        LegacyDistrict,
        {
            code: {
                "province_id": legacy_province_ids[row["provinceCode"]],
                "name": _with_type(row["district"], row["districtType"]),
                "kind": row["districtType"],
            }
            for code, row in _unique(legacy, "districtCode").items()
        },
        tables["legacy districts"],
    )

    tables["legacy communes"] = TableReport()
    legacy_commune_ids = _sync(
        LegacyCommune,
        {
            row["wardCode"]: {
                "district_id": legacy_district_ids[row["districtCode"]],
                "name": _with_type(row["ward"], row["wardType"]),
                "kind": row["wardType"],
                "latitude": row["wardLat"],
                "longitude": row["wardLon"],
            }
            for row in legacy
            if row["wardCode"]
        },
        tables["legacy communes"],
    )

    # -- old → new ----------------------------------------------------------------------
    # The mapping names units by keys; turn each key into our ids.
    old_units = {
        f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}": (
            legacy_district_ids[row["districtCode"]],
            legacy_commune_ids[row["wardCode"]] if row["wardCode"] else None,
        )
        for row in legacy
    }
    new_communes = {
        (row["provinceKey"], row["wardKey"]): commune_ids[row["wardCode"]] for row in current
    }

    def resolve(old_key: str, new_province_key: str, new_ward_key: str):
        old = old_units.get(old_key)
        new = new_communes.get((new_province_key, new_ward_key))
        if old is None or new is None:
            raise DatasetError(f"the mapping {old_key} -> {new_ward_key} names an unknown unit")
        return (*old, new)

    wanted_successions: dict[tuple[int, int | None, int], bool] = {}
    for new_province_key, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in wards.items():
            for old_key in old_keys:
                wanted_successions[resolve(old_key, new_province_key, new_ward_key)] = True
    for new_province_key, olds in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in olds.items():
            for part in parts:
                key = resolve(old_key, new_province_key, part["newWardKey"])
                wanted_successions[key] = bool(part["isDefaultNewWard"])
    tables["successions"] = TableReport()
    _sync_successions(wanted_successions, tables["successions"])

    mapped = {(district, commune) for district, commune, _new in wanted_successions}
    report.unmapped = sorted(key for key, unit in old_units.items() if unit not in mapped)
    counts = _counts()
    if last is None or last.counts != counts:
        load = AdminUnitsLoad.objects.create(
            source=report.source, fingerprint=files_fingerprint, counts=counts
        )
        if report.changed:
            # Renamed or remapped units change how addresses read: keep a trace.
            record(
                "places.admin_units_loaded",
                obj=load,
                details={name: str(table) for name, table in report.tables.items()},
            )
    report.seconds = time.monotonic() - started
    return report
