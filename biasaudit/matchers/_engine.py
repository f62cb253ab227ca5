"""The scoring engine shared by every adapter: jobs, batches, progress, cache, resume.

Each (candidate, job) pair is scored once. Batches run on worker threads (at most
``matcher.concurrency`` at once) while the main thread stores every finished batch
in the cache, so an interrupted run (Ctrl-C, a dead service) keeps everything
already answered and a rerun scores only what is left.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._io import read_table, to_narwhals
from biasaudit._validation import instance_of, validate_params
from biasaudit.matchers._base import BATCH_SIZE, FLAG, MatcherError, canonical_json, redact
from biasaudit.matchers._jobs import Job, load_jobs

__all__ = [
    "ScoreCache",
    "ScoreReport",
    "columns_key",
    "content_hashes",
    "score_candidates",
]

_NO_JOB = "-"
#: Seconds a cache writer waits for another process's write to finish.
BUSY_TIMEOUT = 120.0
_LOOKUP_CHUNK = 500
#: Seconds a run's claim on pairs it is scoring holds off other runs sharing the cache
#: (a claim of a process that has ended on this machine is void at once).
CLAIM_SECONDS = 300.0
#: Seconds between looks at the cache while another run scores pairs this one needs.
CLAIM_POLL = 0.2
_HOST = socket.gethostname()


def matcher_name(matcher: Any) -> str:
    """The matcher's ``name``, or its class name."""
    return str(getattr(matcher, "name", None) or type(matcher).__name__)


def content_hashes(candidates: pd.DataFrame) -> np.ndarray:
    """A 16-hex-digit digest of each row's values (64-bit SipHash via pandas).

    Rows with the same values get the same digest, whatever their position or
    the column order; :func:`columns_key` names the set of columns hashed.
    With a million distinct candidates the chance that two share a digest is
    about 3e-8.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2], "t": ["a", "b"]})
    >>> b = a[["t", "x"]].iloc[::-1]
    >>> list(content_hashes(a)) == list(content_hashes(b))[::-1]
    True
    """
    columns = sorted(map(str, candidates.columns))
    frame = candidates.rename(columns=str)[columns]
    if len(frame) == 0:
        return np.array([], dtype=object)
    try:
        digest = pd.util.hash_pandas_object(frame, index=False, hash_key="biasaudit-cache1")
    except TypeError:  # unhashable cells (lists, dicts): hash their text instead
        text = frame.astype(str)
        digest = pd.util.hash_pandas_object(text, index=False, hash_key="biasaudit-cache1")
    return np.array([f"{value:016x}" for value in digest.to_numpy().tolist()], dtype=object)


def columns_key(candidates: pd.DataFrame) -> str:
    """A short hash of the column names, part of every cache key."""
    columns = sorted(map(str, candidates.columns))
    return hashlib.sha256(canonical_json(columns).encode()).hexdigest()[:8]


