"""The desired set: a target's files read and validated, shared by the targets that agree.

`read_desired` is what plan and apply read (SourceError listing every error);
`load_desired` is what validate reports on (errors kept as diagnostics). The
targets of one command that read the same files under the same rules
(`validation_inputs`) share one reading (`desired_reader`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from reconciler.config.targets import Target
from reconciler.core.diagnostics import Diagnostic
from reconciler.core.model import Schedule
from reconciler.core.words import plural
from reconciler.desired.validate import ValidationResult, validate
from reconciler.documents.load import Document, LoadResult, load_schedules
from reconciler.errors import SourceError
from reconciler.policy.evaluation import evaluate
from reconciler.policy.rule import by_place

__all__ = [
    "Desired",
    "desired_reader",
    "load_desired",
    "policy_diagnostics",
    "read_desired",
    "validate_target",
    "validation_inputs",
]


def validation_inputs(target: Target) -> tuple[object, ...]:
    """Everything of `target` that `validate_target` reads: targets equal here validate alike.

    Keep it in step with the functions below (and `policy_diagnostics`): several
    targets of one command share one reading of their files when these agree.
    """
    return (
        target.root,
        target.schedules,
        target.max_file_bytes,
        target.manage_prefix,
        target.site_timezone,
        target.policies,
    )


def policy_diagnostics(
    documents: Sequence[Document], schedules: Sequence[Schedule], target: Target, now: datetime
) -> tuple[Diagnostic, ...]:
    """The target's policy findings as diagnostics: `FILE:LINE:COL: LEVEL: policy RULE: …`."""
    policies = target.policies
    if not policies.active:
        return ()
    docs = by_place(documents)
    violations = evaluate(
        schedules, policies, target.site_zone, target.site_timezone, now, documents
    )
    found = []
    for v in violations:
        src = v.schedule.source
        doc = docs.get((src.file, src.line, src.column)) if src else None
        line, column = doc.position(v.pointer) if doc else (src.line, src.column) if src else (0, 0)
        file = src.file if src else "?"
        found.append(Diagnostic(file, line, column, v.level, str(v), v.schedule.name))
    return tuple(found)


def validate_target(target: Target, now: datetime) -> tuple[LoadResult, ValidationResult]:
    """Load the target's schedule files and validate them: the desired state, checked."""
    loaded = load_schedules(target.root, target.schedules, max_file_bytes=target.max_file_bytes)
    result = validate(loaded.documents, target, now)
    declaring = {d.file for d in loaded.documents} | {d.file for d in loaded.diagnostics}
    empty = tuple(
        Diagnostic(file, 0, 0, "warning", "no schedule in this file")
        for file in loaded.files
        if file not in declaring
    )
    # The policies (reconciler.yaml `policies:`) over the valid schedules' fire times.
    policy = policy_diagnostics(loaded.documents, result.schedules, target, now)
    everything = tuple(sorted(loaded.diagnostics + result.diagnostics + empty + policy))
    return loaded, ValidationResult(result.schedules, everything)


@dataclass(frozen=True)
class Desired:
    """The target's files, read and validated (`result.ok` tells whether they may be planned)."""

    loaded: LoadResult
    result: ValidationResult

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.result.diagnostics if d.severity == "warning")


def load_desired(target: Target, now: datetime) -> Desired:
    """Read and validate the target's files; SourceError when the glob matches no file at all."""
    loaded, result = validate_target(target, now)
    if not loaded.files:
        raise SourceError(f"no schedules found under {target.schedules}")
    return Desired(loaded, result)


def read_desired(target: Target, now: datetime) -> Desired:
    """The validated desired state; SourceError listing every error if the files are wrong."""
    desired = load_desired(target, now)
    errors = [str(d) for d in desired.result.diagnostics if d.severity == "error"]
    if errors:
        shown = "\n".join(errors)
        raise SourceError(
            f"{plural(len(errors), 'error')} in the schedule files; run `reconciler validate`:\n"
            + shown
        )
    return desired


def desired_reader(
    now: datetime, read: Callable[[Target, datetime], Desired] = read_desired
) -> Callable[[Target], Desired]:
    """`read` (`read_desired`, or `load_desired` for validate) for the targets of one command:
    those that read the same files under the same rules (`validation_inputs`) share one
    reading, so N targets of one repository validate once, not N times."""
    done: dict[tuple[object, ...], Desired] = {}

    def desired_of(target: Target) -> Desired:
        key = validation_inputs(target)
        if key not in done:
            done[key] = read(target, now)
        return done[key]

    return desired_of
