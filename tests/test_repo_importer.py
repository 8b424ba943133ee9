"""The importer's YAML writer: what it writes, our loader reads back as written."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from reconciler.documents.compose import plain_is_string
from reconciler.documents.load import parse_documents
from reconciler.repo.importer import Dumper


def reread(value: object) -> object:
    text = yaml.dump({"v": value}, Dumper=Dumper, allow_unicode=True)
    documents, diagnostics = parse_documents(text, "x.yaml")
    assert diagnostics == [], (text, diagnostics)
    return documents[0].data["v"]


def test_strings_that_yaml_1_2_reads_as_numbers_are_quoted() -> None:
    # PyYAML's own YAML 1.1 dumper leaves these plain; YAML 1.2 reads them as numbers.
    for text in ("0E0", "1e5", "-2E+3", ".5", "1.", "True", "null", "~", "12", "007"):
        assert reread(text) == text
    assert 'v: "0E0"' in yaml.dump({"v": "0E0"}, Dumper=Dumper)
    assert not plain_is_string("0E0")
    assert plain_is_string("E0")
    assert plain_is_string("weekly digest")


def test_line_breaks_a_reader_would_fold_are_escaped() -> None:
    # Single quotes and plain style write U+0085, U+2028 and newlines raw; a reader folds them.
    for text in ("\x85", "a\nb", "a\u2028b", "\t", "a  \n  b"):
        assert reread(text) == text


@given(st.text(max_size=30))
def test_any_string_comes_back_as_written(text: str) -> None:
    assert reread(text) == text
