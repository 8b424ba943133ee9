"""The store: schedules, runs and the clock in SQLite (":memory:" or a file shared by processes).

Every change runs in a `BEGIN IMMEDIATE` transaction, so a quota check and its insert are
atomic and two processes sharing one file never lose or duplicate a schedule. Writers
wait for each other (a 30 s busy timeout) rather than fail.

One step SQLite does not wait for: switching a new file to WAL needs it to itself, and
`PRAGMA journal_mode = WAL` answers "database is locked" at once when another
connection holds a lock on it — which is what two `reconciler apply` starting together
on a fresh `.reconciler/local.db` did. So the switch is retried until the same busy
timeout has passed, and skipped when the file is in WAL mode already.

A *snapshot* store reads the file once and keeps every change in memory: it never
writes to the file, creates nothing beside it, and works on a file it may only read
(snapshot.py). A reader that only plans needs no more.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.snapshot import copy_state

__all__ = ["BUSY_TIMEOUT", "MSG_ID_BASE", "SCHEMA", "Advance", "NewRun", "Run", "Store", "Stored"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS schedules (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order
    app_key        TEXT    NOT NULL,
    schedule_id    TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    body           TEXT    NOT NULL,                   -- the JSON the client sent
    created_ms     INTEGER NOT NULL,
    anchor_ms      INTEGER NOT NULL,                   -- created or last replaced
    fired_through  INTEGER NOT NULL,                   -- fire times <= this are recorded
    next_due       INTEGER,                            -- next fire or expiry, NULL for none
    expired        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS schedules_by_app ON schedules (app_key, expired, seq);
CREATE INDEX IF NOT EXISTS schedules_by_due ON schedules (expired, next_due);
CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id    TEXT    NOT NULL,
    ts             INTEGER NOT NULL,
    msg_id         TEXT    NOT NULL,
    error_code     INTEGER NOT NULL,
    error_message  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_schedule ON runs (schedule_id, id);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT = 30.0

# msg_ids are numeric strings; an offset keeps them looking like the documents' ones.
MSG_ID_BASE = 1_000_000


@dataclass(frozen=True)
class Stored:
    """One schedule as stored."""

    seq: int
    app_key: str
    schedule_id: str
    name: str
    body: dict[str, Any]
    created_ms: int
    anchor_ms: int
    fired_through: int
    expired: bool


@dataclass(frozen=True)
class NewRun:
    ts_ms: int
    error_code: int = 0
    error_message: str = ""


@dataclass(frozen=True)
class Run:
    msg_id: str
    ts_ms: int
    error_code: int
    error_message: str


@dataclass(frozen=True)
class Advance:
    """What the clock reaching `now` did to one schedule."""

    runs: tuple[NewRun, ...]
    expired: bool
    fired_through: int
    next_due: int | None


# Queries are whole literals (no string building): the column list matches _stored().
_SELECT_DUE = (
    "SELECT seq, app_key, schedule_id, name, body, created_ms, anchor_ms, fired_through, expired "
    "FROM schedules WHERE expired = 0 AND next_due <= ? ORDER BY seq"
)
_SELECT_ONE = (
    "SELECT seq, app_key, schedule_id, name, body, created_ms, anchor_ms, fired_through, expired "
    "FROM schedules WHERE app_key = ? AND schedule_id = ? AND (expired = 0 OR ?)"
)
_SELECT_PAGE = (
    "SELECT seq, app_key, schedule_id, name, body, created_ms, anchor_ms, fired_through, expired "
    "FROM schedules WHERE app_key = ? AND expired = 0 ORDER BY seq LIMIT ? OFFSET ?"
)
_SELECT_ALL = (
    "SELECT seq, app_key, schedule_id, name, body, created_ms, anchor_ms, fired_through, expired, "
    "(SELECT COUNT(*) FROM runs r WHERE r.schedule_id = s.schedule_id) "
    "FROM schedules s ORDER BY seq"
)


def _stored(row: tuple[Any, ...]) -> Stored:
    return Stored(
        seq=row[0],
        app_key=row[1],
        schedule_id=row[2],
        name=row[3],
        body=json.loads(row[4]),
        created_ms=row[5],
        anchor_ms=row[6],
        fired_through=row[7],
        expired=bool(row[8]),
    )


def _use_wal(db: sqlite3.Connection, busy_timeout: float) -> None:
    """Put the file in WAL mode, waiting out other connections' locks (see the module doc)."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            (mode,) = db.execute("PRAGMA journal_mode").fetchone()
            if str(mode).lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


