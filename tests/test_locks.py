"""The hash-locked requirement files: what they pin, that they agree, and who installs them.

`requirements-dev.txt` is what the README's test command and CI install; `requirements.txt`
is what the action installs. `scripts/lock` writes both from pyproject.toml; Dependabot
moves their pins. These tests read the files as pip would and check what we promise: every
line pinned with hashes, every requirement of pyproject.toml met, one version of each
package in both files, and the README's command installing the lock that CI runs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = "requirements.txt"
DEVELOPMENT = "requirements-dev.txt"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Pin:
    version: str
    hashes: frozenset[str]
    marker: str | None


def read_lock(text: str) -> dict[str, Pin]:
    """name -> Pin for every requirement of a lock; anything else in it is an error."""
    pins: dict[str, Pin] = {}
    joined = text.replace("\\\n", " ")  # backslash continuations make one logical line
    for number, raw in enumerate(joined.splitlines(), 1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = frozenset(HASH.findall(line))
        rest = HASH.sub("", line).strip()
        assert not rest.startswith("-"), f"line {number}: an option, not a pin: {raw.strip()}"
        requirement = Requirement(rest)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, f"line {number}: not pinned: {rest}"
        assert specifiers[0].operator == "==", f"line {number}: not pinned: {rest}"
        assert hashes, f"line {number}: {requirement.name} has no sha256 hash"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"line {number}: {name} pinned twice"
        marker = str(requirement.marker) if requirement.marker else None
        pins[name] = Pin(specifiers[0].version, hashes, marker)
    return pins


def lock(name: str) -> dict[str, Pin]:
    return read_lock((ROOT / name).read_text(encoding="utf-8"))


def wanted(*extras: str) -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, the extras named, the build backend."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines = [*config["project"]["dependencies"], *config["build-system"]["requires"]]
    for extra in extras:
        lines += config["project"]["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(
    ("name", "extras"),
    [(RUNTIME, ()), (DEVELOPMENT, ("test", "lint", "docs"))],
    ids=[RUNTIME, DEVELOPMENT],
)
def test_the_lock_pins_what_pyproject_asks_for_with_hashes(
    name: str, extras: tuple[str, ...]
) -> None:
    pins = lock(name)
    missing, outside = [], []
    for requirement in wanted(*extras):
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            outside.append(f"{requirement.name} {pin.version} (pyproject.toml: {requirement})")
    assert not missing, f"{name} lacks {missing}: run scripts/lock"
    assert not outside, f"{name} pins outside pyproject.toml's bounds: {outside}: run scripts/lock"


def test_the_runtime_lock_and_the_development_lock_agree() -> None:
    """The action ships what CI tested: each package the action installs is in the
    development lock, at the same version with the same hashes."""
    runtime, development = lock(RUNTIME), lock(DEVELOPMENT)
    absent = sorted(set(runtime) - set(development))
    assert not absent, f"{RUNTIME} pins {absent}, which {DEVELOPMENT} lacks: run scripts/lock"
    differ = [
        f"{name}: {pin.version} in {RUNTIME}, {development[name].version} in {DEVELOPMENT}"
        for name, pin in sorted(runtime.items())
        if (pin.version, pin.hashes) != (development[name].version, development[name].hashes)
    ]
    assert not differ, "the locks disagree (run scripts/lock): " + "; ".join(differ)


def test_the_lock_reader_refuses_what_is_not_a_hashed_pin() -> None:
    pins = read_lock(f"PyYAML==6.0.3 ; python_version >= '3.11' \\\n    --hash=sha256:{'a' * 64}\n")
    assert list(pins) == ["pyyaml"]
    assert (pins["pyyaml"].version, pins["pyyaml"].hashes) == (
        "6.0.3",
        {f"--hash=sha256:{'a' * 64}"},
    )
    assert pins["pyyaml"].marker is not None
    with pytest.raises(AssertionError, match="not pinned"):
        read_lock("pyyaml>=6\n")
    with pytest.raises(AssertionError, match="no sha256 hash"):
        read_lock("pyyaml==6.0.3\n")


@pytest.mark.parametrize("name", [RUNTIME, DEVELOPMENT])
def test_the_lock_says_how_it_is_made(name: str) -> None:
    head = (ROOT / name).read_text(encoding="utf-8").splitlines()[:2]
    assert head[1].strip() == "#    scripts/lock", head


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Quick start has no sh code block"
    return block[1].splitlines()


def test_the_readme_test_command_installs_the_lock_and_ci_runs_it_verbatim() -> None:
    command = quick_start_commands()[1]
    assert f"--require-hashes -r {DEVELOPMENT}" in command
    assert "pip install --no-deps" in command  # the package itself adds nothing unlocked
    assert command.endswith("&& pytest -n auto")  # the suite, its workers one per core
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci, "`.ci/run` does not run the README's test command verbatim"


def test_the_action_installs_the_runtime_lock_with_hashes() -> None:
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert f'--require-hashes --no-deps -r "$GITHUB_ACTION_PATH/{RUNTIME}"' in action
