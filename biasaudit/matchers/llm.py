"""The ``llm`` adapter: an OpenAI-compatible chat model asked to score or rank candidates."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, Options, validate_params
from biasaudit.matchers._base import (
    BATCH_SIZE,
    FLAG,
    SERVICE_CONSTRAINTS,
    BaseMatcher,
    MatcherError,
    as_list,
    redact,
    require_columns,
)
from biasaudit.matchers._jobs import Job
from biasaudit.matchers.http import HttpMatcher

__all__ = ["LLMMatcher", "parse_ranking", "parse_score"]

SCORE_SYSTEM = (
    "You screen job applicants. Rate how well the candidate matches the job on a scale "
    "from 0 to 100. Answer with the number only."
)
SCORE_PROMPT = "Job: {job_title}\n{job_text}\n\nCandidate:\n{candidate}\n\nScore (0-100):"
RANK_SYSTEM = (
    "You screen job applicants. Rank the numbered candidates from best to worst match for "
    "the job. Answer with the candidate numbers only, best first, separated by commas."
)
RANK_PROMPT = "Job: {job_title}\n{job_text}\n\nCandidates:\n{candidates}\n\nRanking:"
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_OUT_OF = re.compile(r"\s*/\s*(?:10|100)\b|\s+out of\s+(?:10|100)\b", re.IGNORECASE)


def parse_score(text: str, low: float = 0.0, high: float = 100.0) -> float | None:
    """The one number in an answer, if it lies in ``[low, high]``; else ``None``.

    A ``/100`` or ``out of 100`` after the number is allowed; an answer with no
    number, with several (``"60 or 70"``) or out of range is unparseable.

    Examples
    --------
    >>> parse_score("Score: 85/100"), parse_score("72."), parse_score('{"score": 40}')
    (85.0, 72.0, 40.0)
    >>> parse_score("between 60 and 70") is None, parse_score("I cannot rate this.") is None
    (True, True)
    """
    cleaned = _OUT_OF.sub("", text or "")
    numbers = _NUMBER.findall(cleaned)
    if len(numbers) != 1:
        return None
    value = float(numbers[0])
    return value if low <= value <= high else None


def parse_ranking(text: str, k: int) -> list[int] | None:
    """The order of candidates 1..k in an answer, or ``None`` if it is not a permutation.

    Examples
    --------
    >>> parse_ranking("3, 1, 2", 3)
    [3, 1, 2]
    >>> parse_ranking("Candidate 2 is best, then 1", 3) is None
    True
    """
    numbers = [int(n) for n in re.findall(r"\d+", text or "")]
    return numbers if sorted(numbers) == list(range(1, k + 1)) else None


class LLMMatcher(BaseMatcher):
    """An OpenAI-compatible chat-completions model asked to score or rank candidates.

    ``mode="score"`` asks for a 0-100 score per candidate (one request per
    candidate and repeat); ``mode="rank"`` asks the model to order a shortlist
    of ``batch_size`` candidates and scores each by its position (best 1,
    worst 0). Answers are parsed strictly: an answer that is not one number in
    range, or not a permutation of the shortlist, is counted as an error and
    never turned into a score. A candidate's score is the mean over its
    parseable repeats; one with none is left unscored (the audit then stops
    with the count, and a rerun with a cache retries only those).

    ``repeats`` > 1 asks again with the shortlist in a different random order
    each time (``shuffle=True``), which averages out position bias, the
    tendency to favour whoever is listed first.

    Parameters
    ----------
    base_url : str
        E.g. ``"http://127.0.0.1:8000/v1"``; requests go to ``base_url + "/chat/completions"``.
    model : str
        Model name sent with each request.
    mode : {"score", "rank"}
        Score candidates one at a time, or rank shortlists.
    text_column : str, optional
        Column with the resume text; otherwise ``fields`` are listed as ``key: value``.
    fields : list of str, optional
        Columns shown to the model when there is no ``text_column``.
    prompt, system : str, optional
        Templates; the prompt may use ``{job_title}``, ``{job_text}``, ``{job_id}``
        and ``{candidate}`` (score mode) or ``{candidates}`` (rank mode).
    repeats : int
        Requests per candidate (score) or per shortlist (rank).
    shuffle : bool
        Shuffle the shortlist on each repeat (rank mode).
    temperature : float
        Sampling temperature, passed through.
    seed : int, optional
        Passed through (``seed + repeat``), and seeds the shuffles.
    max_tokens : int
        Longest answer.
    token_env : str, optional
        Environment variable with the API key (never stored or written anywhere;
        masked wherever an answer that echoes it is quoted).
    timeout : float
        Seconds each request may take in all (a total deadline, not a per-read
        limit, as for the ``http`` adapter).
    retries, backoff : int, float
        As for the ``http`` adapter: 429 and 5xx answers, timeouts and
        connections closed mid-answer are retried.
    concurrency, batch_size
        As for the ``http`` adapter; ``batch_size`` is the shortlist size in rank mode.

    Examples
    --------
    >>> m = LLMMatcher("http://127.0.0.1:9/v1", model="tiny", text_column="resume_text")
    >>> m.fingerprint.startswith("llm:1:")
    True
    """

    name = "llm"
    version = "1"
    needs_job = True

    @validate_params(
        {
            **SERVICE_CONSTRAINTS,
            "mode": [Options(str, ("score", "rank"), fix="Pass mode='score' or mode='rank'.")],
            "repeats": [
                Interval(Integral, 1, None, fix="Pass repeats=3 to average out position bias.")
            ],
            "shuffle": FLAG,
            "temperature": [Interval(Real, 0, None, fix="Pass e.g. temperature=0.")],
            "seed": [None, Interval(Integral, None, None)],
            "max_tokens": [Interval(Integral, 1, None, fix="Pass e.g. max_tokens=32.")],
            "batch_size": [None, *BATCH_SIZE],
        }
    )
    def __init__(
        self,
        base_url: str,
        *,
        model: str,
        mode: str = "score",
        text_column: str | None = "resume_text",
        fields: Sequence[str] | str | None = None,
        prompt: str | None = None,
        system: str | None = None,
        repeats: int = 1,
        shuffle: bool = True,
        temperature: float = 0.0,
        seed: int | None = None,
        max_tokens: int = 32,
        token_env: str | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        concurrency: int = 4,
        batch_size: int | None = None,
    ) -> None:
        url = str(base_url).rstrip("/") + "/chat/completions"
        self._http = HttpMatcher(
            url, token_env=token_env, timeout=timeout, retries=retries, backoff=backoff
        )
        self.base_url = str(base_url)
        self.model = model
        self.mode = mode
        self.text_column = text_column
        self.fields = as_list(fields) or None
        self.prompt = prompt or (SCORE_PROMPT if mode == "score" else RANK_PROMPT)
        self.system = system or (SCORE_SYSTEM if mode == "score" else RANK_SYSTEM)
        self.repeats = repeats
        self.shuffle = bool(shuffle)
        self.temperature = float(temperature)
        self.seed = seed
        self.max_tokens = int(max_tokens)
        self.concurrency = int(concurrency)
        self.batch_size = int(batch_size or (8 if mode == "score" else 10))
        # In rank mode a score is relative to the shortlist it was ranked in.
        self.deterministic = mode == "score" and (self.temperature == 0 or seed is not None)
        self._lock = threading.Lock()
        self._errors: Counter[str] = Counter()
        self.stats = {"requests": 0, "answers": 0, "unparseable": 0}

    def params(self) -> dict[str, Any]:
        """Model, mode, prompts and sampling settings (never the API key)."""
        return {
            "base_url": redact(self.base_url),
            "model": self.model,
            "mode": self.mode,
            "text_column": self.text_column,
            "fields": self.fields,
            "prompt": self.prompt,
            "system": self.system,
            "repeats": self.repeats,
            "shuffle": self.shuffle,
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": self.max_tokens,
            "shortlist": self.batch_size if self.mode == "rank" else None,
        }

    def failure_reasons(self) -> dict[str, int]:
        """Counts of the errors met so far (unparseable answers, by example)."""
        with self._lock:
            return dict(self._errors)

    # -- prompts ------------------------------------------------------------------
    def _candidate_texts(self, candidates: pd.DataFrame) -> list[str]:
        if self.text_column is not None and self.text_column in candidates.columns:
            column = candidates[self.text_column]
            return column.astype(object).where(column.notna(), "").astype(str).tolist()
        if self.fields is None:
            require_columns(candidates, [self.text_column or "text_column"], "llm", "text_column")
        assert self.fields is not None  # without fields the text column is required (above)
        require_columns(candidates, self.fields, "llm", "fields")
        return [
            "\n".join(f"{k}: {v}" for k, v in row.items())
            for row in candidates[self.fields].to_dict("records")
        ]

    def _ask(self, user: str, repeat: int, job: str | None = None) -> str | None:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": self.system},
                {"role": "user", "content": user},
            ],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.seed is not None:
            body["seed"] = self.seed + repeat
        with self._lock:
            self.stats["requests"] += 1
        raw = self._http.post(json.dumps(body).encode(), job)
        try:
            answer = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise MatcherError(
                E.HTTP_BAD_RESPONSE.format(
                    url=self._http.redact(self._http.url),
                    problem="not a chat-completions answer (choices[0].message.content)",
                    body=self._http.quote(raw),
                )
            ) from None
        with self._lock:
            self.stats["answers"] += 1
        return answer if isinstance(answer, str) else None

    def _unparseable(self, answer: str | None) -> None:
        shown = (answer or "").strip().replace("\n", " ")[:40]
        with self._lock:
            self.stats["unparseable"] += 1
            self._errors[f"unparseable answer, e.g. {shown!r}"] += 1

    def _job_fields(self, job: Job | None) -> dict[str, str]:
        if job is None:
            raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher="llm"))
        return {"job_title": job.title, "job_text": job.text, "job_id": job.id}

    # -- scoring ------------------------------------------------------------------
    def _score_one(self, text: str, job: dict[str, str]) -> float:
        values = []
        for r in range(self.repeats):
            answer = self._ask(self.prompt.format(candidate=text, **job), r, job["job_id"])
            value = parse_score(answer or "")
            if value is None:
                self._unparseable(answer)
            else:
                values.append(value / 100.0)
        return float(np.mean(values)) if values else np.nan

    def _rank(self, texts: list[str], job: dict[str, str]) -> np.ndarray:
        k = len(texts)
        sums, counts = np.zeros(k), np.zeros(k)
        digest = hashlib.sha256("\0".join(texts).encode()).digest()
        rng = np.random.default_rng([int.from_bytes(digest[:8], "little"), self.seed or 0])
        for r in range(self.repeats):
            order = rng.permutation(k) if self.shuffle else np.arange(k)
            listing = "\n\n".join(f"[{i + 1}]\n{texts[c]}" for i, c in enumerate(order))
            answer = self._ask(self.prompt.format(candidates=listing, **job), r, job["job_id"])
            ranking = parse_ranking(answer or "", k)
            if ranking is None:
                self._unparseable(answer)
                continue
            for position, label in enumerate(ranking):
                sums[order[label - 1]] += 1.0 - position / (k - 1) if k > 1 else 1.0
            counts += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Scores in [0, 1]; NaN where no answer could be parsed."""
        fields = self._job_fields(job)
        if len(candidates) == 0:
            return np.zeros(0)
        texts = self._candidate_texts(candidates)
        if self.mode == "rank":
            return self._rank(texts, fields)
        return np.array([self._score_one(t, fields) for t in texts], dtype=np.float64)
