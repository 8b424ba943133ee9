"""Benchmark: what the bounds cost, and how fast hostile input fails.

In one run:

* **the bounded loader's cost**: `reconciler validate` over 1000 generated files (the
  files of bench_validate.py), as a process, with the bounded loader and with the
  unbounded one it replaced (libyaml's recursive composer and a recursive
  construction, kept in unbounded_yaml.py only for this comparison); CPU (user+sys of the child)
  of each, their ratio. Target: the bounded loader costs under 10% more.
* **an alias bomb** (nine levels of nine aliases, 586 bytes) in schedules.d and as
  reconciler.yaml: `reconciler validate` must fail in under 2 s of wall time with a
  peak resident size under 200 MB (before: still running after 25 s at 2.5 GB).
* **a server claiming 10^7 pages** (a loopback HTTP server; once with a total_count
  that does not fit, once with one that does but no app can hold): `reconciler plan`
  must fail in under 2 s under 200 MB (before: 2.8 GB after 25 s, no error).

Exit status 1 if a target is missed.

    .venv/bin/python benchmarks/bench_hostile.py [--runs N] [--files N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from bench_validate import write_files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.hostile import json_server

NOW = "2026-06-01T00:00:00+00:00"
MAX_OVERHEAD = 0.10
MAX_SECONDS = 2.0
MAX_RSS_MB = 200
BOMB = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "fixtures"
    / "hostile"
    / "alias_bomb_9x9.yaml"
)

# The child runs the real command; the unbounded variant first swaps the loader's
# composer for the one this project had before the bounds.
BOUNDED = "import sys; from reconciler.cli.group import main; sys.argv[0] = 'reconciler'; main()"
UNBOUNDED = (
    "import sys; sys.path.insert(0, {here!r}); import unbounded_yaml, reconciler.documents.load; "
    "reconciler.documents.load.compose_documents = unbounded_yaml.compose_documents; "
    "from reconciler.cli.group import main; sys.argv[0] = 'reconciler'; main()"
)


# --- measuring a child ----------------------------------------------------------------


def run_child(
    code: str, args: list[str], cwd: Path, env: dict[str, str], *, stdout: bool = False
) -> tuple[float, float, int, str]:
    """(CPU seconds, wall seconds, peak RSS in MB, stderr or stdout) of `python -c code args`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args], cwd=cwd, env=env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        shown = out if stdout else err
        shown.seek(0)
        text = shown.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"the child crashed ({status}): {text[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss // 1024, text


def loader_cost(runs: int, files: int) -> bool:
    env = {**os.environ, "RECONCILER_NOW": NOW}
    here = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory(prefix="bench_hostile_") as tmp:
        root = Path(tmp)
        schedules = write_files(root, files)
        variants = {"bounded": BOUNDED, "unbounded": UNBOUNDED.format(here=here)}
        cpu: dict[str, list[float]] = {name: [] for name in variants}
        # Warm the page cache and the .pyc files; both must say the same.
        said = {
            run_child(code, ["validate"], root, env, stdout=True)[3] for code in variants.values()
        }
        if len(said) != 1:
            raise SystemExit(f"the two loaders disagree: {said}")
        for _ in range(runs):  # interleaved, so that a busy moment hits both alike
            for name, code in variants.items():
                cpu[name].append(run_child(code, ["validate"], root, env)[0])
    bounded, unbounded = (statistics.median(cpu[name]) for name in ("bounded", "unbounded"))
    overhead = bounded / unbounded - 1
    print(f"validate {files} files ({schedules} schedules), {runs} runs each, CPU median:")
    print(f"  unbounded loader {unbounded:.3f} s, bounded loader {bounded:.3f} s")
    print(
        f"  ratio {bounded / unbounded:.3f}: overhead {overhead:+.1%} (target < {MAX_OVERHEAD:.0%})"
    )
    return overhead < MAX_OVERHEAD


def verdict(label: str, wall: float, rss: int, output: str) -> bool:
    errors = [line for line in output.splitlines() if "error: " in line]
    ok = wall < MAX_SECONDS and rss < MAX_RSS_MB and len(errors) == 1
    line = errors[0] if errors else "(no error!)"
    print(f"  {label}: failed in {wall:.2f} s, peak RSS {rss} MB -> {'ok' if ok else 'MISSED'}")
    print(f"    {line[:150]}")
    return ok


def alias_bomb() -> bool:
    env = {**os.environ, "RECONCILER_NOW": NOW}
    print(
        f"alias bomb ({BOMB.stat().st_size} bytes; targets < {MAX_SECONDS} s, < {MAX_RSS_MB} MB):"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench_bomb_") as tmp:
        root = Path(tmp)
        (root / "schedules.d").mkdir()
        (root / "schedules.d" / "bomb.yaml").write_bytes(BOMB.read_bytes())
        _, wall, rss, out = run_child(BOUNDED, ["validate"], root, env, stdout=True)
        ok &= verdict("in schedules.d, validate", wall, rss, out)
        (root / "schedules.d" / "bomb.yaml").unlink()
        (root / "reconciler.yaml").write_bytes(BOMB.read_bytes())
        _, wall, rss, err = run_child(BOUNDED, ["validate"], root, env)
        ok &= verdict("as reconciler.yaml, validate", wall, rss, err)
    return ok


def lying_page(claim: dict[str, int]) -> dict[str, Any]:
    count = min(50, claim["total_count"])
    entries = [{"schedule_id": f"id{i}", "name": f"n{i}", "enabled": True} for i in range(count)]
    return {**claim, "page": 1, "schedules": entries}


def ten_million_pages() -> bool:
    env = {
        **os.environ,
        "RECONCILER_NOW": NOW,
        "ENGAGELAB_APP_KEY": "k",
        "ENGAGELAB_MASTER_SECRET": "s",
    }
    print(f"a server claiming 10^7 pages (targets < {MAX_SECONDS} s, < {MAX_RSS_MB} MB):")
    ok = True
    claims = {
        "total_pages 10^7, total_count 3": {"total_count": 3, "total_pages": 10**7},
        "total_pages 10^7, total_count 5*10^8": {"total_count": 5 * 10**8, "total_pages": 10**7},
    }
    for label, claim in claims.items():
        page = lying_page(claim)
        with (
            tempfile.TemporaryDirectory(prefix="bench_pages_") as tmp,
            json_server(lambda _, page=page: page) as url,
        ):
            root = Path(tmp)
            (root / "schedules.d").mkdir()
            (root / "schedules.d" / "a.yaml").write_text(
                "name: a\nenabled: true\ntrigger: {single: {time: '2026-12-01 09:00:00', zone_type: 1}}\n"
                "push: {to: all, body: {platform: all, notification: {alert: hi}}}\n"
            )
            config = {"default_target": "far", "targets": {"far": {"endpoint": url}}}
            (root / "reconciler.yaml").write_text(yaml.safe_dump(config))
            _, wall, rss, err = run_child(BOUNDED, ["plan"], root, env)
            ok &= verdict(label, wall, rss, err)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    results = [loader_cost(args.runs, args.files), alias_bomb(), ten_million_pages()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
