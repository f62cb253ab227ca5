"""Golden files: the JSON of two audits stays byte-identical across refactors.

Only the run's timestamp and the installed versions may differ; both are masked
before the comparison. Regenerate deliberately (never to make a failure pass) with
``BIASAUDIT_REGOLD=1 pytest tests/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import biasaudit

GOLDEN = Path(__file__).parent / "golden"
_MASKED = re.compile(r'^(\s*)"([^"]+)": "[^"]*"(,?)$')


def _masked(text: str) -> str:
    lines = []
    in_versions = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith('"versions": {'):
            in_versions = True
        elif in_versions and stripped.startswith("}"):
            in_versions = False
        elif in_versions or stripped.startswith('"timestamp"'):
            line = _MASKED.sub(r'\1"\2": "<masked>"\3', line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _study() -> str:
    df = biasaudit.datasets.load_resume_study()
    return biasaudit.audit(df, attributes=["race", "sex"], selected="callback").to_json()


def _synthetic() -> str:
    pool = biasaudit.synth.make_pool(600, jobs=3, seed=11, resume_text=False)
    result = biasaudit.audit(
        pool.data,
        attributes=["sex", "race"],
        score="score",
        top_k=40,
        per_job=True,
        job="job_id",
        label="qualified",
        id="candidate_id",
        ranking={"k": [10, 20]},
    )
    return result.to_json()


@pytest.mark.parametrize(
    ("name", "make"), [("resume_study", _study), ("synthetic_ranking", _synthetic)]
)
def test_json_is_byte_identical_to_golden(name, make):
    path = GOLDEN / f"{name}.json"
    text = _masked(make())
    if os.environ.get("BIASAUDIT_REGOLD"):
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name}: the audit JSON changed; diff it against {path}"
    assert json.loads(text)["groups"]
