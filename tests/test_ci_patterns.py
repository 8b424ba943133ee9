"""CODEOWNERS and workflow filter patterns match as GitHub's documentation says they do."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.ci.patterns import codeowners_file, filtered_in, owners_of, read_codeowners

# The examples of GitHub's "About code owners" page: (pattern, path, matches).
CODEOWNERS_CASES = [
    ("*", "reconciler.yaml", True),
    ("*", ".github/workflows/reconciler-apply.yml", True),
    ("*.js", "src/app/index.js", True),
    ("*.js", "index.ts", False),
    ("/build/logs/", "build/logs/today.log", True),
    ("/build/logs/", "src/build/logs/today.log", False),
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("apps/", "apps/a.txt", True),
    ("apps/", "src/apps/deep/a.txt", True),
    ("/docs/", "docs/a/b.md", True),
    ("/scripts/", "scripts/x.sh", True),
    ("**/logs", "build/logs/a.log", True),
    ("**/logs", "deeply/nested/logs/a.log", True),
    ("/apps/github", "apps/github/a.rb", True),
    ("/apps/github", "apps/github", True),
    ("/apps/github", "other/apps/github/a.rb", False),
    ("/reconciler.yaml", "reconciler.yaml", True),
    ("/reconciler.yaml", "sub/reconciler.yaml", False),
    ("reconciler.yaml", "sub/reconciler.yaml", True),
    ("/.github/", ".github/workflows/reconciler-apply.yml", True),
    (".github/*", ".github/CODEOWNERS", True),
    (".github/*", ".github/workflows/reconciler-apply.yml", False),
    ("/.github/**", ".github/workflows/reconciler-apply.yml", True),
]


@pytest.mark.parametrize(("pattern", "path", "matches"), CODEOWNERS_CASES)
def test_a_codeowners_pattern_matches_as_github_documents(
    pattern: str, path: str, matches: bool
) -> None:
    rules = read_codeowners(f"{pattern} @acme/owners\n")
    assert owners_of(rules, path) == (("@acme/owners",) if matches else ())


def test_the_last_matching_line_wins_and_a_line_without_owners_unowns() -> None:
    rules = read_codeowners(
        "# who reviews what\n"
        "*                 @acme/everyone\n"
        "/.github/         @acme/platform   # workflows hold credentials\n"
        "/.github/dependabot.yml\n"
        "\n"
    )
    assert owners_of(rules, "reconciler.yaml") == ("@acme/everyone",)
    assert owners_of(rules, ".github/workflows/reconciler-apply.yml") == ("@acme/platform",)
    assert owners_of(rules, ".github/dependabot.yml") == ()


@pytest.mark.parametrize("line", ["!/reconciler.yaml @a", "[rR]econciler.yaml @a", "\\#x @a"])
def test_a_line_github_cannot_read_is_skipped(line: str) -> None:
    assert read_codeowners(f"{line}\n") == []


def test_github_reads_the_first_codeowners_of_github_root_docs(tmp_path: Path) -> None:
    assert codeowners_file(tmp_path) is None
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "CODEOWNERS").write_text("* @a\n")
    assert codeowners_file(tmp_path) == "docs/CODEOWNERS"
    (tmp_path / "CODEOWNERS").write_text("* @b\n")
    assert codeowners_file(tmp_path) == "CODEOWNERS"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @c\n")
    assert codeowners_file(tmp_path) == ".github/CODEOWNERS"


# GitHub's "Filter pattern cheat sheet": (patterns, path, starts a run).
FILTER_CASES = [
    (["schedules.d/**", "reconciler.yaml"], "schedules.d/a/b/x.yaml", True),
    (["schedules.d/**", "reconciler.yaml"], "reconciler.yaml", True),
    (["schedules.d/**", "reconciler.yaml"], "README.md", False),
    (["schedules.d/*"], "schedules.d/a/x.yaml", False),
    (["schedules.d/*"], "schedules.d/x.yaml", True),
    (["**.yaml"], "a/b/c.yaml", True),
    (["*.yaml"], "a/c.yaml", False),
    (["docs/**", "!docs/**/*.md"], "docs/a/b.md", False),
    (["docs/**", "!docs/**/*.md"], "docs/a/b.png", True),
    (["docs/**", "!docs/**/*.md", "docs/keep.md"], "docs/keep.md", True),
    (["*.jsx?"], "page.js", True),
    (["*.jsx?"], "page.jsx", True),
    (["*.jsx?"], "page.jsxx", False),
    (["[CB]at.txt"], "Cat.txt", True),
    (["[CB]at.txt"], "Hat.txt", False),
]


@pytest.mark.parametrize(("patterns", "path", "runs"), FILTER_CASES)
def test_a_workflow_filter_matches_as_github_documents(
    patterns: list[str], path: str, runs: bool
) -> None:
    assert filtered_in(patterns, path) is runs
