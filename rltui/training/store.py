"""The run store: one SQLite file in the data dir holding runs, episodes, evaluations, checkpoints and
human play sessions.

Why it is shaped this way:

* WAL mode with ``synchronous=NORMAL``: a reader (the app's history screen) never blocks the training
  thread, a commit costs no fsync, and a process killed at any moment leaves a readable database
  (SQLite rolls back the unfinished transaction on the next open).
* The Trainer buffers episode rows and writes them in one transaction about once a second
  (:meth:`RunStore.add_episodes`), so recording costs well under 1% of a fast tabular run.
* One connection guarded by a lock (``check_same_thread=False``): one writer thread and any number of
  reader threads may share a store object; other processes open their own.
* ``PRAGMA user_version`` carries the schema version; tables are created with ``IF NOT EXISTS`` so an
  older file is upgraded in place and a newer one is refused with a one-line error. Columns added later
  (:func:`_upgrade`, :data:`_ADDED_COLUMNS`) are added in place to a file that lacks them.
* A run's status is stored, never guessed from a PID alone (PIDs are reused): a running Trainer writes
  a heartbeat every few seconds under its owner token, and a ``running`` run whose heartbeat is older
  than :data:`STALE_AFTER_S` reads as ``interrupted`` (killed, or the machine stopped); so does one
  whose process is gone already (a PID check alone would show a dead run running after PID reuse).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from rltui.errors import RltuiError
from rltui.training import paths, store_rows

SCHEMA_VERSION = 4  # 2: comparisons (human vs agent); 3: episodes.wall; 4: sweeps. Older files are upgraded
# in place
DB_NAME = "rltui.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    algo TEXT NOT NULL,
    config TEXT NOT NULL,
    hparams TEXT NOT NULL,
    seed INTEGER,
    device TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    steps INTEGER NOT NULL DEFAULT 0,
    episodes INTEGER NOT NULL DEFAULT 0,
    started REAL NOT NULL,
    ended REAL,
    pid INTEGER
);
CREATE TABLE IF NOT EXISTS episodes (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    steps INTEGER NOT NULL,
    ret REAL NOT NULL,
    length INTEGER NOT NULL,
    wall REAL,  -- wall-clock time (epoch s) at the episode's end, for SB3's monitor.csv; NULL before v3
    PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    steps INTEGER NOT NULL,
    mean REAL NOT NULL,
    std REAL NOT NULL,
    episodes INTEGER NOT NULL,
    success_rate REAL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    steps INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS human_episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    seed INTEGER,
    actions TEXT NOT NULL,
    rewards TEXT NOT NULL,
    ret REAL NOT NULL,
    length INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS comparisons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    agent TEXT NOT NULL,
    checkpoint TEXT,
    seeds TEXT NOT NULL,
    rounds INTEGER NOT NULL,
    human_mean REAL,
    agent_mean REAL,
    human_wins INTEGER NOT NULL,
    agent_wins INTEGER NOT NULL,
    ties INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS comparison_rounds (
    comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    human_episode_id INTEGER REFERENCES human_episodes(id),
    human_return REAL,
    agent_return REAL,
    agent_actions TEXT NOT NULL,
    winner TEXT,
    PRIMARY KEY (comparison_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    env TEXT NOT NULL,
    algo TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    storage TEXT,
    address TEXT,
    started REAL NOT NULL,
    ended REAL,
    pid INTEGER
);
CREATE TABLE IF NOT EXISTS sweep_runs (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    trial TEXT NOT NULL,
    label TEXT NOT NULL,
    params TEXT NOT NULL,
    node TEXT
);
CREATE INDEX IF NOT EXISTS sweep_runs_sweep ON sweep_runs(sweep_id);
CREATE TABLE IF NOT EXISTS knob_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    steps INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS evaluations_run ON evaluations(run_id);
CREATE INDEX IF NOT EXISTS knob_changes_run ON knob_changes(run_id);
CREATE INDEX IF NOT EXISTS comparisons_env ON comparisons(env);
CREATE INDEX IF NOT EXISTS checkpoints_run ON checkpoints(run_id);
CREATE INDEX IF NOT EXISTS human_env ON human_episodes(env);
"""


