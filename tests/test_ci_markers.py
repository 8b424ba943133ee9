"""Markers are parsed strictly: the exact fields in their order, or no marker at all."""

from __future__ import annotations

import pytest

from reconciler.ci.markers import DRIFT, PLAN, Marker, parse
from tests.support.github import sha

SUM = "sha256:" + "ab" * 32


def test_a_plan_marker_names_the_run_that_posted_it_and_reads_back() -> None:
    marker = Marker(PLAN, "prod-eu", SUM, sha(7), 30433643)
    assert marker.line() == (
        f"<!-- reconciler-plan target=prod-eu checksum={SUM} head={sha(7)} run=30433643 -->"
    )
    assert parse(marker.line() + "\n### plan") == marker


def test_an_older_plan_marker_is_still_found_but_names_no_run() -> None:
    marker = parse(f"<!-- reconciler-plan target=prod checksum={SUM} head={sha(7)} -->\nbody")
    assert marker == Marker(PLAN, "prod", SUM, sha(7), None)


@pytest.mark.parametrize(
    "fields",
    [
        f"target=prod checksum={SUM} head={sha(7)} run=0",
        f"target=prod checksum={SUM} head={sha(7)} run=012",
        f"target=prod checksum={SUM} head={sha(7)} run=-5",
        f"target=prod checksum={SUM} head={sha(7)} run=1e3",
        f"target=prod checksum={SUM} head={sha(7)} run=\u0661\u0662",
        f"target=prod checksum={SUM} head={sha(7)} run=123456789012345678901",
        f"target=prod checksum={SUM} head={sha(7)} run=1 run=2",
        f"target=prod checksum={SUM} run=5 head={sha(7)}",
        f"target=prod checksum={SUM} head={sha(7)} run=5 extra=1",
    ],
)
def test_a_malformed_run_makes_no_marker(fields: str) -> None:
    assert parse(f"<!-- reconciler-plan {fields} -->") is None


def test_a_drift_marker_takes_no_run() -> None:
    assert parse(f"<!-- reconciler-drift target=prod checksum={SUM} -->") == Marker(
        DRIFT, "prod", SUM
    )
    assert parse(f"<!-- reconciler-drift target=prod checksum={SUM} run=5 -->") is None
