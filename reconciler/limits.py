"""Limits: how much of anything hostile input may make the reconciler read, build or wait for.

Schedule files and reconciler.yaml come from many hands, and the API is shared
with other tools: every reader is bounded so that no input can exhaust memory,
recurse the interpreter to death or hang a CI job. One place for the numbers,
so that the loader, the API client and the documentation (docs/reference/limits.md) agree.
"""

from __future__ import annotations

__all__ = [
    "LIST_WINDOW",
    "MAX_ALIAS_VALUES",
    "MAX_ANSWER_BYTES",
    "MAX_ARTIFACT_BYTES",
    "MAX_ARTIFACT_MEMBERS",
    "MAX_ARTIFACT_MEMBER_BYTES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_LISTED",
    "MAX_SCHEDULE_BYTES",
    "REQUEST_TIMEOUT",
]

#: Lists and mappings inside one another, a whole schedule counted (its top
#: mapping is level 1): deeper than any real push payload (about 8), far below
#: what Python's recursion or libyaml's C composer survive.
MAX_DEPTH = 64

#: A schedule file (or reconciler.yaml) larger than this is refused unread;
#: `max_file_bytes` (top level or per target) overrides it for schedule files.
MAX_FILE_BYTES = 4_000_000

#: Values that YAML aliases may add to one file, counted as what they expand to.
#: Sharing an `extras` block between android and ios costs a few dozen; a
#: "billion laughs" bomb needs millions.
MAX_ALIAS_VALUES = 100_000

#: A remote schedule whose JSON text is longer than this is not handled: it could
#: not be written to a schedule file either.
MAX_SCHEDULE_BYTES = MAX_FILE_BYTES

#: An answer of the API longer than this (decoded) is refused unread past it: a page of
#: 50 schedules of real push payloads (a few KB each) is far below it.
MAX_ANSWER_BYTES = 32 * 1024 * 1024

#: The most schedules a listing accepts (a hundred times the API's documented
#: default quota of 1000 active schedules): a larger `total_count` is a lie.
MAX_LISTED = 100_000

#: Pages and details a listing reads at once, whatever the server claims.
LIST_WINDOW = 64

#: Seconds one request may take before it is abandoned (`request_timeout`).
REQUEST_TIMEOUT = 30.0

#: The plan artifact apply reads back from the run that posted a plan comment
#: (`plans-T`, a zip from GitHub's storage, read in memory and never extracted):
#: the download, its members, and what each member it reads may declare. A plan
#: of the API's default quota (1000 schedules) is about 1.5 MB of JSON, a few
#: dozen KB zipped; the markdown is at most 65,000 characters.
MAX_ARTIFACT_BYTES = 8 * 1024 * 1024
MAX_ARTIFACT_MEMBERS = 8
MAX_ARTIFACT_MEMBER_BYTES = 16 * 1024 * 1024