def to_pandas(data: Any) -> pd.DataFrame:
    """A pandas DataFrame from pandas, polars, pyarrow (anything narwhals reads) or a path."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (str, Path)):
        return read_table(data)

    return to_narwhals(data).to_pandas()


def job_key(job: Job | None) -> str:
    """Job id plus a short hash of the posting, so an edited posting is rescored."""
    if job is None:
        return _NO_JOB
    digest = hashlib.sha256(canonical_json(job.to_dict()).encode()).hexdigest()[:12]
    return f"{job.id}#{digest}"


class ScoreCache:
    """An on-disk cache of scores keyed by (matcher fingerprint, job, candidate content).

    A SQLite file; every finished batch is committed at once, so a run that is
    interrupted keeps what it had scored. Several processes may share it: a
    ``claims`` table records the pairs each run is scoring (see :meth:`claim`).

    Parameters
    ----------
    path : str or Path
        A directory (the file ``scores.sqlite`` inside it is used) or a file path.

    Raises
    ------
    biasaudit.ValidationError
        When the path is a plain file (for a folder), lies inside a file, or
        is not a SQLite database with biasaudit's ``scores`` table.

    Examples
    --------
    >>> import tempfile
    >>> cache = ScoreCache(tempfile.mkdtemp())
    >>> cache.put("fp", "J1", ["c1", "c2"], [0.5, 0.25])
    >>> cache.get("fp", "J1", ["c2", "c3"])
    {'c2': 0.25}
    """

    def __init__(self, path: str | Path) -> None:
        given = str(path)
        self.path = _database_path(Path(path), given)
        self._lock = threading.Lock()
        # Dask workers share one file: SQLite's file lock serialises their writes, and a
        # writer that finds the file locked waits (up to BUSY_TIMEOUT s) instead of failing.
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _unusable(given, f"cannot be opened ({exc})") from None
        try:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS scores (fingerprint TEXT, job TEXT, candidate TEXT, "
                "score REAL, PRIMARY KEY (fingerprint, job, candidate)) WITHOUT ROWID"
            )
            # Pairs a run is scoring right now, so another run sharing the file leaves them.
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS claims (fingerprint TEXT, job TEXT, candidate TEXT, "
                "owner TEXT, host TEXT, pid INTEGER, expires REAL, "
                "PRIMARY KEY (fingerprint, job, candidate)) WITHOUT ROWID"
            )
            self._db.commit()
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(scores)")]
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _unusable(
                str(self.path), f"is not a SQLite database biasaudit can use ({exc})"
            ) from None
        if columns != ["fingerprint", "job", "candidate", "score"]:
            self._db.close()
            raise _unusable(given, f"has a 'scores' table of other columns ({columns})")

    def get(self, fingerprint: str, job: str, candidates: Sequence[str]) -> dict[str, float]:
        """Cached scores of ``candidates`` for ``job`` (absent keys are not cached)."""
        wanted = list(dict.fromkeys(candidates))
        found: dict[str, float] = {}
        key = (fingerprint, job)
        with self._lock:
            stored = self._db.execute(
                "SELECT COUNT(*) FROM scores WHERE fingerprint = ? AND job = ?", key
            ).fetchone()[0]
            if stored <= 4 * len(wanted):  # most of the job is asked for: one scan
                rows = self._db.execute(
                    "SELECT candidate, score FROM scores WHERE fingerprint = ? AND job = ?", key
                ).fetchall()
                asked = set(wanted)
                return {c: s for c, s in rows if c in asked}
            # A small part of a large cache (a Dask partition's rows): primary-key lookups,
            # so the cost follows the candidates asked for, not the size of the cache.
            for start in range(0, len(wanted), _LOOKUP_CHUNK):
                chunk = wanted[start : start + _LOOKUP_CHUNK]
                marks = ", ".join("?" * len(chunk))
                found.update(
                    self._db.execute(
                        "SELECT candidate, score FROM scores WHERE fingerprint = ? AND job = ? "
                        f"AND candidate IN ({marks})",
                        (fingerprint, job, *chunk),
                    ).fetchall()
                )
        return found

    def put(
        self, fingerprint: str, job: str, candidates: Sequence[str], scores: Sequence[float]
    ) -> None:
        """Store scores (one transaction)."""
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?)",
                [(fingerprint, job, c, float(s)) for c, s in zip(candidates, scores)],
            )

    def claim(
        self, fingerprint: str, job: str, candidates: Sequence[str], owner: str
    ) -> tuple[dict[str, float], set[str]]:
        """Look up ``candidates`` again and claim those nobody has scored or is scoring.

        One transaction, so two runs sharing the file never claim the same
        candidate. Returns the cached scores and the candidates another live
        run has claimed; every other candidate is now claimed by ``owner``
        for :data:`CLAIM_SECONDS` (or until :meth:`release`).
        """
        wanted = list(dict.fromkeys(candidates))
        found: dict[str, float] = {}
        taken: set[str] = set()
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for start in range(0, len(wanted), _LOOKUP_CHUNK):
                    chunk = wanted[start : start + _LOOKUP_CHUNK]
                    marks = ", ".join("?" * len(chunk))
                    where = f"fingerprint = ? AND job = ? AND candidate IN ({marks})"
                    found.update(
                        self._db.execute(
                            f"SELECT candidate, score FROM scores WHERE {where}",
                            (fingerprint, job, *chunk),
                        ).fetchall()
                    )
                    for candidate, other, host, pid, expires in self._db.execute(
                        f"SELECT candidate, owner, host, pid, expires FROM claims WHERE {where}",
                        (fingerprint, job, *chunk),
                    ).fetchall():
                        if other != owner and expires > now and _alive(host, pid):
                            taken.add(candidate)
                free = [c for c in wanted if c not in found and c not in taken]
                self._db.executemany(
                    "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (fingerprint, job, c, owner, _HOST, os.getpid(), now + CLAIM_SECONDS)
                        for c in free
                    ],
                )
                self._db.commit()
            except BaseException:
                self._db.rollback()
                raise
        return found, taken

    def release(self, owner: str) -> None:
        """Drop every claim of ``owner`` (its calls have ended: scored, failed or stopped)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __repr__(self) -> str:
        return f"ScoreCache({str(self.path)!r})"


