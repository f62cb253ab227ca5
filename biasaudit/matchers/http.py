"""The ``http`` adapter: POST candidate batches to a scoring service as JSON.

Standard library only (``urllib``); concurrency comes from the scoring engine,
which keeps at most ``concurrency`` requests in flight.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import io
import json
import math
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import Interval, validate_params
from biasaudit._version import __version__
from biasaudit.matchers._base import (
    BATCH_SIZE,
    SERVICE_CONSTRAINTS,
    BaseMatcher,
    MatcherError,
    as_list,
    redact,
    require_columns,
)
from biasaudit.matchers._jobs import Job

__all__ = ["HttpMatcher", "retry_after_seconds"]

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
#: Bytes of an error answer read to quote its start (redaction needs more than is shown).
_QUOTED_READ = 65536
#: A connection that broke once made (a refused one is named as it is).
_BROKEN = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
#: Answers refusing the credentials: their body may echo the token, so it is never quoted.
_AUTH_STATUS = frozenset({401, 403, 407})


def _remaining(deadline: float) -> float:
    """Seconds left before ``deadline`` (a ``time.monotonic()`` value); TimeoutError if none."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the request's deadline passed")
    return left


class _DeadlineReader(io.RawIOBase):
    """A response's byte stream whose every read waits at most until the deadline.

    A socket timeout bounds one read only: a server trickling a byte a second
    would never trip it. Setting the timeout to the time left before each read
    bounds the whole answer (status line, headers and body).
    """

    def __init__(self, sock: Any, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(_remaining(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineSocket:
    """What an ``HTTPResponse`` reads from: the socket, through a deadline-bound file."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


class _DeadlineConnection(http.client.HTTPConnection):
    """An HTTP connection that connects, sends and reads within one deadline."""

    def __init__(self, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        self.timeout = _remaining(self._deadline)
        super().connect()

    def send(self, data: Any) -> None:
        if self.sock is not None:
            self.sock.settimeout(_remaining(self._deadline))
        super().send(data)

    def response_class(self, sock: Any, *args: Any, **kwargs: Any) -> http.client.HTTPResponse:  # type: ignore[override]
        return http.client.HTTPResponse(_DeadlineSocket(sock, self._deadline), *args, **kwargs)  # type: ignore[arg-type]


class _DeadlineHTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    """The same over TLS (the handshake, too, is bounded by the deadline)."""


class _DeadlineHandler(urllib.request.BaseHandler):
    """Opens connections of ``connection`` bound to one deadline."""

    connection: type[_DeadlineConnection]

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self._deadline = deadline

    def _connection(self) -> Any:
        return functools.partial(self.connection, deadline=self._deadline)


class _DeadlineHTTPHandler(_DeadlineHandler, urllib.request.HTTPHandler):
    connection = _DeadlineConnection

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection(), req)


class _DeadlineHTTPSHandler(_DeadlineHandler, urllib.request.HTTPSHandler):
    connection = _DeadlineHTTPSConnection

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection(), req, context=self._context)  # type: ignore[attr-defined]


def fetch_within(request: urllib.request.Request, seconds: float) -> bytes:
    """The body of the answer to ``request``, or TimeoutError after ``seconds`` in all.

    Connecting, sending, the status line, the headers and the body share one
    deadline, so a server that answers a byte at a time cannot hold the call
    much longer than ``seconds`` (name resolution is not bounded).
    """
    deadline = time.monotonic() + seconds
    opener = urllib.request.build_opener(
        _DeadlineHTTPHandler(deadline), _DeadlineHTTPSHandler(deadline)
    )
    with opener.open(request, timeout=seconds) as answer:
        return answer.read()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date).

    Examples
    --------
    >>> retry_after_seconds("2")
    2.0
    >>> retry_after_seconds("soon") is None
    True
    """
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _describe(exc: BaseException | str) -> str:
    """``Type: text`` of an exception, without repeating a type its text already names."""
    if isinstance(exc, str):
        return exc
    name, text = type(exc).__name__, str(exc)
    if not text:
        return name
    return text if text.startswith(name) else f"{name}: {text}"


def _dig(body: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        if not isinstance(body, Mapping) or part not in body:
            raise KeyError(part)
        body = body[part]
    return body


class HttpMatcher(BaseMatcher):
    """A scoring service behind HTTP: candidates go out in JSON batches, scores come back.

    Each request is ``POST url`` with the body
    ``{"job": {...posting...}, "candidates": [{"id": ..., column: value, ...}, ...]}``
    and the service answers ``{"scores": [0.7, 0.1, ...]}`` in the same order
    (or ``[{"id": ..., "score": ...}, ...]``, matched by id). The key names are
    options. 429 and 5xx answers, timeouts and connections dropped or closed
    mid-answer are retried with exponential backoff, honouring ``Retry-After``;
    a malformed answer is an error at once (retrying would not fix it).
    ``timeout`` is a total per-request deadline. Secrets (the token, header
    values, credentials or key-like parameters in the URL) never appear in the
    provenance or in a message: an answer refusing the credentials is not
    quoted, and other quoted answers are redacted.

    Parameters
    ----------
    url : str
        The scoring endpoint.
    fields : list of str, str or mapping, optional
        Columns sent for each candidate (default: every column the engine
        passes); a mapping ``{column: name in the request}`` renames them, e.g.
        ``{"resume_text": "resume", "years_experience": "yoe"}``.
    id_column : str, optional
        Column sent as each candidate's ``id`` (default: the position in the batch).
    token_env : str, optional
        Name of an environment variable holding a bearer token. The token is read
        when a request is sent and is never stored, logged, cached or reported.
    headers : mapping, optional
        Extra request headers; their values are treated as secrets (never
        recorded, and masked in messages and quoted answers).
    timeout : float
        Seconds each attempt may take in all: connecting, sending and reading
        the whole answer share this one deadline, so a service that trickles
        its answer cannot hold a request longer (a per-read socket timeout
        alone would not stop it). An attempt past the deadline is retried like
        a 5xx answer.
    retries : int
        Extra attempts after a retryable failure: 408, 425, 429 and 5xx
        answers, timeouts, refused connections and connections closed
        mid-answer (a reset, an incomplete body, a garbled status line).
    backoff, max_backoff : float
        First wait and longest wait between attempts, in seconds.
    batch_size : int
        Candidates per request.
    concurrency : int
        Requests in flight at once.
    model_version : str, optional
        The service's model version: the service can change behind the same URL,
        so name it to key cached scores and the provenance to the model.
    request_candidates, request_job, response_scores : str
        Key of the candidates and of the job in the request; dotted path of the
        scores in the answer.

    Examples
    --------
    >>> m = HttpMatcher("http://127.0.0.1:8000/score", fields="resume_text", model_version="v3")
    >>> m.fingerprint.startswith("http:1:")
    True
    """

    name = "http"
    version = "1"

    @validate_params(
        {
            **SERVICE_CONSTRAINTS,
            "max_backoff": [Interval(Real, 0, None, fix="Pass e.g. max_backoff=30 (seconds).")],
            "batch_size": BATCH_SIZE,
        }
    )
    def __init__(
        self,
        url: str,
        *,
        fields: Sequence[str] | str | None = None,
        id_column: str | None = None,
        token_env: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        batch_size: int = 32,
        concurrency: int = 4,
        model_version: str | None = None,
        request_candidates: str = "candidates",
        request_job: str = "job",
        response_scores: str = "scores",
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise E.ValidationError(
                E.BAD_PARAMETER.format(
                    name="url",
                    expected="an http:// or https:// URL",
                    value=redact(str(url)),
                    fix="Pass url='https://scoring.example/score'.",
                )
            )
        if token_env is not None and token_env not in os.environ:
            raise E.ValidationError(E.MISSING_TOKEN.format(env=token_env))
        self.url = url
        if isinstance(fields, Mapping):
            self.fields: list[str] | None = [str(k) for k in fields] or None
            self.rename: dict[str, str] = {str(k): str(v) for k, v in fields.items()}
        else:
            self.fields, self.rename = as_list(fields) or None, {}
        self.id_column = id_column
        self.token_env = token_env
        self.headers = dict(headers or {})
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.batch_size = int(batch_size)
        self.concurrency = int(concurrency)
        self.model_version = model_version
        self.request_candidates = request_candidates
        self.request_job = request_job
        self.response_scores = response_scores
        self.deterministic = True
        self._lock = threading.Lock()
        self.stats = {"requests": 0, "retries": 0}

    def params(self) -> dict[str, Any]:
        """Endpoint, payload layout and model version (never the token or header values)."""
        return {
            "url": redact(self.url),
            "fields": self.fields,
            "rename": self.rename,
            "id_column": self.id_column,
            "model_version": self.model_version,
            "request_candidates": self.request_candidates,
            "request_job": self.request_job,
            "response_scores": self.response_scores,
            "token_env": self.token_env,
            "header_names": sorted(self.headers),
        }

    # -- request ------------------------------------------------------------------
    def _payload(self, candidates: pd.DataFrame, job: Job | None) -> tuple[bytes, list[Any]]:
        columns = self.fields or [str(c) for c in candidates.columns]
        require_columns(candidates, columns, "http", "fields")
        if self.id_column is not None:
            require_columns(candidates, [self.id_column], "http", "id_column")
            ids = [_json_value(v) for v in candidates[self.id_column]]
        else:
            ids = list(range(len(candidates)))
        records = candidates[columns].to_dict("records")
        name = {str(c): self.rename.get(str(c), str(c)) for c in columns}
        items = [
            {"id": i, **{name[str(k)]: _json_value(v) for k, v in r.items()}}
            for i, r in zip(ids, records)
        ]
        body = {
            self.request_job: job.to_dict() if job is not None else None,
            self.request_candidates: items,
        }
        return json.dumps(body, default=str).encode(), ids

    def _request(self, data: bytes) -> urllib.request.Request:
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"biasaudit/{__version__}",
            **self.headers,
        }
        if self.token_env is not None:
            token = os.environ.get(self.token_env)
            if token is None:
                raise E.ValidationError(E.MISSING_TOKEN.format(env=self.token_env))
            headers["Authorization"] = f"Bearer {token}"
        return urllib.request.Request(self.url, data=data, headers=headers, method="POST")

    def _wait(self, attempt: int, retry_after: float | None) -> None:
        delay = self.backoff * 2**attempt if retry_after is None else retry_after
        with self._lock:
            self.stats["retries"] += 1
        time.sleep(min(delay, self.max_backoff))

    def secrets(self) -> list[str]:
        """The values no output or message may show: the token and the header values."""
        token = os.environ.get(self.token_env) if self.token_env is not None else None
        return [v for v in (token, *map(str, self.headers.values())) if v]

    def redact(self, text: str) -> str:
        """``text`` with this matcher's secrets and any credential-like part masked."""
        return redact(text, self.secrets())

    def quote(self, body: bytes) -> str:
        """The start of an answer's body for a message: redacted first, then cut to 200
        characters (cutting first could leave half a secret that no longer matches)."""
        return self.redact(body.decode("utf-8", "replace"))[:200]

    def _refused(self, exc: urllib.error.HTTPError, attempts: int, job: str | None) -> MatcherError:
        """The error for an answer that retrying would not change (4xx other than 408/425/429)."""
        error = f"HTTP {exc.code} {exc.reason}"
        if exc.code in _AUTH_STATUS:  # the body may echo the credentials: never quoted
            error += " (the service refused the credentials; check token_env= and headers=)"
        else:
            try:
                detail = self.quote(exc.read(_QUOTED_READ))
            except (OSError, http.client.HTTPException):
                detail = ""
            error += f": {detail!r}" if detail else ""
        return self._failed(attempts, error, job)

    def _failed(self, attempts: int, error: str, job: str | None) -> MatcherError:
        url, error = self.redact(self.url), self.redact(error)
        if job is None:
            return MatcherError(E.HTTP_FAILED.format(url=url, attempts=attempts, error=error))
        return MatcherError(
            E.HTTP_FAILED_FOR_JOB.format(url=url, job=job, attempts=attempts, error=error)
        )

    def _connection_failure(self, exc: BaseException) -> str:
        """Words for a failed attempt without an HTTP status (all retried)."""
        reason = getattr(exc, "reason", exc)  # URLError wraps the socket's error
        if isinstance(reason, TimeoutError):
            return f"no answer within {self.timeout:g} s (timeout)"
        if isinstance(reason, (http.client.HTTPException, _BROKEN)):
            # closed mid-answer, reset, a garbled status line: retried like a 5xx answer
            return f"the connection broke off ({_describe(reason)})"
        return _describe(reason)

    def post(self, data: bytes, job: str | None = None) -> bytes:
        """POST ``data`` with retries; the raw answer body.

        Each attempt has ``timeout`` seconds in all (connecting, sending and
        reading the whole answer). 408, 425, 429 and 5xx answers, timeouts,
        refused connections and connections closed mid-answer (a reset, an
        incomplete body, a bad status line) are retried after an exponential
        backoff (``Retry-After`` when the service sends one); other answers
        fail at once.

        Parameters
        ----------
        data : bytes
            The request body (JSON).
        job : str, optional
            The job being scored, named in the error message.

        Returns
        -------
        bytes
            The body of the first successful answer.

        Raises
        ------
        MatcherError
            When every attempt failed, or at once for an answer that retrying
            would not change; the message names the last failure and holds
            no secret.
        """
        error = "no attempt made"
        for attempt in range(self.retries + 1):
            retry_after = None
            with self._lock:
                self.stats["requests"] += 1
            try:
                return fetch_within(self._request(data), self.timeout)
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRY_STATUS:
                    raise self._refused(exc, attempt + 1, job) from None
                error = f"HTTP {exc.code} {exc.reason}"
                retry_after = retry_after_seconds(exc.headers.get("Retry-After"))
            except TimeoutError:
                error = f"no answer within {self.timeout:g} s (timeout)"
            except (http.client.HTTPException, urllib.error.URLError, OSError) as exc:
                error = self._connection_failure(exc)
            if attempt < self.retries:
                self._wait(attempt, retry_after)
        raise self._failed(self.retries + 1, error, job)

    # -- response -----------------------------------------------------------------
    def _parse(self, raw: bytes, ids: list[Any]) -> np.ndarray:
        def bad(problem: str) -> MatcherError:
            return MatcherError(
                E.HTTP_BAD_RESPONSE.format(
                    url=self.redact(self.url), problem=problem, body=self.quote(raw)
                )
            )

        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise bad("not valid JSON") from None
        try:
            scores = _dig(body, self.response_scores)
        except KeyError:
            raise bad(f"no {self.response_scores!r} field") from None
        if not isinstance(scores, list) or len(scores) != len(ids):
            size = len(scores) if isinstance(scores, list) else type(scores).__name__
            raise bad(f"expected a list of {len(ids)} scores, got {size}")
        if scores and all(isinstance(s, Mapping) for s in scores):
            by_id = {str(s.get("id")): s.get("score") for s in scores}
            missing = [i for i in ids if str(i) not in by_id]
            if missing:
                raise bad(f"no score for id(s) {missing[:5]}")
            scores = [by_id[str(i)] for i in ids]
        values = []
        for s in scores:
            if s is None:
                values.append(np.nan)  # the service declined: counted as a failure
            elif isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s):
                values.append(float(s))
            else:
                raise bad(f"a score is not a finite number: {s!r}")
        return np.asarray(values, dtype=np.float64)

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """One request per batch; the service's scores in candidate order."""
        if len(candidates) == 0:
            return np.zeros(0)
        data, ids = self._payload(candidates, job)
        return self._parse(self.post(data, job.id if job is not None else None), ids)
