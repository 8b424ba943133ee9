"""Effective settings: every one of them is in the plan and its checksum, and nothing else is."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reconciler.config.effective import changes, effective_settings
from reconciler.config.targets import Safety
from reconciler.policy.settings import Policies
from tests.support.plan import desired, plan_of, remote, target

QUIET = Policies.from_json({"quiet_hours": {"start": "22:00:00", "end": "06:00:00"}})

#: Each effective setting, and another value for it.
EFFECTIVE: dict[str, Any] = {
    "endpoint": "https://pushapi-sgp.engagelab.com",
    "app_key_env": "OTHER_KEY",
    "master_secret_env": "OTHER_SECRET",
    "site_timezone": "Asia/Singapore",
    "manage_prefix": "a",
    "prune": False,
    "protect": ("keep_*",),
    "ignore_fields": ("/push/options",),
    "safety.max_delete_percent": 10,
    "safety.max_update_percent": 10,
    "safety.min_existing": 1,
    "quota": 10,
    "policies": QUIET,
}
#: What only bounds how hard the API is hit: no plan depends on it.
OTHER: dict[str, Any] = {
    "concurrency": 4,
    "rate_limit": 10,
    "request_timeout": 5,
    "max_file_bytes": 1000,
}


def _with(key: str, value: Any) -> dict[str, Any]:
    if key.startswith("safety."):
        base = Safety(max_delete_percent=30, max_update_percent=50, min_existing=10)
        return {"safety": dataclasses.replace(base, **{key.split(".")[1]: value})}
    return {key: value}


def test_every_target_field_is_either_effective_or_named_as_not() -> None:
    fields = {f.name for f in dataclasses.fields(target())}
    named = {k.split(".")[0] for k in EFFECTIVE} | set(OTHER)
    assert fields - named == {"name", "root", "region", "provider", "schedules"}


@pytest.mark.parametrize("key", EFFECTIVE)
def test_an_effective_setting_moves_the_checksum_and_is_in_the_saved_plan(key: str) -> None:
    d, r = [desired("a")], [remote("a")]
    before, after = plan_of(d, r), plan_of(d, r, **_with(key, EFFECTIVE[key]))
    assert before.checksum != after.checksum
    assert before.data()["settings"] != after.data()["settings"]
    assert before.settings is not None
    assert after.settings is not None
    assert changes(before.settings, after.settings)


@pytest.mark.parametrize("key", OTHER)
def test_a_setting_no_plan_depends_on_leaves_the_checksum(key: str) -> None:
    d, r = [desired("a")], [remote("a")]
    assert plan_of(d, r).checksum == plan_of(d, r, **{key: OTHER[key]}).checksum


def test_a_region_is_its_base_url() -> None:
    sgp = effective_settings(target(endpoint=None, region="sgp"))
    assert sgp.json()["connection"]["base_url"] == "https://pushapi-sgp.engagelab.com"
    same = effective_settings(target(endpoint="https://pushapi-sgp.engagelab.com/"))
    assert changes(sgp, same) == ()
    moved = changes(sgp, effective_settings(target(endpoint=None, region="hk")))
    assert [(c.key, c.connection) for c in moved] == [("connection.base_url", True)]


def test_changes_are_key_by_key_with_absent_rules() -> None:
    found = changes(effective_settings(target()), effective_settings(target(policies=QUIET)))
    assert [(c.key, c.before, c.after) for c in found] == [
        ("policies.rules.quiet_hours.start", None, "22:00:00"),
        ("policies.rules.quiet_hours.end", None, "06:00:00"),
        ("policies.rules.quiet_hours.level", None, "error"),
    ]


def test_a_withheld_plan_keeps_the_checksum_and_drops_the_bodies() -> None:
    plan = plan_of(
        [desired("a_new"), desired("a_kept", push=_push("new"))],
        [remote("b_promo", push=_push("PROMO-42")), remote("a_kept", 1, push=_push("old"))],
    )
    shown = plan.withhold(lambda name: name.startswith("a_"))
    assert shown.checksum == plan.checksum
    by_name = {c.name: c for c in shown.changes}
    assert by_name["b_promo"].withheld
    assert by_name["b_promo"].before is None
    assert by_name["b_promo"].action == "delete"
    assert not by_name["a_kept"].withheld
    assert by_name["a_kept"].diff
    assert not by_name["a_new"].withheld
    assert by_name["a_new"].after is not None
    assert "PROMO-42" not in str(shown.data())
    assert shown.data()["changes"][0]["withheld"] is True


def test_a_rename_from_a_foreign_name_is_withheld() -> None:
    renamed = desired("a_x", previous_name="b_secret")
    plan = plan_of([renamed], [remote("b_secret", push=_push("SECRET-7"))])
    (change,) = plan.withhold(lambda name: name.startswith("a_")).changes
    assert (change.action, change.withheld, change.diff) == ("update", True, ())


def _push(alert: str) -> dict[str, Any]:
    return {"to": "all", "body": {"platform": "all", "notification": {"alert": alert}}}
