"""Snapshot: a state file read once into a store that keeps its changes in memory.

A *snapshot* store (`Store(path, snapshot=True)`, the emulator's
`Settings.state_snapshot`) never writes to the file and creates nothing beside
it: SQLite's `-wal` and `-shm` files are made only where it may write, and
removed again on closing, and a file it may only read is read as it is. Its
schema is the store's; `copy_state` fills an empty one from the file.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse

__all__ = ["copy_state"]

_COPY_SCHEDULES = (
    "INSERT INTO main.schedules (seq, app_key, schedule_id, name, body, created_ms, anchor_ms, "
    "fired_through, next_due, expired) SELECT seq, app_key, schedule_id, name, body, "
    "created_ms, anchor_ms, fired_through, next_due, expired FROM source.schedules"
)
_COPY_RUNS = (
    "INSERT INTO main.runs (id, schedule_id, ts, msg_id, error_code, error_message) "
    "SELECT id, schedule_id, ts, msg_id, error_code, error_message FROM source.runs"
)
_COPY_SETTINGS = "INSERT INTO main.settings (key, value) SELECT key, value FROM source.settings"
_COPIES = (("schedules", _COPY_SCHEDULES), ("runs", _COPY_RUNS), ("settings", _COPY_SETTINGS))


def _reading_uri(path: str) -> str:
    """A URI that reads `path` without leaving anything behind (see the module doc).

    Where SQLite may write (the file, its directory, the -wal and -shm present), a
    plain connection: it makes -wal and -shm while open and, the last to close,
    removes them. Where it may not, nothing can be made: read the file as it is
    (immutable) when no write-ahead log holds part of it, else read-only.
    """
    absolute = os.path.abspath(path)
    uri = "file:" + urllib.parse.quote(absolute)
    present = [p for p in (absolute + "-wal", absolute + "-shm") if os.path.exists(p)]
    if all(os.access(p, os.W_OK) for p in (absolute, os.path.dirname(absolute), *present)):
        return uri + "?mode=rw"
    wal = absolute + "-wal"
    if not os.path.exists(wal) or os.path.getsize(wal) == 0:
        return uri + "?mode=ro&immutable=1"
    return uri + "?mode=ro"


def copy_state(db: sqlite3.Connection, path: str) -> None:
    """Load the schedules, runs and settings of the file at `path` into `db` (a store's
    connection, in autocommit mode, its schema made), in one read."""
    db.execute("ATTACH DATABASE ? AS source", (_reading_uri(path),))
    try:
        tables = {
            row[0]
            for row in db.execute("SELECT name FROM source.sqlite_master WHERE type = 'table'")
        }
        # A deferred transaction: one consistent read of the source, whose write lock
        # (BEGIN IMMEDIATE takes one on every attached file) this never needs.
        db.execute("BEGIN")
        try:
            for table, copy in _COPIES:
                if table in tables:
                    db.execute(copy)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE source")
