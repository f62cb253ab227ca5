"""The ``embedding`` adapter: cosine similarity of sentence-transformers embeddings.

Needs the optional extra ``embeddings`` (sentence-transformers). Models load from
a local directory only: nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._validation import instance_of, validate_params
from biasaudit.matchers._base import BATCH_SIZE, BaseMatcher, text_of
from biasaudit.matchers._jobs import Job

__all__ = ["EmbeddingMatcher", "model_digest"]

MODEL_NOT_ON_WORKER = (
    "The embedding model directory {path!r} {problem} on this machine (a copy of the matcher "
    "sent to a worker reloads the model from its path). Put the same model directory at that "
    "path on every worker (a shared file system, or the same image)."
)

_MODELS: dict[tuple[str, str, str], Any] = {}
_MODELS_LOCK = threading.Lock()


def model_digest(path: Path) -> str:
    """Hash of a model directory: small files by content, large ones by name and size."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(path)).encode())
        size = file.stat().st_size
        digest.update(str(size).encode())
        if size <= 1 << 20:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError:
        raise ImportError(
            E.MISSING_EXTRA.format(
                matcher="embedding", package="sentence-transformers", extra="embeddings"
            )
        ) from None
    return sentence_transformers


class EmbeddingMatcher(BaseMatcher):
    """Cosine similarity between sentence-transformers embeddings of resume and job.

    Parameters
    ----------
    model : str or Path
        A local directory holding a sentence-transformers model (saved with
        ``model.save(path)``); hub names are refused, so no download happens.
    text_column : str
        Resume text column.
    batch_size : int
        Texts encoded per call.
    device : str
        ``"cpu"`` (default) or e.g. ``"cuda"``.

    Examples
    --------
    >>> EmbeddingMatcher("no/such/dir")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    biasaudit._errors.ValidationError: model must be ...
    """

    name = "embedding"
    version = "1"
    needs_job = True

    @validate_params({"batch_size": BATCH_SIZE, "device": [instance_of(str)]})
    def __init__(
        self,
        model: str | Path,
        *,
        text_column: str = "resume_text",
        batch_size: int = 64,
        device: str = "cpu",
    ) -> None:
        path = Path(model)
        if not path.is_dir():
            raise E.ValidationError(
                E.BAD_PARAMETER.format(
                    name="model",
                    expected="a local directory with a saved sentence-transformers model",
                    value=str(model),
                    fix="Save the model with model.save(PATH) and pass that path "
                    "(biasaudit never downloads models).",
                )
            )
        self.path = path
        self.text_column = text_column
        self.batch_size = int(batch_size)
        self.device = device
        self.digest = model_digest(path)
        st = _sentence_transformers()
        self.model = st.SentenceTransformer(str(path), device=device, local_files_only=True)
        self._jobs: dict[str, np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Everything but the loaded model, which a copy reloads from ``path``."""
        state = super().__getstate__()
        state["model"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Reload the model from its directory (once per process), checking its digest."""
        super().__setstate__(state)
        path = Path(self.path)
        if not path.is_dir():
            raise E.ValidationError(
                MODEL_NOT_ON_WORKER.format(path=str(path), problem="is missing")
            )
        if model_digest(path) != self.digest:
            raise E.ValidationError(
                MODEL_NOT_ON_WORKER.format(path=str(path), problem="holds different files")
            )
        key = (str(path.resolve()), str(self.device), self.digest)
        with _MODELS_LOCK:
            if key not in _MODELS:
                st = _sentence_transformers()
                _MODELS[key] = st.SentenceTransformer(
                    str(path), device=self.device, local_files_only=True
                )
            self.model = _MODELS[key]

    def params(self) -> dict[str, Any]:
        """Model directory name, a digest of its files and the text column."""
        return {"model": self.path.name, "digest": self.digest, "text_column": self.text_column}

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float64)

    def score(self, candidates: pd.DataFrame, job: Job | None) -> np.ndarray:
        """Cosine similarity (-1 to 1) of each resume with the job's text."""
        if job is None:
            raise E.ValidationError(E.MATCHER_NEEDS_JOB.format(matcher="embedding"))
        if len(candidates) == 0:
            return np.zeros(0)
        texts = text_of(candidates, self.text_column, "embedding").tolist()
        if job.text not in self._jobs:
            self._jobs[job.text] = self._encode([job.text])[0]
        return self._encode(texts) @ self._jobs[job.text]
