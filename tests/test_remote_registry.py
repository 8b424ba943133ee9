"""The provider seam: a target names its provider (engagelab by default), an unknown one is
refused with the file and line, and open_provider opens the target's app through it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.config.load import load_config
from reconciler.config.targets import Target
from reconciler.errors import ConfigError
from reconciler.remote.engagelab.settings import SETTINGS
from reconciler.remote.registry import DEFAULT_PROVIDER, PROVIDERS, open_provider, provider_named
from tests.support.cli import config
from tests.support.clock import NOW


def test_a_target_without_provider_is_engagelabs_with_its_credential_variables(
    tmp_path: Path,
) -> None:
    config(tmp_path, targets={"prod": {"region": "sgp"}})
    prod = load_config(None, tmp_path).target("prod")
    assert (prod.provider, DEFAULT_PROVIDER) == ("engagelab", "engagelab")
    assert (prod.app_key_env, prod.master_secret_env) == (
        SETTINGS.app_key_env,
        SETTINGS.master_secret_env,
    )


def test_variables_a_target_names_win_over_the_providers(tmp_path: Path) -> None:
    config(
        tmp_path, targets={"prod": {"provider": "engagelab", "region": "sgp", "app_key_env": "K"}}
    )
    prod = load_config(None, tmp_path).target("prod")
    assert (prod.app_key_env, prod.master_secret_env) == ("K", SETTINGS.master_secret_env)


def test_an_unknown_provider_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text(
        "targets:\n  prod:\n    provider: acme\n    region: sgp\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as raised:
        load_config(None, tmp_path)
    assert str(raised.value) == (
        "reconciler.yaml:3:5: error: targets.prod.provider: 'acme' is not one of ['engagelab']"
    )


def test_the_registry_knows_each_provider_by_its_name() -> None:
    assert set(PROVIDERS) == {"engagelab"}
    assert provider_named("engagelab") is PROVIDERS["engagelab"]
    with pytest.raises(ValueError, match="unknown provider 'acme' \\(known: engagelab\\)"):
        provider_named("acme")


def test_open_provider_opens_the_local_target_on_the_embedded_emulator(tmp_path: Path) -> None:
    target = Target(name="local", root=tmp_path)

    async def roundtrip() -> list[str]:
        async with open_provider(target, NOW) as remote:
            body = {
                "name": "seam_check",
                "enabled": True,
                "trigger": {"single": {"time": "2027-01-01 09:00:00", "zone_type": 1}},
                "push": {"to": "all", "body": {"platform": "all", "notification": {"alert": "hi"}}},
            }
            await remote.create_schedule(body)
            return [r.name for r in await remote.list_schedules()]

    assert asyncio.run(roundtrip()) == ["seam_check"]
    assert (tmp_path / ".reconciler" / "local.db").exists()
