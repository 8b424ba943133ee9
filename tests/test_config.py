"""reconciler.yaml: defaults, per-target overrides, and errors that name file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config.load import load_config
from reconciler.config.targets import Config, Safety, Target
from reconciler.errors import ConfigError, ReconcilerError
from tests.support.wording import assert_ours


def config_from(tmp_path: Path, text: str) -> Config:
    (tmp_path / "reconciler.yaml").write_text(text, encoding="utf-8")
    return load_config(None, tmp_path)


def config_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config_from(tmp_path, text)
    return str(caught.value)


def test_a_missing_file_means_the_defaults(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)
    assert config.path is None
    assert config.default_target == "local"
    local = config.target()
    assert local == Target(name="local", root=tmp_path)
    assert local.is_local
    assert local.state_file == tmp_path / ".reconciler" / "local.db"
    assert (local.schedules, local.prune, local.manage_prefix) == (
        "schedules.d/**/*.yaml",
        True,
        "",
    )
    assert (local.protect, local.ignore_fields) == ((), ())
    assert local.safety == Safety(30, 50, 10)
    assert (local.quota, local.concurrency, local.rate_limit) == (1000, 32, 400)
    assert (local.site_timezone, local.app_key_env, local.master_secret_env) == (
        "UTC",
        "ENGAGELAB_APP_KEY",
        "ENGAGELAB_MASTER_SECRET",
    )


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "{}\n"])
def test_an_empty_file_means_the_defaults(tmp_path: Path, text: str) -> None:
    config = config_from(tmp_path, text)
    assert config.path == tmp_path / "reconciler.yaml"
    assert config.target() == Target(name="local", root=tmp_path)


def test_the_design_example_loads(tmp_path: Path) -> None:
    config = config_from(
        tmp_path,
        """default_target: local
targets:
  local:
    endpoint: local
  prod:
    region: sgp
    app_key_env: ENGAGELAB_APP_KEY
    master_secret_env: ENGAGELAB_MASTER_SECRET
    site_timezone: UTC
schedules: "schedules.d/**/*.yaml"
prune: true
manage_prefix: ""
protect: []
ignore_fields: []
safety: {max_delete_percent: 30, max_update_percent: 50, min_existing: 10}
quota: 1000
concurrency: 32
rate_limit: 400
""",
    )
    assert sorted(config.targets) == ["local", "prod"]
    prod = config.target("prod")
    assert (prod.endpoint, prod.region, prod.is_local) == (None, "sgp", False)
    assert config.target().is_local


def test_top_level_keys_apply_to_every_target_and_targets_override(tmp_path: Path) -> None:
    config = config_from(
        tmp_path,
        """default_target: prod
schedules: "pushes/*.yaml"
manage_prefix: app_
protect: ["keep_*"]
ignore_fields: [/push/request_id]
quota: 500
safety: {max_delete_percent: 10}
targets:
  staging:
    endpoint: https://staging.example.test
    manage_prefix: stg_
    quota: 50
    safety: {min_existing: 3}
  prod:
    region: hk
    site_timezone: Asia/Hong_Kong
    concurrency: 4
    rate_limit: 12.5
    prune: false
