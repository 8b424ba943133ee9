"""The one fixed clock of the test suite: every test that needs a fixed now uses this."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 21, tzinfo=UTC)
#: NOW as RECONCILER_NOW takes it (ISO 8601 with an offset).
NOW_ISO = NOW.isoformat()
