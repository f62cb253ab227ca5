"""The ``mitigated`` (fairlearn) and ``embedding`` (sentence-transformers) adapters."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import biasaudit
from biasaudit import _errors as E
from biasaudit import matchers
from biasaudit.matchers import Job, MatcherError, score_candidates

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "matchers"))


@pytest.fixture(scope="module")
def biased():
    """A feature that favours men, a label that follows it, and a fitted model."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(11)
    n = 2000
    sex = rng.choice(["F", "M"], n)
    x = rng.normal(size=n) + 0.8 * (sex == "M")
    frame = pd.DataFrame({"sex": sex, "x": x, "y": (x + rng.normal(size=n) > 0.6).astype(int)})
    model = LogisticRegression().fit(frame[["x"]], frame["y"])
    return frame, model


# The mitigated scores are selection probabilities, mostly 0 or 1: the LL144 scoring
# rate (share strictly above the median) is then undefined, and the audit says so.
@pytest.mark.filterwarnings("ignore::biasaudit.InsufficientDataWarning")
def test_mitigated_equalises_selection_rates(biased):
    frame, model = biased
    base = matchers.get("sklearn", estimator=model, features="x")
    fair = matchers.get("mitigated", base=base, train=frame, label="y", sensitive_column="sex")
    before = pd.Series(base.score(frame, None) >= 0.5).groupby(frame.sex).mean()
    after = pd.Series(fair.score(frame, None)).groupby(frame.sex).mean()
    assert before["M"] - before["F"] > 0.2
    assert abs(after["M"] - after["F"]) < 0.03
    a = biasaudit.audit(frame, attributes=["sex"], matcher=base, threshold=0.5)
    b = biasaudit.audit(frame, attributes=["sex"], matcher=fair, threshold=0.5)
    ratio = {r.provenance["metadata"]["matcher"]["name"]: r for r in (a, b)}
    low = lambda r: r.groups_frame()["impact_ratio"].min()  # noqa: E731
    assert low(ratio["sklearn"]) < 0.7 < low(ratio["mitigated"])
    meta = b.provenance["metadata"]["matcher"]
    assert meta["hidden_columns"] == [] and meta["params"]["base"] == base.fingerprint


def test_mitigated_equal_opportunity_and_errors(biased):
    frame, model = biased
    fair = matchers.get(
        "mitigated", base=model, features=["x"], train=frame, label="y",
        sensitive_column="sex", constraints="equal_opportunity",
    )  # fmt: skip
    positives = frame.y == 1
    tpr = pd.Series(fair.score(frame, None))[positives].groupby(frame.sex[positives]).mean()
    assert abs(tpr["M"] - tpr["F"]) < 0.05
    with pytest.raises(biasaudit.ValidationError, match="constraints must be one of"):
        matchers.get(
            "mitigated", base=model, features=["x"], train=frame, label="y",
            sensitive_column="sex", constraints="fairness",
        )  # fmt: skip
    with pytest.raises(MatcherError, match=r"groups seen in training \['F', 'M'\]"):
        score_candidates(fair, frame.assign(sex="X").head(3))
    with pytest.raises(biasaudit.ValidationError, match="reads column 'label_col'"):
        matchers.get(
            "mitigated", base=model, features=["x"], train=frame, label="label_col",
            sensitive_column="sex",
        )  # fmt: skip


# -- embedding --------------------------------------------------------------------------
def test_embedding_missing_extra_message(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError) as err:
        matchers.get("embedding", model=tmp_path)
    assert str(err.value) == E.MISSING_EXTRA.format(
        matcher="embedding", package="sentence-transformers", extra="embeddings"
    )
    listed = {m.name: m.summary for m in matchers.available()}
    assert listed["embedding"].endswith("(needs: pip install 'biasaudit[embeddings]')")


def test_extras_named_in_messages_exist():
    import re

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # a dependency of biasaudit on Python 3.10
        import tomli as tomllib

    pyproject = tomllib.loads((HERE.parent / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    assert "embeddings" in extras and "http" in extras
    assert any(d.startswith("sentence-transformers") for d in extras["embeddings"])
    # every extra that a message or docstring tells users to install exists
    named = {"embeddings"}  # MISSING_EXTRA's {extra}, filled by the embedding matcher
    for path in (HERE.parent / "biasaudit").rglob("*.py"):
        named |= set(re.findall(r"biasaudit\[([a-z_-]+)\]", path.read_text()))
    assert {"dask", "duckdb", "embeddings"} <= named
    assert named <= set(extras), named - set(extras)


def test_embedding_refuses_hub_names():
    with pytest.raises(biasaudit.ValidationError, match="biasaudit never downloads models"):
        matchers.get("embedding", model="sentence-transformers/all-MiniLM-L6-v2")


def test_embedding_with_a_tiny_local_model():
    pytest.importorskip("sentence_transformers", reason="extra 'embeddings' not installed")
    from tiny_model import tiny_model

    path = tiny_model()
    m = matchers.get("embedding", model=str(path), text_column="resume")
    job = Job("J1", "Data analyst", "SQL and Excel dashboards")
    frame = pd.DataFrame({"resume": [job.text, "forklift operation", None, "python sql"]})
    scores = score_candidates(m, frame, job, batch_size=2).scores
    assert scores.shape == (4,) and np.all(np.abs(scores) <= 1 + 1e-9)
    assert scores[0] == pytest.approx(1.0)  # the posting itself
    np.testing.assert_allclose(m.score(frame, job), scores)
    again = matchers.get("embedding", model=str(path), text_column="resume")
    assert again.fingerprint == m.fingerprint
    result = biasaudit.audit(
        frame.assign(sex=["F", "M", "F", "M"]), attributes=["sex"], matcher=m, jobs=job
    )
    assert result.provenance["metadata"]["matcher"]["params"]["digest"] == m.digest