#: Columns added after a table's first release: (table, column, type), added in place when missing.
_ADDED_COLUMNS = (
    ("runs", "heartbeat", "REAL"),  # last sign of life of a running run (time.time())
    ("runs", "owner", "TEXT"),  # token of the process that runs it: only it may beat or finish it
    ("checkpoints", "role", "TEXT"),  # 'last' (the run's checkpoint) or 'best' (its best evaluation)
)

HEARTBEAT_EVERY_S = 5.0
STALE_AFTER_S = 60.0  # a running run silent this long is interrupted (12 missed beats)


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _stale(heartbeat: float | None) -> bool:
    return heartbeat is None or time.time() - float(heartbeat) > STALE_AFTER_S


def _gone(row: dict[str, Any]) -> bool:
    """A ``running`` row whose heartbeat stopped (a reused PID cannot fake that), or whose process is
    gone right now."""
    return _stale(row.get("heartbeat")) or not _pid_alive(row.get("pid"))


class RunStore:
    """See the module docstring. ``RunStore(path)`` opens a file; ``RunStore(None)`` an in-memory store."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        try:
            self._db = sqlite3.connect(target, timeout=30.0, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RltuiError(f"run store {target} has schema version {version}; this rltui reads up to "
                                 f"{SCHEMA_VERSION} (upgrade rltui)")
            self._db.executescript(_SCHEMA)
            _upgrade(self._db)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise RltuiError(f"cannot open the run store {target}: {exc}") from exc
        self._lock = threading.RLock()

    @classmethod
    def open(cls, data_dir: str | None = None) -> RunStore:
        """The store in the data dir (``--data-dir`` > ``$RLTUI_DATA`` > user data dir)."""
        return cls(paths.data_dir(data_dir) / DB_NAME)

    @classmethod
    def open_readonly(cls, data_dir: str | None = None) -> RunStore:
        """The store for commands that only read (``runs``, ``compare --history``): it writes nothing,
        creates nothing, and so works on a full disk, a read-only data dir or while a run writes.

        SQLite opens a WAL database read-only when it may create the ``-shm`` file beside it; where it
        may not (a read-only folder), the file is opened ``immutable``, which reads it as it is."""
        path = paths.data_dir(data_dir, create=False) / DB_NAME
        store = cls(None)  # an empty in-memory store: what a missing file reads as
        store.path = path
        if not path.exists():
            return store
        uri = "file:" + urllib.parse.quote(str(path.resolve()))
        last: Exception | None = None
        for mode in ("mode=ro", "mode=ro&immutable=1"):
            try:
                db = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=30.0, check_same_thread=False,
                                     isolation_level=None)
                db.row_factory = sqlite3.Row
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            except sqlite3.DatabaseError as exc:
                last = exc
                continue
            if not tables:  # an empty file (created, never written): nothing is kept yet
                db.close()
                return store
            if version > SCHEMA_VERSION:
                db.close()
                raise RltuiError(f"run store {path} has schema version {version}; this rltui reads up to "
                                 f"{SCHEMA_VERSION} (upgrade rltui)")
            store._db.close()
            store._db = db
            return store
        raise RltuiError(f"cannot open the run store {path}: {last}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -----------------------------------------------------------------------------------
    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except sqlite3.DatabaseError as exc:
                raise RltuiError(f"run store {self.path}: {exc}") from exc
            except OverflowError:  # the last guard: values are checked where they enter (rltui.validation)
                raise RltuiError(_too_large(params)) from None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return [dict(r) for r in self._db.execute(sql, params).fetchall()]
            except sqlite3.DatabaseError as exc:
                raise RltuiError(f"run store {self.path}: {exc}") from exc
            except OverflowError:
                raise RltuiError(_too_large(params)) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, all or nothing; database errors become one-line RltuiErrors."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise RltuiError(f"run store {self.path}: {exc}") from exc

    def _transaction(self, statements: Iterable[tuple[str, Sequence[Any] | list[Sequence[Any]], bool]]) -> None:
        """Run (sql, params, many) statements in one transaction."""
        with self._tx() as db:
            for sql, params, many in statements:
                if many:
                    db.executemany(sql, params)  # type: ignore[arg-type]
                else:
                    db.execute(sql, params)

    # -- runs ---------------------------------------------------------------------------------------
    def create_run(self, config: Any, device: str, hparams: dict[str, Any] | None = None,
                   owner: str | None = None) -> int:
        """A new run in status ``running``; ``config`` is a TrainConfig (or a dict with env/algo/seed).
        ``owner`` is the token the run's heartbeats and end are written under."""
        cfg = asdict(config) if is_dataclass(config) else dict(config)
        now = time.time()
        cur = self._write(
            "INSERT INTO runs (env, algo, config, hparams, seed, device, status, started, pid, heartbeat, owner) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
            (cfg["env"], cfg["algo"], json.dumps(cfg, default=str), json.dumps(hparams or cfg.get("hparams", {}),
             default=str), cfg.get("seed"), device, now, os.getpid(), now, owner),
        )
        return int(cur.lastrowid)

    def heartbeat(self, run_id: int, owner: str | None) -> None:
        """The run is alive (written by its Trainer every :data:`HEARTBEAT_EVERY_S`)."""
        self._write("UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running' AND owner IS ?",
                    (time.time(), run_id, owner))

    def claim_run(self, run_id: int, owner: str, *, steps: int, episodes: int) -> None:
        """Carry on run ``run_id`` from its checkpoint at ``steps`` / ``episodes``: what it recorded after
        that point is dropped (it is trained again), and it is ``running`` again under ``owner``."""
        with self._tx() as db:
            row = db.execute("SELECT status, heartbeat, pid FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise RltuiError(f"no run {run_id} in {self.path}")
            if row["status"] == "running" and not _gone(dict(row)):
                raise RltuiError(f"run {run_id} is still running; stop it first")
            db.execute("DELETE FROM episodes WHERE run_id = ? AND idx >= ?", (run_id, episodes))
            db.execute("DELETE FROM evaluations WHERE run_id = ? AND steps > ?", (run_id, steps))
            db.execute("UPDATE runs SET status = 'running', error = NULL, ended = NULL, steps = ?, episodes = ?, "
                       "pid = ?, heartbeat = ?, owner = ? WHERE id = ?",
                       (steps, episodes, os.getpid(), time.time(), owner, run_id))

    def best_evaluation(self, run_id: int) -> float | None:
        """The best greedy evaluation mean of a run so far (None: none yet)."""
        rows = self._rows("SELECT MAX(mean) AS best FROM evaluations WHERE run_id = ?", (run_id,))
        return rows[0]["best"] if rows else None

    def add_episodes(self, run_id: int, rows: Sequence[tuple[Any, ...]], steps: int | None = None) -> None:
        """Record episodes ``(index, total steps at its end, return, length[, wall time at its end])`` in one
        transaction, and the run's progress counters with them (no wall time: now)."""
        if not rows and steps is None:
            return
        statements: list[tuple[str, Any, bool]] = []
        if rows:
            now = time.time()
            values = [(run_id, int(r[0]), int(r[1]), float(r[2]), int(r[3]), float(r[4]) if len(r) > 4 else now)
                      for r in rows]
            statements.append(("INSERT OR REPLACE INTO episodes (run_id, idx, steps, ret, length, wall) "
                               "VALUES (?, ?, ?, ?, ?, ?)", values, True))
        last_episode = int(rows[-1][0]) + 1 if rows else None
        statements.append(("UPDATE runs SET steps = COALESCE(?, steps), episodes = COALESCE(?, episodes), "
                           "heartbeat = ? WHERE id = ?", (steps, last_episode, time.time(), run_id), False))
        self._transaction(statements)

    def add_evaluation(self, run_id: int, steps: int, mean: float, std: float, episodes: int,
                       success_rate: float | None = None) -> int:
        cur = self._write(
            "INSERT INTO evaluations (run_id, steps, mean, std, episodes, success_rate, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, steps, mean, std, episodes, success_rate, time.time()))
        return int(cur.lastrowid)

    def add_knob_change(self, run_id: int, steps: int, name: str, value: float | None) -> int:
        """A hyperparameter changed while the run trained (explain mode's live knobs): from step ``steps`` on."""
        cur = self._write("INSERT INTO knob_changes (run_id, steps, name, value, created) VALUES (?, ?, ?, ?, ?)",
                          (run_id, steps, name, value, time.time()))
        return int(cur.lastrowid)

    def knob_changes(self, run_id: int) -> list[dict[str, Any]]:
        """Oldest first: ``{"steps", "name", "value"}`` (value None: back to the schedule)."""
        rows = self._rows("SELECT steps, name, value FROM knob_changes WHERE run_id = ? ORDER BY id", (run_id,))
        return [dict(row) for row in rows]

    def add_checkpoint(self, run_id: int, path: str, steps: int, role: str = "last") -> int:
        """Record a save of ``path``: one row per file, updated in place when the file is saved again."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT id FROM checkpoints WHERE run_id = ? AND path = ? ORDER BY id DESC LIMIT 1",
                             (run_id, str(path))).fetchone()
            if row is not None:
                db.execute("UPDATE checkpoints SET steps = ?, created = ?, role = ? WHERE id = ?",
                           (steps, now, role, row["id"]))
                return int(row["id"])
            cur = db.execute("INSERT INTO checkpoints (run_id, path, steps, created, role) VALUES (?, ?, ?, ?, ?)",
                             (run_id, str(path), steps, now, role))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, error: str | None = None, *, steps: int | None = None,
                   episodes: int | None = None, owner: str | None = None) -> None:
        """Record how a run ended; with ``owner``, only if the run is still that owner's (a run another
        process has since carried on is not marked by the one that lost it)."""
        self._write("UPDATE runs SET status = ?, error = ?, ended = ?, steps = COALESCE(?, steps), "
                    "episodes = COALESCE(?, episodes) WHERE id = ? AND (? IS NULL OR owner IS NULL OR owner = ?)",
                    (status, error, time.time(), steps, episodes, run_id, owner, owner))

    def _select(self, table: str, max_len: int = store_rows.TEXT_MAX) -> str:
        """``SELECT`` of every column of ``table``, text over ``max_len`` read as NULL (see store_rows)."""
        with self._lock:
            try:
                return f"SELECT {store_rows.columns(self._db, table, max_len)} FROM {table}"
            except sqlite3.DatabaseError as exc:
                raise RltuiError(f"run store {self.path}: {exc}") from exc

    def _decorate(self, row: dict[str, Any]) -> dict[str, Any]:
        row = store_rows.read_run(row)  # raises store_rows.Malformed
        if row["status"] == "running" and _gone(row):
            row["status"] = "interrupted"  # its process is gone: killed, or the machine stopped
        return row

    def list_runs(self, limit: int = 50, env: str | None = None) -> store_rows.Rows:
        """Newest first; a ``running`` run whose process is gone reads as ``interrupted``. Rows that
        cannot be read are left out and counted in the result's ``skipped``."""
        where, params = ("WHERE env = ?", [env]) if env else ("", [])
        rows = self._rows(f"{self._select('runs')} {where} ORDER BY id DESC LIMIT ?", [*params, int(limit)])
        return store_rows.keep(rows, self._decorate)

    def get_run(self, run_id: int) -> dict[str, Any] | None:
        """One run, or None; a row that cannot be read is a one-line error saying why."""
        rows = self._rows(f"{self._select('runs')} WHERE id = ?", (run_id,))
        if not rows:
            return None
        try:
            return self._decorate(rows[0])
        except store_rows.Malformed as exc:
            raise RltuiError(f"run {run_id} in {self.path} cannot be read: {exc}") from None

    def episode_summary(self, run_id: int, window: int = 100, scan: int = 200_000) -> dict[str, Any]:
        """Figures of a run's returns from bounded windows, aggregated in SQL (a run may hold millions of
        episodes): the mean of the first and last ``window`` episodes (``first_mean``/``first_n``,
        ``last_mean``/``last_n``) and the ``best`` of the last ``scan`` (``best_over`` episodes; all of
        them when ``covers_all``). ``skipped`` counts unreadable rows met in those windows."""
        valid = "ret BETWEEN -1e308 AND 1e308"  # numbers only: text and blobs sort above, NULL fails
        out: dict[str, Any] = {}
        for name, order in (("first", "ASC"), ("last", "DESC")):
            row = self._rows(f"SELECT AVG(ret) AS mean, COUNT(*) AS n FROM (SELECT ret FROM episodes WHERE "
                             f"run_id = ? AND {valid} ORDER BY idx {order} LIMIT ?)", (run_id, int(window)))[0]
            out[f"{name}_mean"], out[f"{name}_n"] = row["mean"], int(row["n"])
        row = self._rows(f"SELECT MAX(CASE WHEN {valid} THEN ret END) AS best, SUM({valid}) AS n, COUNT(*) AS rows "
                         "FROM (SELECT ret FROM episodes WHERE run_id = ? ORDER BY idx DESC LIMIT ?)",
                         (run_id, int(scan)))[0]
        out["best"], out["best_over"] = row["best"], int(row["n"] or 0)
        out["covers_all"] = int(row["rows"]) < scan
        out["skipped"] = int(row["rows"]) - out["best_over"]
        out["episodes"] = out["best_over"]
        return out

    def episode_returns(self, run_id: int, max_points: int = 2_000, scan: int = 100_000) -> list[float]:
        """A run's returns in order, for a chart: those of its last ``scan`` episodes, all of them up to
        ``max_points``, else the means of consecutive buckets of episode indices, averaged in SQL
        (bounded time and memory however long the run)."""
        valid = "ret BETWEEN -1e308 AND 1e308"  # numbers only: text and blobs sort above, NULL fails
        window = self._rows(f"SELECT MIN(idx) AS lo, COUNT(*) AS n FROM (SELECT idx FROM episodes WHERE run_id = ? "
                            f"AND {valid} ORDER BY idx DESC LIMIT ?)", (run_id, int(scan)))[0]
        lo, n = window["lo"], int(window["n"])
        if not n:
            return []
        if n <= max_points:
            rows = self._rows(f"SELECT ret FROM episodes WHERE run_id = ? AND idx >= ? AND {valid} ORDER BY idx",
                              (run_id, lo))
        else:
            size = -(-n // int(max_points))
            rows = self._rows(f"SELECT AVG(ret) AS ret FROM episodes WHERE run_id = ? AND idx >= ? AND {valid} "
                              "GROUP BY (idx - ?) / ? ORDER BY (idx - ?) / ?", (run_id, lo, lo, size, lo, size))
        return [float(r["ret"]) for r in rows]

    def episodes(self, run_id: int) -> list[dict[str, Any]]:
        return self._rows("SELECT idx, steps, ret, length FROM episodes WHERE run_id = ? ORDER BY idx", (run_id,))

    def episode_times(self, run_id: int) -> list[dict[str, Any]]:
        """Episodes with their wall-clock end time (``wall``, None for rows kept before schema 3): exports."""
        return self._rows("SELECT idx, steps, ret, length, wall FROM episodes WHERE run_id = ? ORDER BY idx",
                          (run_id,))

    def evaluations(self, run_id: int, limit: int | None = None) -> store_rows.Rows:
        """Oldest first (the newest ``limit`` when given); unreadable rows are skipped and counted."""
        rows = self._rows("SELECT * FROM (SELECT steps, mean, std, episodes, success_rate, created, id FROM "
                          "evaluations WHERE run_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
                          (run_id, -1 if limit is None else int(limit)))
        return store_rows.keep(rows, store_rows.read_evaluation)

    def checkpoints(self, run_id: int, limit: int | None = None) -> store_rows.Rows:
        """Oldest first (the newest ``limit`` when given); unreadable rows are skipped and counted."""
        rows = self._rows(f"SELECT * FROM ({self._select('checkpoints')} WHERE run_id = ? ORDER BY id DESC "
                          "LIMIT ?) ORDER BY id", (run_id, -1 if limit is None else int(limit)))
        return store_rows.keep(rows, store_rows.read_checkpoint)

    def latest_checkpoint(self, run_id: int, role: str = "last") -> str | None:
        """The run's checkpoint (``role="best"``: its best evaluation's), or None; the newest readable one."""
        rows = self._rows(f"{self._select('checkpoints')} WHERE run_id = ? AND COALESCE(role, 'last') = ? "
                          "ORDER BY created DESC, id DESC LIMIT 10", (run_id, role))
        kept = store_rows.keep(rows, store_rows.read_checkpoint)
        return kept[0]["path"] if kept else None

    # -- sweeps (rltui.sweep: the driver alone writes these; trials never open the store) ----------
    def create_sweep(self, env: str, algo: str, spec: dict[str, Any], storage: str | None,
                     address: str | None) -> int:
        cur = self._write("INSERT INTO sweeps (env, algo, spec, status, storage, address, started, pid) "
                          "VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
                          (env, algo, json.dumps(spec, default=str), storage, address, time.time(), os.getpid()))
        return int(cur.lastrowid)

    def set_sweep_storage(self, sweep_id: int, storage: str) -> None:
        """Where Ray's storage keeps the sweep's trials and checkpoints (known once the sweep has an id)."""
        self._write("UPDATE sweeps SET storage = ? WHERE id = ?", (storage, sweep_id))

    def finish_sweep(self, sweep_id: int, status: str, error: str | None = None) -> None:
        self._write("UPDATE sweeps SET status = ?, error = ?, ended = ? WHERE id = ?",
                    (status, error, time.time(), sweep_id))

    def add_sweep_run(self, sweep_id: int, run_id: int, trial: str, label: str, params: dict[str, Any],
                      node: str | None = None) -> None:
        """Mark ``run_id`` as the sweep's trial ``trial`` (configuration ``label``, grid/search ``params``)."""
        self._write("INSERT OR REPLACE INTO sweep_runs (run_id, sweep_id, trial, label, params, node) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, sweep_id, trial, label, json.dumps(params, default=str), node))

    def _has_sweeps(self) -> bool:
        """False for a file from before sweeps opened read-only (nothing was added to it)."""
        return bool(self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sweep_runs'"))

    def _decorate_sweep(self, row: dict[str, Any]) -> dict[str, Any]:
        row["spec"] = json.loads(row["spec"])
        if row["status"] == "running" and not _pid_alive(row.get("pid")):
            row["status"] = "interrupted"
        return row

    def list_sweeps(self, limit: int = 50) -> list[dict[str, Any]]:
        if not self._has_sweeps():
            return []
        rows = self._rows("SELECT s.*, (SELECT COUNT(*) FROM sweep_runs r WHERE r.sweep_id = s.id) AS n_runs "
                          "FROM sweeps s ORDER BY s.id DESC LIMIT ?", (int(limit),))
        return [self._decorate_sweep(r) for r in rows]

    def get_sweep(self, sweep_id: int) -> dict[str, Any] | None:
        if not self._has_sweeps():
            return None
        rows = self._rows("SELECT * FROM sweeps WHERE id = ?", (sweep_id,))
        return self._decorate_sweep(rows[0]) if rows else None

    def sweep_runs(self, sweep_id: int) -> list[dict[str, Any]]:
        """The sweep's runs (oldest first), each with its ``label``, ``params``, ``trial`` and ``node``."""
        if not self._has_sweeps():
            return []
        rows = self._rows("SELECT r.*, s.trial, s.label, s.params, s.node FROM runs r "
                          "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? ORDER BY r.id", (sweep_id,))
        for row in rows:
            row["params"] = json.loads(row["params"])
        return [self._decorate(r) for r in rows]

    def sweep_of(self, run_ids: Sequence[int]) -> dict[int, int]:
        """``{run_id: sweep_id}`` for those of ``run_ids`` that belong to a sweep."""
        ids = [int(i) for i in run_ids]
        if not ids or not self._has_sweeps():
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT run_id, sweep_id FROM sweep_runs WHERE run_id IN ({marks})", ids)
        return {r["run_id"]: r["sweep_id"] for r in rows}

    # -- human play ---------------------------------------------------------------------------------
    def add_human_episode(self, env: str, seed: int | None, actions: Sequence[int],
                          rewards: Sequence[float]) -> int:
        """One episode a person played (the compare feature replays the seed for the agent)."""
        if len(actions) != len(rewards):
            raise RltuiError(f"a human episode needs one reward per action ({len(actions)} vs {len(rewards)})")
        rewards = [float(r) for r in rewards]
        cur = self._write(
            "INSERT INTO human_episodes (env, seed, actions, rewards, ret, length, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (env, seed, json.dumps([int(a) for a in actions]), json.dumps(rewards), float(sum(rewards)),
             len(actions), time.time()))
        return int(cur.lastrowid)

    def human_episodes(self, env: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE env = ?", (env,)) if env else ("", ())
        rows = self._rows(f"{self._select('human_episodes', store_rows.ACTIONS_MAX)} {where} ORDER BY id", params)
        return store_rows.keep(rows, store_rows.read_human_episode)

    # -- human vs agent -----------------------------------------------------------------------------
    def add_comparison(self, env: str, agent: str, checkpoint: str | None, rounds: Sequence[dict[str, Any]],
                       summary: dict[str, Any]) -> int:
        """Keep one comparison, all or nothing.

        Each round is a dict with ``seed``, ``human_return``, ``agent_return``, ``agent_actions``,
        ``winner`` and either ``human_episode_id`` (already stored) or ``human_actions`` +
        ``human_rewards`` (stored here as a human episode, in the same transaction, so the person's
        play is kept for demos too). ``summary`` has ``human_mean``, ``agent_mean``, ``human_wins``,
        ``agent_wins``, ``ties``.
        """
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO comparisons (env, agent, checkpoint, seeds, rounds, human_mean, agent_mean, "
                "human_wins, agent_wins, ties, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (env, agent, checkpoint, json.dumps([int(r["seed"]) for r in rounds]), len(rounds),
                 _finite(summary.get("human_mean")), _finite(summary.get("agent_mean")),
                 int(summary["human_wins"]), int(summary["agent_wins"]), int(summary["ties"]), now))
            comparison_id = int(cur.lastrowid)
            for idx, r in enumerate(rounds):
                episode_id = r.get("human_episode_id")
                if episode_id is None and r.get("human_actions") is not None:
                    actions = [int(a) for a in r["human_actions"]]
                    rewards = [float(x) for x in r["human_rewards"]]
                    episode_id = db.execute(
                        "INSERT INTO human_episodes (env, seed, actions, rewards, ret, length, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (env, int(r["seed"]), json.dumps(actions), json.dumps(rewards), float(sum(rewards)),
                         len(actions), now)).lastrowid
                db.execute(
                    "INSERT INTO comparison_rounds (comparison_id, idx, seed, human_episode_id, human_return, "
                    "agent_return, agent_actions, winner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (comparison_id, idx, int(r["seed"]), episode_id, r.get("human_return"), r.get("agent_return"),
                     json.dumps([int(a) for a in r.get("agent_actions", [])]), r.get("winner")))
        return comparison_id

    def comparisons(self, env: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Comparisons, oldest first (progress over days reads top to bottom)."""
        where, params = ("WHERE env = ?", [env]) if env else ("", [])
        rows = self._rows(f"SELECT * FROM ({self._select('comparisons')} {where} ORDER BY id DESC LIMIT ?) "
                          "ORDER BY id", [*params, int(limit)])
        return store_rows.keep(rows, store_rows.read_comparison)

    def get_comparison(self, comparison_id: int) -> dict[str, Any] | None:
        """One comparison with its rounds (each with the human episode's actions when kept); rounds that
        cannot be read are left out (``rounds_skipped``), a comparison that cannot is a one-line error."""
        rows = self._rows(f"{self._select('comparisons')} WHERE id = ?", (comparison_id,))
        if not rows:
            return None
        try:
            comparison = store_rows.read_comparison(rows[0])
        except store_rows.Malformed as exc:
            raise RltuiError(f"comparison {comparison_id} in {self.path} cannot be read: {exc}") from None
        cap = store_rows.ACTIONS_MAX
        rounds = self._rows(
            f"SELECT r.comparison_id, r.idx, r.seed, r.human_episode_id, r.human_return, r.agent_return, "
            f"r.winner, CASE WHEN length(r.agent_actions) > {cap} THEN NULL ELSE r.agent_actions END "
            f"AS agent_actions, CASE WHEN length(h.actions) > {cap} THEN NULL ELSE h.actions END AS human_actions "
            "FROM comparison_rounds r LEFT JOIN human_episodes h ON h.id = r.human_episode_id "
            "WHERE r.comparison_id = ? ORDER BY r.idx", (comparison_id,))
        kept = store_rows.keep(rounds, store_rows.read_round)
        comparison["rounds_detail"] = kept
        comparison["rounds_skipped"] = kept.skipped
        return comparison

    def get_human_episode(self, episode_id: int) -> dict[str, Any] | None:
        """One kept human episode by id (with its actions and rewards), or None (also when unreadable)."""
        rows = self._rows(f"{self._select('human_episodes', store_rows.ACTIONS_MAX)} WHERE id = ?",
                          (int(episode_id),))
        kept = store_rows.keep(rows, store_rows.read_human_episode)
        return kept[0] if kept else None

    def latest_human_episode(self, env: str, seed: int) -> dict[str, Any] | None:
        """The newest readable human episode on ``env`` and ``seed``, or None."""
        rows = self._rows(f"{self._select('human_episodes', store_rows.ACTIONS_MAX)} WHERE env = ? AND seed = ? "
                          "ORDER BY id DESC LIMIT 10", (env, int(seed)))
        kept = store_rows.keep(rows, store_rows.read_human_episode)
        return kept[0] if kept else None


def checkpoint_spec(spec: str | None, data_dir: str | None = None) -> str | None:
    """``run:N`` -> run N's checkpoint, ``run:N:best`` -> its best evaluation's; anything else (a file,
    ``sb3:…``) as given. For every command that takes a checkpoint (eval, play --agent, compare)."""
    if not spec or not spec.startswith("run:"):
        return spec
    _, _, rest = spec.partition(":")
    number, _, role = rest.partition(":")
    if not number.isdigit() or role not in ("", "best", "last"):
        raise RltuiError(f"{spec!r}: a run's checkpoint is run:N or run:N:best, e.g. run:3:best")
    with RunStore.open(data_dir) as store:
        path = store.latest_checkpoint(int(number), role=role or "last")
        if path is None:
            what = "best checkpoint (no evaluation beat -inf yet)" if role == "best" else "checkpoint"
            raise RltuiError(f"run {number} has no {what} in {store.path}" if store.get_run(int(number))
                             else f"no run {number} in {store.path}")
    return path


def _upgrade(db: sqlite3.Connection) -> None:
    """Columns added after a table's first version (CREATE TABLE IF NOT EXISTS leaves old tables as they are)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(episodes)")}
    if "wall" not in columns:
        db.execute("ALTER TABLE episodes ADD COLUMN wall REAL")
    for table, column, kind in _ADDED_COLUMNS:
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            try:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it just now
                if "duplicate column" not in str(exc):
                    raise


def _too_large(params: Sequence[Any]) -> str:
    big = next((p for p in params if isinstance(p, int) and abs(p) > 2**63 - 1), None)
    shown = f"{big}" if big is None or len(str(big)) < 30 else f"{str(big)[:27]}..."
    return f"the number {shown} is too large for the run store (ids, seeds and counts are at most 2^63-1)"


def _finite(value: Any) -> float | None:
    """NaN (no complete round) is stored as NULL."""
    if value is None:
        return None
    value = float(value)
    return None if value != value else value