def _database_path(path: Path, given: str) -> Path:
    """The SQLite file of a cache path (a folder gets ``scores.sqlite``); made if absent."""
    try:
        if path.suffix not in (".sqlite", ".db", ".sqlite3"):
            if path.exists() and not path.is_dir():
                raise _unusable(given, "is a file, not a folder")
            path.mkdir(parents=True, exist_ok=True)
            return path / "scores.sqlite"
        if path.is_dir():
            raise _unusable(given, "is a folder, not a .sqlite file")
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _unusable(given, "lies inside a file, not a folder") from None
    except OSError as exc:
        raise _unusable(given, f"cannot be created ({exc.strerror or exc})") from None
    return path


def _unusable(path: str, problem: str) -> E.ValidationError:
    return E.ValidationError(E.CACHE_NOT_USABLE.format(path=path, problem=problem))


def _alive(host: str, pid: int) -> bool:
    """Whether the process that made a claim may still be running (unknown: yes)."""
    if host != _HOST or os.name != "posix":
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


@dataclass(frozen=True)
class ScoreReport:
    """Scores of (candidate, job) pairs and how they were obtained.

    ``scores[i]`` belongs to row ``rows[i]`` of the candidates and job
    ``jobs[i]``; it is NaN where the matcher could not score the pair.
    """

    scores: np.ndarray
    rows: np.ndarray
    jobs: tuple[str | None, ...]
    matcher: str
    fingerprint: str
    n_scored: int
    n_cached: int
    failures: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def n_failed(self) -> int:
        """Pairs without a score."""
        return int(np.isnan(self.scores).sum())

    def raise_for_failures(self) -> None:
        """Raise :class:`MatcherError` when any pair has no score."""
        failed = np.isnan(self.scores)
        if failed.any():
            reasons = self.failures or {"no score returned": int(failed.sum())}
            raise MatcherError(
                E.MATCHER_FAILED_ROWS.format(
                    matcher=self.matcher,
                    count=int(failed.sum()),
                    total=len(self.scores),
                    rows=self.rows[failed][:5].tolist(),
                    reasons=dict(reasons),
                )
            )

    def to_frame(self) -> pd.DataFrame:
        """One row per (candidate, job) pair: ``row``, ``job``, ``score``.

        Examples
        --------
        >>> from biasaudit.matchers import CallableMatcher
        >>> m = CallableMatcher(lambda c, job: c["years"] / 10)
        >>> score_candidates(m, pd.DataFrame({"years": [3, 7]})).to_frame()
           row   job  score
        0    0  None    0.3
        1    1  None    0.7
        """
        return pd.DataFrame(
            {"row": self.rows, "job": pd.Series(self.jobs, dtype=object), "score": self.scores}
        )

    def describe(self) -> dict[str, Any]:
        """Counts for the provenance."""
        return {
            "pairs": len(self.scores),
            "scored": self.n_scored,
            "from_cache": self.n_cached,
            "failed": self.n_failed,
        }


@dataclass
class _Task:
    pairs: np.ndarray
    frame: pd.DataFrame
    job: Job | None


def check_job_ids(column: str, values: Iterable[str | None], known: list[str]) -> None:
    """Refuse job-column values (as text; None for a missing one) without a posting.

    Shared by the in-memory engine and Dask scoring, which checks the pool's
    distinct values once before any partition is scored.
    """
    ids = set(known)
    missing = sorted({str(v) for v in values if v is None or str(v) not in ids})
    if missing:
        raise E.ValidationError(
            E.JOBS_NOT_FOUND.format(column=column, missing=missing[:10], known=known[:10])
        )


