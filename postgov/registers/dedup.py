"""Finding the same person twice in a project's clean records: probabilistic linkage
(Fellegi–Sunter) with Splink on DuckDB, in process. Read-only: the job that stores what it
finds, the reviewers' decisions and the check at settling live in `dedup_actions`.

A record becomes a row of comparable columns (`person_row`): the name as keyed (lower
case, with its marks), folded (no marks, `đ` mapped to `d` explicitly: Unicode
decomposition leaves it alone), its words sorted (so family and given names in either
order compare equal), the family name and the given name; the birth date as a date when
the day is known, the same date with day and month swapped, and the year alone (a register
may know only the year); the ID number; the commune, already the current one (fields.py
converts pre-2025 names when the value is keyed); the gender.

The model (`settings`) compares names, birth dates, ID numbers, communes and genders in
levels; each level has a fixed m and u probability that serves as the starting point of
training and as the model of a project too small to train on (`train`). `link` runs the
whole frame: train, predict over the blocking rules, cluster at a threshold. `score`
compares one new record with a few candidates (the check at settling). The benchmark
(`bench/registers/dedup.py`) runs `link` on synthetic records. How the same settings run
on Spark for a national register: docs/decisions/0012-registers.md.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from postgov.lib.text import fold
from postgov.registers.fields import parse_partial_date

# Splink explains each step at INFO; the job's progress bar is what people read.
logging.getLogger("splink").setLevel(logging.WARNING)

# Below this many records EM has too few pairs to learn from: the fixed m and u are used
# (and the model says so).
MIN_TRAINING_RECORDS = 2000
DEFAULT_THRESHOLD = 0.6
# Pairs sampled for the u probabilities: enough for stable rare levels at a province's
# size, a few seconds on two cores.
U_SAMPLE_PAIRS = 1e6
SEED = 14

COLUMNS = (
    "unique_id",
    "name_exact",
    "name_folded",
    "name_sorted",
    "family_name",
    "name_start",
    "given_name",
    "birth_date",
    "birth_date_swapped",
    "birth_year",
    "id_number",
    "commune",
    "gender",
)


@dataclass(frozen=True)
class Keys:
    """Which of a schema's fields hold the name, birth date, ID number, commune and
    gender (None when the schema has none)."""

    name: str | None
    birth_date: str | None
    id_number: str | None
    commune: str | None
    gender: str | None

    @property
    def usable(self) -> bool:
        return self.name is not None


def keys_of(fields: list[dict[str, Any]]) -> Keys:
    by_key = {f["key"]: f for f in fields}

    def first(kind: str, preferred: str) -> str | None:
        if preferred in by_key and by_key[preferred]["type"] == kind:
            return preferred
        return next((f["key"] for f in fields if f["type"] == kind), None)

    name = "full_name" if "full_name" in by_key else None
    gender = "gender" if "gender" in by_key else None
    return Keys(
        name=name,
        birth_date=first("date", "birth_date"),
        id_number=first("id_number", "id_number"),
        commune=first("commune", "home_commune"),
        gender=gender,
    )


def _iso_dates(text: str) -> tuple[str | None, str | None, str | None]:
    """(date, date with day and month swapped, year) of a stored partial date."""
    try:
        value, first = parse_partial_date(text)
    except ValueError:
        return None, None, None
    year = f"{first.year:04d}"
    if value.count("/") != 2:  # the month or only the year is known
        return None, None, year
    swapped = None
    if first.day <= 12 and first.day != first.month:
        swapped = f"{first.year:04d}-{first.day:02d}-{first.month:02d}"
    return first.isoformat(), swapped, year


def person_row(unique_id: int, values: dict[str, Any], keys: Keys) -> dict[str, Any]:
    """One record as Splink's input row; empty values are None (Splink's null levels)."""

    def get(key: str | None) -> str:
        return str(values.get(key) or "").strip() if key else ""

    name = " ".join(get(keys.name).split())
    folded = fold(name)
    words = folded.split()
    birth, swapped, year = _iso_dates(get(keys.birth_date)) if get(keys.birth_date) else (None,) * 3
    return {
        "unique_id": unique_id,
        "name_exact": name.lower() or None,
        "name_folded": folded or None,
        "name_sorted": " ".join(sorted(words)) or None,
        "family_name": words[0] if words else None,
        "name_start": " ".join(words[: min(2, len(words) - 1)]) or None,
        "given_name": words[-1] if words else None,
        "birth_date": birth,
        "birth_date_swapped": swapped,
        "birth_year": year,
        "id_number": get(keys.id_number) or None,
        "commune": get(keys.commune) or None,
        "gender": get(keys.gender) or None,
    }


def frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(COLUMNS)).astype(
        {c: "string" for c in COLUMNS if c != "unique_id"}
    )


def blocking_keys(row: dict[str, Any]) -> set[str]:
    """The blocks of the blocking rules, as strings a database index can find: a settled
    record is compared at once with the clean records sharing one of them. The family name
    with the birth date stands for the rule on the name's first two words: a block a
    little wider than the rule's, which a commune's register affords."""
    keys = set()
    if row["id_number"]:
        keys.add(f"i|{row['id_number']}")
    if row["name_sorted"] and row["birth_year"]:
        keys.add(f"n|{row['name_sorted']}|{row['birth_year']}")
    for day in filter(None, (row["birth_date"], row["birth_date_swapped"])):
        if row["commune"]:
            keys.add(f"c|{day}|{row['commune']}")
        if row["given_name"]:
            keys.add(f"g|{row['given_name']}|{day}")
            keys.add(f"f|{row['family_name']}|{day}")
    return {k[:200] for k in keys}


# -- the model ----------------------------------------------------------------------------


def _level(creator: Any, m: float, u: float) -> Any:
    return creator.configure(m_probability=m, u_probability=u)


def comparisons() -> list[Any]:
    """The comparisons, each level with its fixed m and u (the starting point of training,
    and the model itself when the project is too small to train on)."""
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_description="Full name, with and without marks, in either order",
        comparison_levels=[
            cll.NullLevel("name_folded"),
            # Term-frequency adjusted: "Nguyễn Thị Hương" born the same day is weaker
            # evidence than a rare name, since a province holds many namesakes.
            _level(
                cll.ExactMatchLevel("name_exact", term_frequency_adjustments=True), 0.80, 0.0005
            ),
            _level(
                cll.ExactMatchLevel("name_folded", term_frequency_adjustments=True).configure(
                    label_for_charts="Same name without marks"
                ),
                0.08,
                0.0001,
            ),
            _level(
                cll.ExactMatchLevel("name_sorted").configure(
                    label_for_charts="Same words in another order"
                ),
                0.03,
                0.00005,
            ),
            # A slip of the keyboard leaves the given name close; "An" and "Lan" are two
            # edits of a name apart too, but two people.
            _level(
                cll.And(
                    cll.DamerauLevenshteinLevel("name_folded", 1),
                    cll.JaroWinklerLevel("given_name", 0.88),
                ).configure(
                    label_for_charts="A slip in the name, the given name close",
                    # Namesakes one letter apart ("Vũ Hải Lan", "Vũ Mai Lan") are common
                    # names both; a slip's original is as common as the register's names.
                    tf_adjustment_column="name_folded",
                    tf_adjustment_weight=0.5,
                ),
                0.05,
                0.0005,
            ),
            _level(
                cll.DamerauLevenshteinLevel("name_folded", 2).configure(
                    label_for_charts="Two letters apart, another given name"
                ),
                0.01,
                0.001,
            ),
            _level(cll.JaroWinklerLevel("name_sorted", 0.88), 0.02, 0.02),
            _level(cll.ElseLevel(), 0.01, 0.9784),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_description="Birth date; day and month swapped; only the year",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            _level(cll.ExactMatchLevel("birth_date"), 0.85, 0.00003),
            _level(
                cll.CustomLevel(
                    "birth_date_l = birth_date_swapped_r",
                    label_for_charts="Day and month swapped",
                    base_dialect_str="duckdb",
                ),
                0.04,
                0.00003,
            ),
            _level(cll.DamerauLevenshteinLevel("birth_date", 1), 0.04, 0.0005),
            _level(
                cll.CustomLevel(
                    "(birth_date_l IS NULL OR birth_date_r IS NULL) "
                    "AND birth_year_l = birth_year_r",
                    label_for_charts="Same year, the day is not known",
                    base_dialect_str="duckdb",
                ),
                0.04,
                0.01,
            ),
            _level(cll.ExactMatchLevel("birth_year"), 0.02, 0.01),
            _level(cll.ElseLevel(), 0.01, 0.97947),
        ],
    )
    id_number = cl.CustomComparison(
        output_column_name="id_number",
        comparison_description="Personal ID number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            # Fixed m: EM swings between these levels on blocks where most pairs have no
            # ID number, and two different numbers must weigh strongly against a match.
            _level(cll.ExactMatchLevel("id_number"), 0.93, 0.000001).configure(
                fix_m_probability=True
            ),
            _level(cll.DamerauLevenshteinLevel("id_number", 1), 0.05, 0.00001).configure(
                fix_m_probability=True
            ),
            _level(cll.ElseLevel(), 0.02, 0.999989).configure(fix_m_probability=True),
        ],
    )
    commune = cl.CustomComparison(
        output_column_name="commune",
        comparison_description="Commune (the current one)",
        comparison_levels=[
            cll.NullLevel("commune"),
            _level(cll.ExactMatchLevel("commune"), 0.85, 0.02),
            _level(cll.ElseLevel(), 0.15, 0.98),
        ],
    )
    gender = cl.CustomComparison(
        output_column_name="gender",
        comparison_description="Gender",
        comparison_levels=[
            cll.NullLevel("gender"),
            # Fixed m: a gender keyed wrong happens, and must not veto a match outright.
            _level(cll.ExactMatchLevel("gender"), 0.98, 0.5).configure(fix_m_probability=True),
            _level(cll.ElseLevel(), 0.02, 0.5).configure(fix_m_probability=True),
        ],
    )
    return [name, birth, id_number, commune, gender]


def blocking_rules() -> list[Any]:
    """Pairs worth scoring: the same words of the name and year (marks missing, names in
    another order, day and month swapped, another commune), the same ID number, the same
    birth date and commune (a slip in the name), the same given name or the same first two
    words of the name and birth date (a slip elsewhere in the name and another commune),
    with the date swapped. The first two words rather than the family name alone: a third
    of a province shares one family name, and its blocks were most of the pairs scored."""
    return [
        block_on("name_sorted", "birth_year"),
        block_on("id_number"),
        block_on("birth_date", "commune"),
        block_on("given_name", "birth_date"),
        block_on("name_start", "birth_date"),
        "l.name_start = r.name_start AND l.birth_date = r.birth_date_swapped",
        "l.name_start = r.name_start AND l.birth_date_swapped = r.birth_date",
        "l.given_name = r.given_name AND l.birth_date = r.birth_date_swapped",
        "l.given_name = r.given_name AND l.birth_date_swapped = r.birth_date",
    ]


def default_prior(records: int) -> float:
    """The chance that two records picked at random are the same person, when it cannot be
    measured: about one duplicate in fifty records."""
    return min(0.5, 0.04 / max(records, 2))


def settings(records: int = 0, prior: float | None = None) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior or default_prior(records),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def _complete(model: dict[str, Any]) -> dict[str, Any]:
    """A level EM could not estimate (no pair fell into it) keeps its fixed m."""
    fixed = settings().get_settings("duckdb").as_dict()
    for comparison, default in zip(model["comparisons"], fixed["comparisons"], strict=True):
        for level, start in zip(
            comparison["comparison_levels"], default["comparison_levels"], strict=True
        ):
            for key in ("m_probability", "u_probability"):
                if key in start and not level.get(key):
                    level[key] = start[key]
    return model


# -- running the whole project ------------------------------------------------------------


@dataclass
class Linked:
    model: dict[str, Any]
    trained: bool
    note: str
    clusters: list[tuple[list[int], float]] = field(default_factory=list)
    pairs: int = 0  # scored pairs above the threshold
    seconds: dict[str, float] = field(default_factory=dict)


def _linker(df: pd.DataFrame, model: dict[str, Any] | SettingsCreator) -> Linker:
    return Linker(df, model, DuckDBAPI(), set_up_basic_logging=False)


def train(linker: Linker, records: int) -> tuple[bool, str]:
    """Estimate the model from the project's own records: the prior from pairs that agree
    on the ID number or on name and birth date, u by random sampling, m by EM on two
    blocking rules. (trained?, what was done) — a project too small to learn from, or one
    where a step fails, keeps the fixed m and u."""
    if records < MIN_TRAINING_RECORDS:
        return False, f"fixed m and u: {records} records, fewer than {MIN_TRAINING_RECORDS}"
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(
            [block_on("id_number"), block_on("name_folded", "birth_date")], recall=0.8
        )
        training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
        training.estimate_parameters_using_expectation_maximisation(
            block_on("name_sorted", "birth_year")
        )
        training.estimate_parameters_using_expectation_maximisation(
            block_on("birth_date", "commune")
        )
        # The birth date is in both blocks above: this one is what trains it.
        training.estimate_parameters_using_expectation_maximisation(
            block_on("name_folded", "commune")
        )
    except Exception as exc:  # Splink raises plain exceptions when a block is empty
        return False, f"fixed m and u: training failed ({type(exc).__name__}: {exc})"[:300]
    return True, f"trained on {records} records"


def link(
    df: pd.DataFrame,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    keep_pair: Callable[[int, int], bool] | None = None,
    step: Callable[[], None] | None = None,
) -> Linked:
    """Train on `df`, score the blocked pairs and cluster those at `threshold` or above.
    `keep_pair(a, b)` drops pairs people already said are different persons; `step` is
    called after each of the four stages (for a progress bar)."""
    seconds: dict[str, float] = {}
    started = time.monotonic()
    records = len(df)
    linker = _linker(df, settings(records))
    trained, note = train(linker, records)
    model = _complete(linker.misc.save_model_to_json())
    seconds["train"] = time.monotonic() - started
    if step:
        step()
    if trained:  # the completed parameters, not EM's gaps
        linker = _linker(df, model)
    mark = time.monotonic()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    seconds["predict"] = time.monotonic() - mark
    if step:
        step()
    mark = time.monotonic()
    pairs = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    if keep_pair is not None and len(pairs):
        kept = [
            keep_pair(int(a), int(b))
            for a, b in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True)
        ]
        pairs = pairs[kept]
    edges = linker.table_management.register_table(
        pairs.reset_index(drop=True), "__splink__kept_pairs", overwrite=True
    )
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        edges, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    seconds["cluster"] = time.monotonic() - mark
    if step:
        step()
    members: dict[Any, list[int]] = {}
    for uid, cluster in zip(clustered["unique_id"], clustered["cluster_id"], strict=True):
        members.setdefault(cluster, []).append(int(uid))
    best: dict[int, float] = {}
    for a, b, p in zip(
        pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
    ):
        for uid in (int(a), int(b)):
            best[uid] = max(best.get(uid, 0.0), float(p))
    clusters = [
        (sorted(ids), max(best.get(i, 0.0) for i in ids))
        for ids in members.values()
        if len(ids) > 1
    ]
    seconds["total"] = time.monotonic() - started
    return Linked(
        model=model,
        trained=trained,
        note=note,
        clusters=sorted(clusters),
        pairs=len(pairs),
        seconds=seconds,
    )


def without_term_frequencies(model: dict[str, Any] | SettingsCreator) -> dict[str, Any]:
    """The model with its term-frequency adjustments off. The frequency of a name is
    measured on the whole register; a few dozen candidates that share a block would make
    every name look common, so the check at settling scores without it (a person reviews
    what it finds)."""
    settings = (
        model.get_settings("duckdb").as_dict() if isinstance(model, SettingsCreator) else model
    )
    plain: dict[str, Any] = copy.deepcopy(settings)
    for comparison in plain.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    return plain


def score(
    row: dict[str, Any],
    candidates: list[dict[str, Any]],
    model: dict[str, Any] | SettingsCreator,
) -> list[tuple[int, float]]:
    """Splink's real-time linkage: the new record `row` scored against `candidates` (rows
    found by a database pre-filter on `blocking_keys`) with the project's model; (unique_id,
    match probability), best first."""
    if not candidates:
        return []
    linker = _linker(frame(candidates), without_term_frequencies(model))
    found = linker.inference.find_matches_to_new_records(
        frame([row]), blocking_rules=[], match_weight_threshold=-40
    ).as_pandas_dataframe()
    scored = [
        (int(uid), float(p))
        for uid, p in zip(found["unique_id_l"], found["match_probability"], strict=True)
        if int(uid) != int(row["unique_id"])
    ]
    return sorted(scored, key=lambda pair: -pair[1])
