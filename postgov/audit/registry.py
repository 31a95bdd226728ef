"""What the audit trail knows of the apps above it, told by them.

The trail sits below every app it records (decision 0008), yet it names their steps and
codes in words and finds their events by the codes people type. Those apps register here
from their `AppConfig.ready`:

- the labels of the steps of an action family (`dossier.<step>` takes its step's label);
- the labels of coded values in events' details, by detail key (a role, a dossier state);
- code finders: a function that, given a typed code, returns the (object type, object id)
  pairs it names, each found with one indexed lookup.

Registering the same thing again (a second `ready`, a test reloading an app) changes
nothing; two apps giving different words for the same code is an error at start-up, so the
order in which apps load never decides what the trail shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

# A label as apps hold them: a str or a lazy translation, read in the page's language.
Label = object
# (object type as `record()` stores it, object id)
CodeFinder = Callable[[frozenset[str]], Iterable[tuple[str, object]]]

STEP_LABELS: dict[tuple[str, str], Label] = {}
VALUE_LABELS: dict[tuple[str, str], Label] = {}
CODE_FINDERS: dict[str, CodeFinder] = {}


def _add(
    table: dict[tuple[str, str], Label], what: str, key: tuple[str, str], label: Label
) -> None:
    known = table.get(key)
    if known is not None and known is not label and str(known) != str(label):
        raise ValueError(f"audit registry: {what} {key} is already {known!r}, not {label!r}")
    table[key] = label


def register_step_labels(family: str, labels: Mapping[str, Label]) -> None:
    """Name the steps of `family`: the action "family.step" reads as labels[step]."""
    for step, label in labels.items():
        _add(STEP_LABELS, "step", (family, step), label)


def register_value_labels(keys: Iterable[str], labels: Mapping[str, Label]) -> None:
    """Name the codes a detail under one of `keys` may hold (`labels`: code -> words)."""
    for key in keys:
        for value, label in labels.items():
            _add(VALUE_LABELS, "value", (key, str(value)), label)


def register_code_finder(finder: CodeFinder) -> CodeFinder:
    CODE_FINDERS[f"{finder.__module__}.{finder.__qualname__}"] = finder
    return finder


def step_label(family: str, step: str) -> str | None:
    label = STEP_LABELS.get((family, step))
    return None if label is None else str(label)


def value_label(key: str, value: str) -> str | None:
    label = VALUE_LABELS.get((key, value))
    return None if label is None else str(label)


def objects_coded(code: str) -> list[tuple[str, str]]:
    """What every registered finder finds for `code` (as typed, and in capitals), sorted."""
    spellings = frozenset({code, code.upper()})
    found = {
        (object_type, str(object_id))
        for finder in CODE_FINDERS.values()
        for object_type, object_id in finder(spellings)
    }
    return sorted(found)