def _resolve_jobs(
    matcher: Any, candidates: pd.DataFrame, jobs: Any, job_column: str | None, cross: bool
) -> tuple[list[Job | None], np.ndarray | None]:
    """The job list and, per row, the index of its job (None: every row x every job)."""
    name = matcher_name(matcher)
    job_list: list[Job | None] = list(load_jobs(jobs)) if jobs is not None else []
    if not job_list and getattr(matcher, "needs_job", False):
        raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher=name))
    if job_column is not None and not cross:
        if job_column not in candidates.columns:
            raise E.ValidationError(
                E.MISSING_COLUMN.format(
                    column=job_column, present=list(candidates.columns), role="job"
                )
            )
        values = candidates[job_column].astype(object).where(candidates[job_column].notna(), None)
        labels = np.array([None if v is None else str(v) for v in values], dtype=object)
        if not job_list:  # job-independent matchers: a bare Job per id
            job_list = [Job(v) for v in dict.fromkeys(x for x in labels if x is not None)]
        index = {j.id: i for i, j in enumerate(job_list) if j is not None}
        check_job_ids(job_column, labels, list(index))
        return job_list, np.array([index[v] for v in labels], dtype=np.int64)
    if not job_list:
        return [None], np.zeros(len(candidates), dtype=np.int64)
    if len(job_list) > 1 and not cross:
        raise E.ValidationError(E.MANY_JOBS_NEED_COLUMN.format(count=len(job_list)))
    if len(job_list) == 1:
        return job_list, np.zeros(len(candidates), dtype=np.int64)
    return job_list, None


def _tasks(
    candidates: pd.DataFrame,
    job_list: list[Job | None],
    row_job: np.ndarray | None,
    todo: np.ndarray,
    batch: int,
) -> Iterator[_Task]:
    """Batches of pairs still to score; in cross mode every job reuses the same frame."""
    n = len(candidates)
    if row_job is None:  # cross: chunk-major, so a matcher can reuse work across jobs
        for start in range(0, n, batch):
            rows = np.arange(start, min(start + batch, n))
            whole = candidates.iloc[start : start + batch]
            for j, job in enumerate(job_list):
                pairs = j * n + rows
                need = todo[pairs]
                if need.any():
                    frame = whole if need.all() else candidates.iloc[rows[need]]
                    yield _Task(pairs[need], frame, job)
        return
    for j, job in enumerate(job_list):
        rows = np.flatnonzero((row_job == j) & todo)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            yield _Task(chunk, candidates.iloc[chunk], job)


def _claimed(tasks: Iterable[_Task], claim: Any) -> Iterator[_Task]:
    """Each task cut to the pairs ``claim`` leaves this run (nothing if none are left)."""
    for task in tasks:
        mine = claim(task)
        if mine.all():
            yield task
        elif mine.any():
            yield _Task(task.pairs[mine], task.frame.iloc[np.flatnonzero(mine)], task.job)


def _check(output: Any, task: _Task, name: str) -> np.ndarray:
    job_id = task.job.id if task.job is not None else None
    try:
        values = np.asarray(output, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise MatcherError(
            E.MATCHER_BAD_OUTPUT.format(
                matcher=name, problem=f"non-numeric output ({exc})", job=job_id
            )
        ) from exc
    if values.shape[0] != len(task.frame) or np.ndim(output) > 2:
        raise MatcherError(
            E.MATCHER_BAD_OUTPUT.format(
                matcher=name,
                problem=f"{values.shape[0]} scores for {len(task.frame)} candidates",
                job=job_id,
            )
        )
    if np.isinf(values).any():
        raise MatcherError(
            E.MATCHER_BAD_OUTPUT.format(matcher=name, problem="infinite scores", job=job_id)
        )
    return values


def _progress_bar(
    progress: bool | None, quiet: bool, total: int, name: str, unit: str = "pair"
) -> Any:
    """A tqdm bar (terminal or notebook widget), or None when it should stay quiet."""
    if quiet:
        return None
    show = progress if progress is not None else sys.stderr.isatty() or "ipykernel" in sys.modules
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"scoring ({name})", unit=unit)