""",
    )
    assert config.default_target == "prod"
    prod = config.target()
    assert prod.name == "prod"
    assert (prod.schedules, prod.manage_prefix, prod.protect, prod.ignore_fields) == (
        "pushes/*.yaml",
        "app_",
        ("keep_*",),
        ("/push/request_id",),
    )
    assert (prod.quota, prod.concurrency, prod.rate_limit, prod.prune) == (500, 4, 12.5, False)
    assert prod.safety == Safety(max_delete_percent=10)
    assert prod.site_timezone == "Asia/Hong_Kong"
    staging = config.target("staging")
    assert (staging.endpoint, staging.region) == ("https://staging.example.test", None)
    assert (staging.manage_prefix, staging.quota, staging.schedules) == (
        "stg_",
        50,
        "pushes/*.yaml",
    )
    # Key by key: the target tightens min_existing and keeps the top-level max_delete_percent.
    assert staging.safety == Safety(max_delete_percent=10, min_existing=3)


def test_root_is_the_config_files_directory(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "custom.yaml").write_text("quota: 7\n")
    config = load_config(Path("repo/custom.yaml"), tmp_path)
    assert config.root == tmp_path / "repo"
    assert config.target().root == tmp_path / "repo"
    assert config.target().quota == 7


def test_an_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file .*nope\.yaml not found"):
        load_config(Path("nope.yaml"), tmp_path)


def test_unknown_target_names_the_known_ones(tmp_path: Path) -> None:
    config = config_from(tmp_path, "targets:\n  prod: {region: sgp}\n  local: {endpoint: local}\n")
    with pytest.raises(ConfigError) as caught:
        config.target("staging")
    assert str(caught.value) == "unknown target 'staging' in reconciler.yaml (known: local, prod)"
    (tmp_path / "bare").mkdir()
    with pytest.raises(ConfigError, match=r"unknown target 'x' in the defaults \(known: local\)"):
        load_config(None, tmp_path / "bare").target("x")


def test_config_errors_are_reconciler_errors() -> None:
    assert issubclass(ConfigError, ReconcilerError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "targets:\n  prod:\n    region: sgp\n    endpoint: https://x.test\n",
            "reconciler.yaml:2:3: error: a target takes `endpoint:` or `region:`, not both",
        ),
        (
            "targets:\n  prod:\n    region: mars\n",
            "reconciler.yaml:3:5: error: targets.prod.region: …",
        ),
        (
            "targets:\n  prod:\n    region: sgp\n    site_timezone: Mars/Olympus\n",
            "reconciler.yaml:4:5: error: target 'prod': unknown time zone 'Mars/Olympus' "
            "(use an IANA name such as Asia/Singapore)",
        ),
        (
            "targets:\n  prod:\n    region: sgp\n    site_tz: UTC\n",
            "reconciler.yaml:4:5: error: unknown key 'site_tz' in targets.prod; "
            "did you mean 'site_timezone'?",
        ),
        (
            "quota: 10\nprun: false\n",
            "reconciler.yaml:2:1: error: unknown key 'prun' in the file; did you mean 'prune'?",
        ),
        (
            "safety:\n  max_delete: 5\n",
            "reconciler.yaml:2:3: error: unknown key 'max_delete' in safety; "
            "did you mean 'max_delete_percent'?",
        ),
        (
            "color: blue\n",
            "reconciler.yaml:1:1: error: unknown key 'color' in the file (known: concurrency, "
            "default_target, ignore_fields, manage_prefix, max_file_bytes, policies, protect, prune, "
            "quota, rate_limit, request_timeout, safety, schedules, targets)",
        ),
        (
            "targets:\n  prod: {}\n",
            "reconciler.yaml:2:3: error: target 'prod' needs `endpoint:` (a URL or local) or "
            "`region:`",
        ),
        (
            "prune: yes\n",
            "reconciler.yaml:1:1: error: prune: … (write true or false; YAML 1.1 yes/no/on/off "
            "are strings here)",
        ),
        (
            "safety:\n  max_delete_percent: 130\n",
            "reconciler.yaml:2:3: error: safety.max_delete_percent: …",
        ),
        ("quota: 0\n", "reconciler.yaml:1:1: error: quota: …"),
        (
            "concurrency: 1000\n",
            "reconciler.yaml:1:1: error: concurrency: …",
        ),
        (
            "ignore_fields: [push/request_id]\n",
            "reconciler.yaml:1:17: error: ignore_fields.0: …",
        ),
        (
            "targets:\n  prod:\n    region: sgp\n    app_key_env: my-key\n",
            "reconciler.yaml:4:5: error: targets.prod.app_key_env: …",
        ),
        (
            "targets: {}\n",
            "reconciler.yaml:1:1: error: targets: …",
        ),
        (
            "quota: 5\ndefault_target: nope\n",
            "reconciler.yaml:2:1: error: default_target 'nope' is not among the targets",
        ),
        ("- a\n", "reconciler.yaml:1:1: error: the file: …"),
        (
            "quota: 1\nquota: 2\n",
            "reconciler.yaml:2:1: error: duplicate key 'quota'",
        ),
        (
            "targets:\n  prod: [\n",
            "reconciler.yaml:3:…: error: YAML syntax error: …",
        ),
        (
            "quota: 1\n---\nquota: 2\n",
            "reconciler.yaml: error: one YAML document expected, found 2",
        ),
        (
            "schedules: !glob '*.yaml'\n",
            "reconciler.yaml:1:12: error: unsupported YAML tag '!glob'; write a plain or quoted value",
        ),
    ],
)
def test_config_errors_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    # `…`: what jsonschema or libyaml says, passed on in their words; the rest is ours.
    assert_ours(config_error(tmp_path, text), message)


def test_unreadable_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_bytes(b"quota: \xff\n")
    with pytest.raises(ConfigError, match=r"reconciler\.yaml: error: not UTF-8 text \(byte 7\)"):
        load_config(None, tmp_path)
