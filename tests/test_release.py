"""The release: scripts/release.py's checks and notes, and the release and pages workflows'
least privilege (OIDC and writing tokens in one job each). actionlint and zizmor check the
workflows in .ci/run; the suite against the wheel runs in the release workflow itself."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from reconciler import __version__

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "release.py"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release = _script()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- the tag ------------------------------------------------------------------------------------


def test_the_tag_must_be_the_packages_version() -> None:
    assert release.package_version() == __version__
    release.check_tag(f"v{__version__}", __version__)
    refused = run("check-tag", "v99.0.0")
    assert refused.returncode == 1
    assert refused.stderr == (
        f"error: the tag v99.0.0 is not the package's version v{__version__} "
        "(reconciler/_version.py): set __version__ and tag that commit\n"
    )


# --- the notes ----------------------------------------------------------------------------------

CHANGELOG = """# Changelog

## [Unreleased]

### Added
- next things

## [1.1.0] - 2027-02-01

### Fixed
- a fix

## [1.0.0] - 2027-01-01

### Added
- the first things

[1.1.0]: https://example.invalid/compare/v1.0.0...v1.1.0
[1.0.0]: https://example.invalid/releases/v1.0.0
"""


def test_the_notes_are_that_versions_section_only() -> None:
    assert release.notes(CHANGELOG, "1.1.0") == "### Fixed\n- a fix\n"
    assert release.notes(CHANGELOG, "1.0.0") == "### Added\n- the first things\n"
    assert release.notes(CHANGELOG, "Unreleased") == "### Added\n- next things\n"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (CHANGELOG, r"no section ## \[1\.0\]$"),
        ("## [1.0]\n\n## [0.9]\n- x\n", r"section ## \[1\.0\] is empty"),
    ],
)
def test_a_missing_or_empty_section_is_refused(text: str, error: str) -> None:
    with pytest.raises(release.ReleaseError, match=error):
        release.notes(text, "1.0")


def test_the_notes_of_the_real_changelog() -> None:
    shown = run("notes", "0.1.0")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("### Added\n")
    assert "## [" not in shown.stdout
    missing = run("notes", "0.0.1")
    assert (missing.returncode, missing.stderr) == (
        1,
        "error: CHANGELOG.md has no section ## [0.0.1]\n",
    )


# --- the built files ----------------------------------------------------------------------------


def dist(tmp_path: Path, version: str, stamp: str | None) -> Path:
    folder = tmp_path / "dist"
    folder.mkdir()
    stem = f"engagelab_schedule_reconciler-{version}"
    (folder / f"{stem}.tar.gz").write_bytes(b"")
    with zipfile.ZipFile(folder / f"{stem}-py3-none-any.whl", "w") as wheel:
        wheel.writestr("reconciler/__init__.py", "")
        if stamp is not None:
            wheel.writestr("reconciler/_build.py", stamp)
    return folder


def stamp(commit: str, release_tag: str | None) -> str:
    return f'"""x"""\n\nCOMMIT = "{commit}"\nRELEASE = {release_tag!r}\n'


def test_a_wheel_stamped_with_the_commit_and_the_release_passes(tmp_path: Path) -> None:
    folder = dist(tmp_path, "1.2.3", stamp(SHA, "v1.2.3"))
    names = [p.name for p in release.check_dist(folder, "v1.2.3", SHA)]
    assert names == [
        "engagelab_schedule_reconciler-1.2.3.tar.gz",
        "engagelab_schedule_reconciler-1.2.3-py3-none-any.whl",
    ]


@pytest.mark.parametrize(
    ("version", "content", "error"),
    [
        ("1.2.3", stamp(SHA, None), "not COMMIT .* and RELEASE v1.2.3"),  # built untagged
        ("1.2.3", stamp("f" * 40, "v1.2.3"), "not COMMIT"),  # another commit
        ("1.2.3", None, "carries no reconciler/_build.py stamp"),  # built without git
        ("1.2.4", stamp(SHA, "v1.2.3"), "not version 1.2.3"),
    ],
)
def test_a_wheel_that_does_not_say_it_is_the_release_is_refused(
    tmp_path: Path, version: str, content: str | None, error: str
) -> None:
    folder = dist(tmp_path, version, content)
    with pytest.raises(release.ReleaseError, match=error):
        release.check_dist(folder, "v1.2.3", SHA)


# --- the workflows' privileges ------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (ROOT / ".github" / "workflows" / name).read_text("utf-8")
    )
    return data


def granted(job: dict[str, Any]) -> dict[str, str]:
    permissions: dict[str, str] = job["permissions"]
    return permissions


def test_the_release_runs_on_version_tags_and_grants_each_job_its_own_least() -> None:
    flow = workflow("release.yml")
    assert flow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on` as True
    assert flow["permissions"] == {}
    jobs = flow["jobs"]
    assert {name: granted(job) for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "test": {"contents": "read"},
        "publish": {"id-token": "write", "attestations": "write"},
        "github-release": {"contents": "write"},
    }
    assert jobs["publish"]["environment"]["name"] == "pypi"
    assert "secrets." not in yaml.safe_dump(flow)  # trusted publishing: no stored token
    assert (jobs["test"]["needs"], jobs["publish"]["needs"]) == ("build", "test")
    assert jobs["github-release"]["needs"] == "publish"
    steps = " ".join(str(step.get("run", "")) for step in jobs["build"]["steps"])
    assert steps.index("check-tag") < steps.index("-m build") < steps.index("check-dist")
    tested = jobs["test"]["steps"][-1]
    assert tested["env"] == {"PYTHONSAFEPATH": "1", "RECONCILER_TEST_INSTALLED": "1"}
    assert "--import-mode=append" in tested["run"]


def test_pages_deploys_from_main_with_the_pages_permissions_in_the_deploy_job_only() -> None:
    flow = workflow("pages.yml")
    assert flow[True]["push"] == {"branches": ["main"]}
    assert flow["permissions"] == {}
    jobs = flow["jobs"]
    assert granted(jobs["build"]) == {"contents": "read"}
    assert granted(jobs["deploy"]) == {"pages": "write", "id-token": "write"}
    built = " ".join(str(step.get("run", "")) for step in jobs["build"]["steps"])
    assert 'mkdocs" build --strict' in built