class Store:
    """Schedules, runs and the clock; safe to share between threads and processes.

    `path` None keeps everything in memory; `snapshot` starts from the file at `path`
    (if there is one) and keeps every change in memory. Writers wait for each other up
    to `busy_timeout` seconds. Raises sqlite3.Error when the file cannot be used.
    """

    def __init__(
        self, path: str | None = None, *, busy_timeout: float = BUSY_TIMEOUT, snapshot: bool = False
    ) -> None:
        target = ":memory:" if path is None or snapshot else path
        if target != ":memory:" and os.path.dirname(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(
            target, isolation_level=None, check_same_thread=False, timeout=busy_timeout, uri=True
        )
        self._lock = threading.RLock()
        try:
            with self._lock:
                self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                if target != ":memory:":
                    _use_wal(self._db, busy_timeout)
                    self._db.execute("PRAGMA synchronous = NORMAL")
                with self._write() as db:
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                if snapshot and path is not None and os.path.exists(path):
                    copy_state(self._db, path)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Clock --------------------------------------------------------------------------------

    def clock_ms(self) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = 'clock'").fetchone()
        return None if row is None else int(row[0])

    def set_clock_ms(self, value: int | None) -> None:
        with self._write() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = 'clock'")
            else:
                db.execute(
                    "INSERT INTO settings (key, value) VALUES ('clock', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(value),),
                )

    # Firing -------------------------------------------------------------------------------

    def any_due(self, now_ms: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM schedules WHERE expired = 0 AND next_due <= ? LIMIT 1", (now_ms,)
            ).fetchone()
        return row is not None

    def advance_due(self, now_ms: int, step: Callable[[Stored], Advance]) -> int:
        """Apply `step` to every unexpired schedule due by now; return how many runs it made."""
        made = 0
        with self._write() as db:
            rows = db.execute(_SELECT_DUE, (now_ms,)).fetchall()
            for row in rows:
                stored = _stored(row)
                result = step(stored)
                for run in result.runs:
                    cursor = db.execute(
                        "INSERT INTO runs (schedule_id, ts, msg_id, error_code, error_message) "
                        "VALUES (?, ?, '', ?, ?)",
                        (stored.schedule_id, run.ts_ms, run.error_code, run.error_message),
                    )
                    run_id = cursor.lastrowid
                    assert run_id is not None
                    msg_id = "0" if run.error_code else str(MSG_ID_BASE + run_id)
                    db.execute("UPDATE runs SET msg_id = ? WHERE id = ?", (msg_id, run_id))
                made += len(result.runs)
                db.execute(
                    "UPDATE schedules SET expired = ?, fired_through = ?, next_due = ? "
                    "WHERE seq = ?",
                    (int(result.expired), result.fired_through, result.next_due, stored.seq),
                )
        return made

    # Schedules ----------------------------------------------------------------------------

    def create(
        self,
        *,
        app_key: str,
        schedule_id: str,
        name: str,
        body: dict[str, Any],
        now_ms: int,
        next_due: int | None,
        quota: int,
    ) -> bool:
        """Insert a schedule unless the app already has `quota` active ones (then False)."""
        with self._write() as db:
            (active,) = db.execute(
                "SELECT COUNT(*) FROM schedules WHERE app_key = ? AND expired = 0", (app_key,)
            ).fetchone()
            if active >= quota:
                return False
            db.execute(
                "INSERT INTO schedules (app_key, schedule_id, name, body, created_ms, anchor_ms, "
                "fired_through, next_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    app_key,
                    schedule_id,
                    name,
                    json.dumps(body, ensure_ascii=False),
                    now_ms,
                    now_ms,
                    now_ms - 1,
                    next_due,
                ),
            )
        return True

    def replace(
        self,
        *,
        app_key: str,
        schedule_id: str,
        name: str,
        body: dict[str, Any],
        now_ms: int,
        next_due: int | None,
        refire_now: bool,
    ) -> bool:
        """Replace an unexpired schedule's body; False if there is none to replace.

        Runs already recorded stay recorded: unless `refire_now` (an intelligent "now"
        goes out again), fire times up to the last recorded one are not fired twice.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE schedules SET name = ?, body = ?, anchor_ms = ?, next_due = ?, "
                "fired_through = CASE WHEN ? THEN ? ELSE MAX(fired_through, ?) END "
                "WHERE app_key = ? AND schedule_id = ? AND expired = 0",
                (
                    name,
                    json.dumps(body, ensure_ascii=False),
                    now_ms,
                    next_due,
                    int(refire_now),
                    now_ms - 1,
                    now_ms - 1,
                    app_key,
                    schedule_id,
                ),
            )
            return cursor.rowcount == 1

    def delete(self, app_key: str, schedule_id: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM schedules WHERE app_key = ? AND schedule_id = ? AND expired = 0",
                (app_key, schedule_id),
            )
            if cursor.rowcount != 1:
                return False
            db.execute("DELETE FROM runs WHERE schedule_id = ?", (schedule_id,))
        return True

    def get(self, app_key: str, schedule_id: str, *, with_expired: bool = False) -> Stored | None:
        with self._lock:
            row = self._db.execute(
                _SELECT_ONE, (app_key, schedule_id, int(with_expired))
            ).fetchone()
        return None if row is None else _stored(row)

    def page(self, app_key: str, page: int, size: int) -> tuple[int, list[Stored]]:
        """The active schedules of one app in creation order: the total and one page."""
        with self._lock:
            (total,) = self._db.execute(
                "SELECT COUNT(*) FROM schedules WHERE app_key = ? AND expired = 0", (app_key,)
            ).fetchone()
            offset = (page - 1) * size
            # A page past the end is answered without a query (and without an OFFSET too large
            # for SQLite's integers).
            rows = (
                []
                if offset >= total
                else self._db.execute(_SELECT_PAGE, (app_key, size, offset)).fetchall()
            )
        return total, [_stored(row) for row in rows]

    def runs(self, schedule_id: str) -> list[Run]:
        with self._lock:
            rows = self._db.execute(
                "SELECT msg_id, ts, error_code, error_message FROM runs "
                "WHERE schedule_id = ? ORDER BY id",
                (schedule_id,),
            ).fetchall()
        return [Run(*row) for row in rows]

    # Admin --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every schedule (expired ones too) with its run count, grouped by app key."""
        with self._lock:
            rows = self._db.execute(_SELECT_ALL).fetchall()
        apps: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            stored = _stored(row[:-1])
            apps.setdefault(stored.app_key, []).append(
                {
                    "schedule_id": stored.schedule_id,
                    "name": stored.name,
                    "body": stored.body,
                    "created": stored.seq,
                    "expired": stored.expired,
                    "runs": row[-1],
                }
            )
        return apps

    def reset(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM schedules")
            db.execute("DELETE FROM runs")
