"""Schedule files as YAML text, as a team would write them, for the validation tests."""

from __future__ import annotations

# Every document here pushes to everyone; the trigger is what the tests vary.
_PUSH = """push:
  to: all
  body:
    platform: all
"""
_NOTIFICATION = _PUSH + "    notification:\n      alert: hello\n"


def single(
    time: str = "2026-12-21 09:00:00",
    zone_type: str = "\n    zone_type: 1",
    *,
    name: str = "morning_push",
) -> str:
    """A one-off push (13 lines); by default a month after NOW, in the site's zone."""
    return f"""name: {name}
enabled: true
trigger:
  single:
    time: "{time}"{zone_type}
{_NOTIFICATION}"""


def periodical(
    unit: str = "week",
    point: str = "[MON]",
    start: str = "2026-11-22 00:00:00",
    end: str = "2027-06-23 00:00:00",
    extra: str = "",
) -> str:
    """A repeating push at 09:00 in the site's zone; by default every Monday from NOW on."""
    return f"""name: weekly_push
enabled: true
trigger:
  periodical:
    start: "{start}"
    end: "{end}"
    time: "09:00:00"
    time_unit: {unit}
    point: {point}
    zone_type: 1{extra}
{_NOTIFICATION}"""


def intelligent(backup: str) -> str:
    """A push at the best time for each device, a message rather than a notification."""
    return f"""name: smart_push
enabled: true
trigger:
  intelligent:
    backup_time: "{backup}"
{_PUSH}    message:
      msg_content: hello
"""
