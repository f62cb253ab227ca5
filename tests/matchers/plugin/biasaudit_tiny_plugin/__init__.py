"""A third-party matcher plugin, as small as one can be (used by the tests)."""

from __future__ import annotations

import numpy as np


class WordCountMatcher:
    """Scores a resume by its number of words, capped at ``cap`` (a test plugin)."""

    name = "wordcount"
    needs_job = False
    deterministic = True

    def __init__(self, text_column: str = "resume_text", cap: int = 100) -> None:
        self.text_column = text_column
        self.cap = int(cap)

    @property
    def fingerprint(self) -> str:
        return f"wordcount:1:{self.text_column}:{self.cap}"

    def score(self, candidates, job):
        if len(candidates) == 0:
            return np.zeros(0)
        text = candidates[self.text_column].fillna("").astype(str)
        return np.minimum(text.str.split().str.len().to_numpy(dtype=float), self.cap) / self.cap
