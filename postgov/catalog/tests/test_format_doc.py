"""The examples in docs/catalog-format.md are valid files: the document and the reader
stay in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from postgov.catalog.exchange import read_csv, read_json

DOC = Path(__file__).resolve().parents[3] / "docs" / "catalog-format.md"


def example(language: str) -> bytes:
    (block,) = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return block.encode("utf-8")


@pytest.mark.parametrize(("language", "reader"), [("json", read_json), ("csv", read_csv)])
def test_the_documented_example_reads_without_problems(language, reader):
    result = reader(example(language))
    assert [str(p) for p in result.problems.items] == []
    (spec,) = result.specs
    assert spec.code == "1.001193"
    assert [f.amount for f in spec.versions[0].content.fees] == [0, 8000]