@validate_params(
    {
        "cross": FLAG,
        "batch_size": [None, *BATCH_SIZE],
        "quiet": FLAG,
        "progress": [None, instance_of(bool)],
    }
)
def score_candidates(
    matcher: Any,
    candidates: pd.DataFrame,
    jobs: Any = None,
    *,
    job_column: str | None = None,
    cross: bool = False,
    batch_size: int | None = None,
    cache: str | Path | ScoreCache | None = None,
    quiet: bool = False,
    progress: bool | None = None,
) -> ScoreReport:
    """Score every (candidate, job) pair with a matcher: batched, cached, resumable.

    Parameters
    ----------
    matcher : Matcher
        Anything with ``score(candidates, job)`` and ``fingerprint``.
    candidates : pandas.DataFrame
        The candidates; never modified. The matcher sees every column.
    jobs : Job, list, str or Path, optional
        The postings (see :func:`load_jobs`).
    job_column : str, optional
        Column naming each candidate's job: each row is scored for its own job.
    cross : bool
        Score every candidate for every job (pairs are job-major).
    batch_size : int, optional
        Rows per call; defaults to ``matcher.batch_size``.
    cache : str, Path or ScoreCache, optional
        Where scores are kept between runs; a rerun scores only new pairs. Runs
        sharing one cache at the same time score each pair once: each batch is
        looked up again and claimed just before it is sent, and pairs another
        run is scoring are taken from the cache when its scores land (a claim
        lapses when its process ends, or after :data:`CLAIM_SECONDS`).
    quiet : bool
        No progress bar.
    progress : bool, optional
        Force the progress bar on or off (default: shown on a terminal or in Jupyter).

    Returns
    -------
    ScoreReport
        NaN marks pairs the matcher could not score (see ``raise_for_failures``).

    Examples
    --------
    >>> from biasaudit.matchers import CallableMatcher
    >>> m = CallableMatcher(lambda c, job: c["years"] / 10)
    >>> score_candidates(m, pd.DataFrame({"years": [3, 7]})).scores
    array([0.3, 0.7])
    """
    started = time.perf_counter()
    candidates = to_pandas(candidates)
    name = matcher_name(matcher)
    fingerprint = str(matcher.fingerprint)
    job_list, row_job = _resolve_jobs(matcher, candidates, jobs, job_column, cross)
    n = len(candidates)
    n_pairs = n * len(job_list) if row_job is None else n
    scores = np.full(n_pairs, np.nan)
    keys = [f"{job_key(j)}|{columns_key(candidates)}" for j in job_list]
    store = ScoreCache(cache) if isinstance(cache, (str, Path)) else cache
    hashes = content_hashes(candidates) if store is not None and n else None
    pair_rows = np.tile(np.arange(n), len(job_list)) if row_job is None else np.arange(n)
    pair_jobs = np.repeat(np.arange(len(job_list)), n) if row_job is None else row_job
    if store is not None and n:
        assert hashes is not None  # computed whenever there is a store and rows
        for j, key in enumerate(keys):  # resume: what an earlier run scored is not redone
            sel = np.flatnonzero(pair_jobs == j)
            found = store.get(fingerprint, key, hashes[pair_rows[sel]].tolist())
            if found:
                scores[sel] = [found.get(h, np.nan) for h in hashes[pair_rows[sel]]]
    cached = ~np.isnan(scores)
    batch = int(batch_size or getattr(matcher, "batch_size", None) or max(n, 1))
    workers = max(1, int(getattr(matcher, "concurrency", 1) or 1))
    bar = _progress_bar(progress, quiet, int((~cached).sum()), name)
    owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex}"
    elsewhere = np.zeros(n_pairs, dtype=bool)  # claimed by another run sharing the cache

    def record(task: _Task, values: np.ndarray) -> None:
        scores[task.pairs] = values
        ok = ~np.isnan(values)
        if store is not None and ok.any():
            assert hashes is not None  # computed whenever there is a store and rows
            j = pair_jobs[task.pairs[0]]
            store.put(fingerprint, keys[j], hashes[pair_rows[task.pairs[ok]]].tolist(), values[ok])
        if bar is not None:
            bar.update(len(task.pairs))

    def claim(task: _Task) -> np.ndarray:
        """Just before a batch is sent: which of its pairs this run should score."""
        assert store is not None and hashes is not None
        digests = hashes[pair_rows[task.pairs]]
        key = keys[pair_jobs[task.pairs[0]]]
        found, taken = store.claim(fingerprint, key, digests.tolist(), owner)
        done = np.array([h in found for h in digests], dtype=bool)
        if done.any():  # another run scored them meanwhile
            scores[task.pairs[done]] = [found[h] for h in digests[done]]
            cached[task.pairs[done]] = True
            if bar is not None:
                bar.update(int(done.sum()))
        busy = np.array([h in taken for h in digests], dtype=bool)
        elsewhere[task.pairs[busy]] = True
        return ~done & ~busy

    todo = ~cached
    try:
        while True:
            tasks = _tasks(candidates, job_list, row_job, todo, batch)
            if store is not None and n:
                tasks = _claimed(tasks, claim)
            _run(matcher, tasks, workers, record, name)
            if store is None or not n:
                break
            store.release(owner)  # nothing in flight: scored, failed or never sent
            todo = elsewhere & np.isnan(scores)
            if not todo.any():
                break
            elsewhere[:] = False
            time.sleep(CLAIM_POLL)  # another run is scoring them: take its scores, or
            # take the pairs over once its claim lapses (it ended, or CLAIM_SECONDS passed)
    finally:
        if bar is not None:
            bar.close()
        if store is not None and n:
            store.release(owner)
        if store is not None and store is not cache:
            store.close()
    failed = int(np.isnan(scores).sum())
    reasons = getattr(matcher, "failure_reasons", None)
    failures: Counter[str] = Counter()
    if failed:
        failures.update(reasons() if callable(reasons) else {"no score (NaN)": failed})
    job_ids = [None if job is None else job.id for job in job_list]
    return ScoreReport(
        scores=scores,
        rows=pair_rows,
        jobs=tuple(job_ids[j] for j in pair_jobs) if n_pairs else (),
        matcher=name,
        fingerprint=fingerprint,
        n_scored=int((~cached).sum()) - failed,
        n_cached=int(cached.sum()),
        failures=dict(failures),
        seconds=time.perf_counter() - started,
    )


