"""Manager: wires one target's pieces together: files -> desired, API -> remote, -> plan.

Like octoDNS's manager, it holds no rules of its own: validation, planning
and applying live in their modules; this is where a target's client is opened
(the embedded emulator for `endpoint: local`) and the stages are called in
order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from reconciler.api import RemoteSchedule, ScheduleClient, base_url_for, credentials_from_env
from reconciler.config import Target
from reconciler.errors import SourceError
from reconciler.load import LoadResult
from reconciler.plan import Plan, make_plan
from reconciler.validate import ValidationResult, validate_target

LOCAL_BASE_URL = "http://emulator.local"


@asynccontextmanager
async def open_client(target: Target, now: datetime) -> AsyncIterator[ScheduleClient]:
    """The API client of `target`; for `endpoint: local`, the emulator in-process on its state file.

    The embedded emulator's clock is set to `now`, the planner's clock: one clock
    for both sides, whether RECONCILER_NOW fixes it or not (a clock left in the
    state file by an earlier run must not linger).
    """
    if target.is_local:
        # Imported here: a real target never loads the emulator.
        from reconciler.emulator import DEMO_APP, AppCredentials, Settings, create_app
        from reconciler.emulator.transport import EmulatorTransport

        target.state_file.parent.mkdir(parents=True, exist_ok=True)
        app_creds = AppCredentials(DEMO_APP.key, DEMO_APP.secret, target.site_timezone)
        app = create_app(Settings(apps=(app_creds,), state=str(target.state_file), now=now))
        client = ScheduleClient(
            base_url=LOCAL_BASE_URL,
            app_key=app_creds.key,
            master_secret=app_creds.secret,
            concurrency=target.concurrency,
            rate_limit=target.rate_limit,
            transport=EmulatorTransport(app),
        )
    else:
        base_url = base_url_for(endpoint=target.endpoint, region=target.region)
        app_key, master_secret = credentials_from_env(target.app_key_env, target.master_secret_env)
        client = ScheduleClient(
            base_url=base_url,
            app_key=app_key,
            master_secret=master_secret,
            concurrency=target.concurrency,
            rate_limit=target.rate_limit,
            credential_names=(target.app_key_env, target.master_secret_env),
        )
    async with client:
        yield client


@dataclass(frozen=True)
class Desired:
    loaded: LoadResult
    result: ValidationResult

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.result.diagnostics if d.severity == "warning")


def read_desired(target: Target, now: datetime) -> Desired:
    """The validated desired state; SourceError listing every error if the files are wrong."""
    loaded, result = validate_target(target, now)
    if not loaded.files:
        raise SourceError(f"no schedules found under {target.schedules}")
    errors = [str(d) for d in result.diagnostics if d.severity == "error"]
    if errors:
        shown = "\n".join(errors)
        raise SourceError(
            f"{len(errors)} error(s) in the schedule files; run `reconciler validate`:\n{shown}"
        )
    return Desired(loaded, result)


async def compute_plan(
    target: Target,
    client: ScheduleClient,
    desired: Desired,
    now: datetime,
    *,
    resolve_duplicates: str | None = None,
) -> tuple[Plan, list[RemoteSchedule]]:
    """Read the remote and plan against it."""
    remote = await client.list_schedules()
    plan = make_plan(
        desired.result.schedules,
        remote,
        target,
        now,
        resolve_duplicates=resolve_duplicates,
        warnings=desired.warnings,
    )
    return plan, remote
