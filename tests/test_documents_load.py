"""The loader: YAML text to plain values with positions, and every way a file can be bad."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from reconciler.documents.load import Document, load_schedules, parse_documents, read_text
from tests.support.wording import assert_lines_ours, assert_ours


def parse_one(text: str) -> Document:
    documents, diagnostics = parse_documents(text, "f.yaml")
    assert diagnostics == []
    assert len(documents) == 1
    return documents[0]


def parse_error(text: str) -> tuple[int, int, str]:
    documents, diagnostics = parse_documents(text, "f.yaml")
    assert documents == []
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.severity == "error"
    assert d.file == "f.yaml"
    return d.line, d.column, d.message


# --- YAML 1.1 surprises: what the user wrote stays what it is ---------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("12:00:00", "12:00:00"),  # YAML 1.1: 43200
        ("2024-01-01 00:00:00", "2024-01-01 00:00:00"),  # YAML 1.1: a datetime
        ("2024-01-01", "2024-01-01"),  # YAML 1.1: a date
        ("01", "01"),  # YAML 1.1: 1
        ("08", "08"),  # YAML 1.1: an error (bad octal)
        ("0755", "0755"),  # YAML 1.1: octal 493
        ("0x1F", "0x1F"),
        ("0o17", "0o17"),
        ("1_000", "1_000"),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("n", "n"),
        ("Yes", "Yes"),
        ("ON", "ON"),
        (".inf", ".inf"),
        (".nan", ".nan"),
        ("mon", "mon"),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("null", None),
        ("Null", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("7", 7),
        ("-3", -3),
        ("+5", 5),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ('"01"', "01"),
        ("'yes'", "yes"),
        ('"12:00:00"', "12:00:00"),
    ],
)
def test_scalar_resolution_is_the_yaml_1_2_core_schema(written: str, value: object) -> None:
    doc = parse_one(f"key: {written}\n")
    assert doc.data == {"key": value}
    assert type(doc.data["key"]) is type(value)


def test_unquoted_times_and_points_stay_the_strings_written() -> None:
    doc = parse_one(
        "trigger:\n"
        "  periodical:\n"
        "    start: 2024-01-01 00:00:00\n"
        "    end: 2024-12-31 23:59:59\n"
        "    time: 12:00:00\n"
        "    point: [01, 02, 08, 31]\n"
        "week: [mon, TUE]\n"
        "enabled: yes\n"
    )
    periodical = doc.data["trigger"]["periodical"]
    assert periodical == {
        "start": "2024-01-01 00:00:00",
        "end": "2024-12-31 23:59:59",
        "time": "12:00:00",
        "point": ["01", "02", "08", 31],  # 31 is a YAML 1.2 integer
    }
    assert doc.data["week"] == ["mon", "TUE"]
    assert doc.data["enabled"] == "yes"


def test_explicit_str_tag_is_a_string() -> None:
    assert parse_one("a: !!str 12\n").data == {"a": "12"}


def test_anchors_and_aliases_expand_to_their_value() -> None:
    doc = parse_one("a: &greeting hello\nb: *greeting\nc: &list [1, 2]\nd: *list\n")
    assert doc.data == {"a": "hello", "b": "hello", "c": [1, 2], "d": [1, 2]}


def test_a_plain_double_less_than_value_is_text() -> None:
    assert parse_one('a: <<\nb: [<<]\n"<<": quoted key\n').data == {
        "a": "<<",
        "b": ["<<"],
        "<<": "quoted key",
    }


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: x\n")
    text, problem = read_text(path, "bom.yaml")
    assert problem is None
    assert text is not None
    assert parse_one(text).data == {"name": "x"}


# --- positions -------------------------------------------------------------------------


def test_every_field_and_item_keeps_its_line_and_column() -> None:
    doc = parse_one(
        "# comment\n"  # 1
        "name: x\n"  # 2
        "trigger:\n"  # 3
        "  periodical:\n"  # 4
        "    point: [MON, FRI]\n"  # 5
        "    a/b~c: 1\n"  # 6
        "push: {to: all, body: {platform: [ios, android]}}\n"  # 7
    )
    assert doc.positions[""] == (2, 1)
    assert doc.positions["/name"] == (2, 1)
    assert doc.positions["/trigger"] == (3, 1)
    assert doc.positions["/trigger/periodical"] == (4, 3)
    assert doc.positions["/trigger/periodical/point"] == (5, 5)
    assert doc.positions["/trigger/periodical/point/0"] == (5, 13)
    assert doc.positions["/trigger/periodical/point/1"] == (5, 18)
    assert doc.positions["/trigger/periodical/a~1b~0c"] == (6, 5)
    assert doc.positions["/push/to"] == (7, 8)
    assert doc.positions["/push/body/platform"] == (7, 24)
    assert doc.positions["/push/body/platform/1"] == (7, 40)


def test_position_falls_back_to_the_nearest_written_ancestor() -> None:
    doc = parse_one("name: x\ntrigger:\n  single:\n    time: t\n")
    assert doc.position("/trigger/single/zone_type") == (3, 3)
    assert doc.position("/trigger/nothing/deeper") == (2, 1)
    assert doc.position("/absent") == (1, 1)
    assert doc.position("") == (1, 1)


def test_multi_document_stream_numbers_documents_and_lines_across_the_file() -> None:
    documents, diagnostics = parse_documents(
        "name: a\n---\n# between\nname: b\n---\n---\nname: c\n...\n", "f.yaml"
    )
    assert diagnostics == []
    assert [d.data for d in documents] == [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    # The empty document between the two `---` declares nothing but keeps its index.
    assert [d.index for d in documents] == [0, 1, 3]
    assert [d.positions["/name"] for d in documents] == [(1, 1), (4, 1), (7, 1)]
    assert {d.file for d in documents} == {"f.yaml"}


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "---\n...\n"])
def test_empty_or_comment_only_file_declares_nothing(text: str) -> None:
    assert parse_documents(text, "f.yaml") == ([], [])


# --- refused YAML ----------------------------------------------------------------------


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    assert parse_error("name: a\nenabled: true\nenabled: false\n") == (
        3,
        1,
        "duplicate key 'enabled'",
    )


def test_duplicate_key_in_a_nested_flow_mapping() -> None:
    line, column, message = parse_error("push:\n  to: {tag: [a], tag: [b]}\n")
    assert (line, column) == (2, 18)
    assert message == "duplicate key 'tag'"


def test_an_error_in_one_document_drops_the_whole_file() -> None:
    documents, diagnostics = parse_documents("name: a\n---\nname: b\nname: c\n", "f.yaml")
    assert documents == []
    assert [(d.line, d.column, d.message) for d in diagnostics] == [(4, 1, "duplicate key 'name'")]


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("a: !custom x\n", (1, 4), "unsupported YAML tag '!custom'; write a plain or quoted value"),
        ("a: !!binary aGk=\n", (1, 4), "unsupported YAML tag 'tag:yaml.org,2002:binary'"),
        (
            "a: !!timestamp 2024-01-01\n",
            (1, 4),
            "unsupported YAML tag 'tag:yaml.org,2002:timestamp'",
        ),
        (
            "a: !!python/object/apply:os.system [echo]\n",
            (1, 4),
            "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        ("a: !!set {x, y}\n", (1, 4), "unsupported YAML tag 'tag:yaml.org,2002:set'"),
        ("a: !!omap [x: 1]\n", (1, 4), "unsupported YAML tag 'tag:yaml.org,2002:omap'"),
        ("a:\n  b: !thing\n    c: 1\n", (2, 6), "unsupported YAML tag '!thing'"),
    ],
)
def test_tags_are_refused(text: str, position: tuple[int, int], message: str) -> None:
    line, column, found = parse_error(text)
    assert (line, column) == position
    assert found.startswith(message)


@pytest.mark.parametrize(
    ("text", "position", "message"),
    [
        ("1: one\n", (1, 1), "mapping keys must be strings; quote '1'"),
        ("a:\n  true: x\n", (2, 3), "mapping keys must be strings; quote 'true'"),
        ("a:\n  null: x\n", (2, 3), "mapping keys must be strings; quote 'null'"),
        ("a:\n  1.5: x\n", (2, 3), "mapping keys must be strings; quote '1.5'"),
        ("? [a, b]\n: x\n", (1, 3), "mapping keys must be strings, not a list or mapping"),
        ("{a: 1}: x\n", (1, 1), "mapping keys must be strings, not a list or mapping"),
    ],
)
def test_non_string_keys_are_refused(text: str, position: tuple[int, int], message: str) -> None:
    assert parse_error(text) == (*position, message)


def test_quoted_keys_that_look_like_other_types_are_fine() -> None:
    assert parse_one('"1": one\n"true": yes\n').data == {"1": "one", "true": "yes"}


def test_merge_keys_are_refused() -> None:
    assert parse_error("base: &b {a: 1}\nchild:\n  <<: *b\n  c: 2\n") == (
        3,
        3,
        "YAML merge keys (<<) are not supported",
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        # `…`: libyaml's description of the problem, passed on in its words.
        ("a: [1, 2\nb: 3\n", 2, "YAML syntax error: …"),
        ("a: 1\n b: 2\n", 2, "YAML syntax error: …"),
        ("a:\n  b: 1\n c: 2\n", 3, "YAML syntax error: …"),
        ("a: 'unclosed\n", 2, "YAML syntax error: …"),
        ("a: b: c\n", 1, "YAML syntax error: …"),
        ("a: *nowhere\n", 1, "YAML syntax error: found undefined alias 'nowhere'"),
        ("a:\n\t- b\n", 2, "YAML syntax error: …"),
        ("- a\nb: c\n", 2, "YAML syntax error: …"),
    ],
)
def test_syntax_errors_report_their_line(text: str, line: int, message: str) -> None:
    found_line, column, found = parse_error(text)
    assert found_line == line
    assert column >= 1
    assert_ours(found, message)


def test_syntax_error_names_where_the_unclosed_construct_started() -> None:
    line, _, message = parse_error("name: x\npoint: [MON, FRI\nzone_type: 1\n")
    assert line == 3
    assert_ours(message, "YAML syntax error: … that starts at 2:8)")


def test_non_mapping_documents_load_and_are_left_to_validation() -> None:
    documents, diagnostics = parse_documents("- a\n---\njust text\n---\n42\n", "f.yaml")
    assert diagnostics == []
    assert [d.data for d in documents] == [["a"], "just text", 42]


# --- files -----------------------------------------------------------------------------


def test_read_text_refuses_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"name: x\n\x00\x01\x02")
    text, problem = read_text(path, "bin.yaml")
    assert text is None
    assert problem is not None
    assert str(problem) == "bin.yaml: error: binary file, not YAML text"


def test_read_text_refuses_non_utf8_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    text, problem = read_text(path, "latin1.yaml")
    assert text is None
    assert problem is not None
    assert (problem.line, problem.severity) == (0, "error")
    assert problem.message == "not UTF-8 text (byte 9)"


def test_read_text_of_a_missing_file_is_a_diagnostic(tmp_path: Path) -> None:
    text, problem = read_text(tmp_path / "gone.yaml", "gone.yaml")
    assert text is None
    assert problem is not None
    assert problem.message.startswith("cannot read file: ")
    assert os.strerror(errno.ENOENT) in problem.message  # the system's reason, in its words


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_read_text_of_an_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n")
    path.chmod(0)
    try:
        text, problem = read_text(path, "secret.yaml")
    finally:
        path.chmod(0o644)
    assert text is None
    assert problem is not None
    assert problem.message == "cannot read file: Permission denied"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_load_schedules_reads_the_glob_in_sorted_order(tmp_path: Path) -> None:
    write(tmp_path / "schedules.d/b.yaml", "name: b\n")
    write(tmp_path / "schedules.d/a.yaml", "name: a1\n---\nname: a2\n")
    write(tmp_path / "schedules.d/sub/c.yaml", "name: c\n")
    write(tmp_path / "schedules.d/Z.yaml", "name: Z\n")
    write(tmp_path / "schedules.d/notes.txt", "name: not a schedule\n")
    write(tmp_path / "schedules.d/d.yml", "name: other extension\n")
    write(tmp_path / "elsewhere/e.yaml", "name: e\n")
    result = load_schedules(tmp_path, "schedules.d/**/*.yaml")
    assert result.files == (
        "schedules.d/Z.yaml",
        "schedules.d/a.yaml",
        "schedules.d/b.yaml",
        "schedules.d/sub/c.yaml",
    )
    assert [d.data["name"] for d in result.documents] == ["Z", "a1", "a2", "b", "c"]
    assert [d.file for d in result.documents][1:3] == ["schedules.d/a.yaml"] * 2
    assert result.diagnostics == ()


def test_load_schedules_honours_another_pattern(tmp_path: Path) -> None:
    write(tmp_path / "push/one.yml", "name: one\n")
    write(tmp_path / "push/deep/two.yml", "name: two\n")
    result = load_schedules(tmp_path, "push/*.yml")
    assert result.files == ("push/one.yml",)


def test_load_schedules_of_an_empty_directory_finds_nothing(tmp_path: Path) -> None:
    (tmp_path / "schedules.d").mkdir()
    result = load_schedules(tmp_path, "schedules.d/**/*.yaml")
    assert (result.files, result.documents, result.diagnostics) == ((), (), ())


def test_load_schedules_reports_every_bad_file_and_keeps_the_good(tmp_path: Path) -> None:
    write(tmp_path / "s/1_good.yaml", "name: good\n")
    (tmp_path / "s/2_binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "s/3_latin1.yaml").write_bytes(b"name: \xe9t\xe9\n")
    write(tmp_path / "s/4_syntax.yaml", "name: [x\n")
    write(tmp_path / "s/5_dup.yaml", "name: a\nname: b\n")
    result = load_schedules(tmp_path, "s/*.yaml")
    assert len(result.files) == 5
    assert [d.data for d in result.documents] == [{"name": "good"}]
    assert_lines_ours(
        [str(d) for d in result.diagnostics],
        [
            "s/2_binary.yaml: error: binary file, not YAML text",
            "s/3_latin1.yaml: error: not UTF-8 text (byte 6)",
            "s/4_syntax.yaml:2:…: error: YAML syntax error: … that starts at 1:7)",
            "s/5_dup.yaml:2:1: error: duplicate key 'name'",
        ],
    )


def test_load_schedules_refuses_a_pattern_outside_root(tmp_path: Path) -> None:
    write(tmp_path / "shared/one.yaml", "name: one\n")
    write(tmp_path / "repo/own.yaml", "name: own\n")
    result = load_schedules(tmp_path / "repo", "../shared/*.yaml")
    assert result.files == ("../shared/one.yaml",)
    assert result.documents == ()
    assert [str(d) for d in result.diagnostics] == [
        "../shared/one.yaml: error: outside the repository (the schedules glob leaves it); refused"
    ]


def test_load_schedules_refuses_an_absolute_pattern_outside_root(tmp_path: Path) -> None:
    write(tmp_path / "abs/one.yaml", "name: one\n")
    write(tmp_path / "repo/two.yaml", "name: two\n")
    result = load_schedules(tmp_path / "repo", f"{tmp_path}/abs/*.yaml")
    assert result.files == ("../abs/one.yaml",)
    assert result.documents == ()
    assert len(result.diagnostics) == 1


@pytest.mark.parametrize(
    ("text", "position", "char"),
    [
        ("name: x\nalert: hi\x07\n", (2, 10), "U+0007"),
        ("\x01", (1, 1), "U+0001"),
        ("a: 1\n---\nb: '\x1b'\n", (3, 5), "U+001B"),
    ],
)
def test_control_characters_are_reported_at_their_place(
    text: str, position: tuple[int, int], char: str
) -> None:
    line, column, message = parse_error(text)
    assert (line, column) == position
    # `…`: PyYAML's reason, in its words.
    assert_ours(message, f"YAML error: character {char} is not allowed in YAML text (…)")