#: How long a failed or interrupted run waits for the matcher calls in flight.
DRAIN_SECONDS = 60.0


def _run(matcher: Any, tasks: Iterator[_Task], workers: int, record: Any, name: str) -> None:
    """Run tasks on ``workers`` threads; on any interruption keep what finished."""

    def call(task: _Task) -> np.ndarray:
        try:
            output = matcher.score(task.frame, task.job)
        except E.BiasAuditError:
            raise
        except Exception as exc:  # a matcher's own bug or a library error: say whose
            job = task.job.id if task.job is not None else None
            secrets = getattr(matcher, "secrets", None)
            error = redact(f"{type(exc).__name__}: {exc}", secrets() if callable(secrets) else ())
            raise MatcherError(
                E.MATCHER_CRASHED.format(matcher=name, job=job, error=error)
            ) from exc
        return _check(output, task, name)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="biasaudit-score")
    running: dict[Future, _Task] = {}
    try:
        for task in tasks:
            while len(running) >= workers:
                _collect(running, record, block=True)
            running[pool.submit(call, task)] = task
        while running:
            _collect(running, record, block=True)
    except BaseException:
        # Interrupted or failed: let the calls in flight finish and keep every answer
        # the matcher already gave, so a rerun does not pay for it twice.
        pool.shutdown(wait=False, cancel_futures=True)
        # A call that never started is cancelled here; waiting on it would never end
        # (a future cancelled by shutdown is never marked done for wait()). The calls
        # in flight get a bounded time to finish.
        in_flight = [future for future in running if not future.cancel()]
        try:
            wait(in_flight, timeout=DRAIN_SECONDS)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, keep what is done
            pass
        finally:
            for future, task in list(running.items()):
                if future.done() and not future.cancelled() and future.exception() is None:
                    record(task, future.result())
        raise
    pool.shutdown(wait=True)


def _collect(running: dict[Future, _Task], record: Any, block: bool) -> None:
    done, _ = wait(list(running), timeout=0.2 if block else 0, return_when=FIRST_COMPLETED)
    for future in done:
        task = running[future]
        error = future.exception()
        if error is not None:
            del running[future]
            raise error
        record(task, future.result())  # idempotent: an interrupted record is redone
        del running[future]
