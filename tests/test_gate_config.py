"""Gate configuration: discovery, every key checked, exact messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from biasaudit import ValidationError
from biasaudit.gate import find_config, load_config

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """
attributes = ["sex"]
[pool]
path = "eval/pool.csv"
selected = "hired"
[policy]
thresholds = { impact_ratio = 0.8 }
"""


def _nested(text: str) -> str:
    """The same settings under [tool.biasaudit] (as in pyproject.toml)."""
    for table in ("pool", "policy", "baseline", "matcher", "decision"):
        text = text.replace(f"[{table}]", f"[tool.biasaudit.{table}]")
    return "[tool.biasaudit]\n" + text


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(ValidationError) as info:
        load_config(path)
    return str(info.value)


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- discovery -------------------------------------------------------------------------------


def test_biasaudit_toml_wins_over_pyproject(here):
    _write(here, "pyproject.toml", _nested(MINIMAL))
    assert find_config() == Path("pyproject.toml")
    _write(here, "biasaudit.toml", MINIMAL)
    assert find_config() == Path("biasaudit.toml")
    assert load_config().path == Path("biasaudit.toml")


def test_pyproject_table_and_nested_biasaudit_toml(here):
    pyproject = _write(here, "pyproject.toml", '[project]\nname = "x"\n' + _nested(MINIMAL))
    config = load_config(pyproject)
    assert config.prefix == "tool.biasaudit" and config.attributes == ("sex",)
    nested = _write(here, "biasaudit.toml", _nested(MINIMAL))
    assert load_config(nested).prefix == "tool.biasaudit"


def test_biasaudit_toml_cannot_mix_top_level_keys_and_a_tool_table(here):
    path = _write(here, "biasaudit.toml", "min_share = 0.05\n" + _nested(MINIMAL))
    assert _error(path) == (
        f"Unknown key 'min_share' in {str(path)!r}. Allowed keys here: ['tool']. Fix the "
        "spelling: an unknown key is an error so that a typo cannot silently weaken the gate."
    )


def test_no_configuration_anywhere(here):
    _write(here, "pyproject.toml", '[project]\nname = "x"\n')
    with pytest.raises(ValidationError) as info:
        load_config()
    assert str(info.value) == (
        f"No gate configuration in {str(here.resolve())!r}: there is no biasaudit.toml and no "
        "pyproject.toml with a [tool.biasaudit] table. Create biasaudit.toml (see "
        "docs/ci/biasaudit.toml), or pass --config FILE."
    )


def test_missing_file_and_pyproject_without_the_table(here):
    assert _error(here / "nope.toml") == (
        f"Configuration file {str(here / 'nope.toml')!r} does not exist. "
        "Pass --config with an existing file."
    )
    pyproject = _write(here, "pyproject.toml", '[project]\nname = "x"\n')
    assert _error(pyproject) == (
        f"{str(pyproject)!r} has no [tool.biasaudit] table. Add one with the gate settings "
        "(see docs/ci/biasaudit.toml), or pass --config FILE."
    )


def test_invalid_toml_names_the_file(here):
    path = _write(here, "biasaudit.toml", 'attributes = ["sex"\n')
    message = _error(path)
    assert message.startswith(f"Configuration file {str(path)!r} is not valid TOML: ")
    assert message.endswith(". Fix the syntax.")


# -- unknown keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        (
            "atributes = 1\n" + MINIMAL,
            "atributes",
            "['attributes', 'intersections', 'reference_group', 'min_share', 'correction', "
            "'alpha', 'confidence', 'pool', 'decision', 'matcher', 'policy', 'baseline']",
        ),
        (
            MINIMAL.replace('selected = "hired"', 'selected = "hired"\nlable = "q"'),
            "pool.lable",
            "['path', 'id', 'job', 'label', 'score', 'selected', 'jobs', 'text_column']",
        ),
        (
            MINIMAL + "thresold = 0.8\n",
            "policy.thresold",
            "['thresholds', 'require_significance', 'min_group_size', 'insufficient_data', "
            "'scope']",
        ),
        (
            MINIMAL.replace("impact_ratio = 0.8", "impact_ratio = { minimum = 0.8 }"),
            "policy.thresholds.impact_ratio.minimum",
            "['min', 'max']",
        ),
        (
            MINIMAL + '[baseline]\npath = "b.json"\nmargins = 0.1\n',
            "baseline.margins",
            "['path', 'metrics', 'margin', 'confidence', 'test', 'resamples', 'seed']",
        ),
    ],
)
def test_unknown_keys_are_errors_naming_key_and_file(here, text, key, allowed):
    path = _write(here, "biasaudit.toml", text)
    assert _error(path) == (
        f"Unknown key {key!r} in {str(path)!r}. Allowed keys here: {allowed}. Fix the spelling: "
        "an unknown key is an error so that a typo cannot silently weaken the gate."
    )


def test_unknown_key_in_pyproject_has_the_full_dotted_name(here):
    text = _nested(MINIMAL) + "require_significanse = true\n"
    message = _error(_write(here, "pyproject.toml", text))
    assert message.startswith("Unknown key 'tool.biasaudit.policy.require_significanse' in ")


def test_unknown_metric_names_the_key(here):
    text = MINIMAL.replace("impact_ratio = 0.8", "impact_ration = 0.8")
    path = _write(here, "biasaudit.toml", text)
    message = _error(path)
    assert message.startswith(
        f"Key 'policy.thresholds.impact_ration' in {str(path)!r} names metric 'impact_ration', "
        "which the gate does not know. Gateable metrics: ['equal_opportunity_difference', "
    )
    assert message.endswith("'selection_difference']. Use one of those.")
    text = MINIMAL + '[baseline]\npath = "b.json"\nmetrics = ["impact_ratio", "tpr_gap"]\n'
    assert _error(_write(here, "biasaudit.toml", text)).startswith("Key 'baseline.metrics[1]' in ")


# -- bad and missing values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'attributes = ["sex"]',
            'attributes = "sex"',
            "Key 'attributes' in {path} must be a list of column names; got 'sex'. "
            'Write e.g. attributes = ["sex", "race"].',
        ),
        (
            "impact_ratio = 0.8",
            'impact_ratio = "0.8"',
            "Key 'policy.thresholds.impact_ratio' in {path} must be a number, or a table with "
            "min and/or max; got '0.8'. Write e.g. impact_ratio = 0.8, or impact_ratio = "
            "{{ min = 0.8 }}.",
        ),
        (
            "[policy]",
            "[policy]\nmin_group_size = -5",
            "Key 'policy.min_group_size' in {path} must be an integer >= 0; got -5. "
            "Write e.g. min_group_size = 30.",
        ),
        (
            "[policy]",
            '[policy]\ninsufficient_data = "skip"',
            "Key 'policy.insufficient_data' in {path} must be 'fail' or 'pass'; got 'skip'. "
            'Write insufficient_data = "fail" (or "pass").',
        ),
        (
            'attributes = ["sex"]',
            'attributes = ["sex"]\nalpha = 5',
            "Key 'alpha' in {path} must be a number in (0, 1); got 5. Write e.g. alpha = 0.05.",
        ),
    ],
)
def test_bad_values_name_key_file_value_and_fix(here, old, new, message):
    path = _write(here, "biasaudit.toml", MINIMAL.replace(old, new))
    assert _error(path) == message.format(path=repr(str(path)))


def test_baseline_values(here):
    text = MINIMAL + '[baseline]\npath = "b.json"\ntest = "superiority"\n'
    path = _write(here, "biasaudit.toml", text)
    assert _error(path) == (
        f"Key 'baseline.test' in {str(path)!r} must be 'inferiority' or 'non-inferiority'; got "
        '\'superiority\'. Write test = "inferiority" (or "non-inferiority").'
    )
    text = MINIMAL + '[baseline]\npath = "b.json"\nmargin = { impact_ratio = 0.1, eo = 0.1 }\n'
    assert _error(_write(here, "biasaudit.toml", text)).startswith("Key 'baseline.margin.eo' in ")


@pytest.mark.parametrize(
    ("text", "key", "fix"),
    [
        (MINIMAL.replace('attributes = ["sex"]', ""), "attributes", "Name the protected "
         'attributes: attributes = ["sex"].'),
        ('attributes = ["sex"]\n', "pool", 'Add [pool] with path = "eval/pool.csv".'),
        (MINIMAL.replace('path = "eval/pool.csv"', ""), "pool.path",
         'Point it at the evaluation pool: path = "eval/pool.csv".'),
        (MINIMAL + "[matcher]\noptions = {}\n", "matcher.name",
         'Name the matcher, e.g. name = "tfidf" (see: biasaudit matchers).'),
        (MINIMAL + "[baseline]\nmargin = 0.1\n", "baseline.path",
         'Say where the baseline lives: path = ".biasaudit/baseline.json".'),
        (MINIMAL.replace("thresholds = { impact_ratio = 0.8 }", ""), "policy.thresholds",
         "The gate would check nothing: add thresholds (e.g. { impact_ratio = 0.8 }) or a "
         "[baseline] to compare with."),
        (MINIMAL.replace('selected = "hired"', ""), "decision",
         "Nothing to audit: add a matcher or pool.score with a decision rule, or pool.selected."),
        (MINIMAL.replace('selected = "hired"', "") + "[decision]\nthreshold = 0.5\n", "pool.score",
         "The decision rule needs scores: name the score column, or add a matcher."),
    ],
)  # fmt: skip
def test_missing_keys(here, text, key, fix):
    path = _write(here, "biasaudit.toml", text)
    assert _error(path) == f"Key {key!r} is missing in {str(path)!r}. {fix}"


@pytest.mark.parametrize(
    ("text", "keys", "fix"),
    [
        (MINIMAL.replace('selected = "hired"', 'score = "s"') + "[decision]\nthreshold = 0.5\n"
         "top_k = 3\n", "['decision.threshold', 'decision.top_k']",
         "Keep exactly one decision rule."),
        (MINIMAL + '[matcher]\nname = "tfidf"\n', "['matcher', 'pool.selected']",
         "With a matcher the decision comes from its scores: remove pool.selected (or remove the "
         "matcher to gate a given decision column)."),
        (MINIMAL + "[decision]\nthreshold = 0.5\n", "['decision', 'pool.selected']",
         "Use either a decision rule over scores or the given selected column."),
        (MINIMAL.replace('selected = "hired"', 'selected = "hired"\njobs = "jobs.json"'),
         "['pool.jobs']", "['jobs'] are read only by a matcher: add [matcher]."),
        (MINIMAL.replace('selected = "hired"', 'score = "s"') + "[decision]\ntop_k = 3\n"
         "per_job = true\n", "['decision.per_job', 'decision.top_k']",
         "per_job applies only to top_fraction (top_k is always per job): remove it."),
    ],
)  # fmt: skip
def test_conflicting_keys(here, text, keys, fix):
    path = _write(here, "biasaudit.toml", text)
    assert _error(path) == f"Keys {keys} in {str(path)!r} cannot be used together. {fix}"


# -- what a valid configuration gives ----------------------------------------------------------


def test_the_documented_example_configuration_is_valid(here):
    config = load_config(ROOT / "docs" / "ci" / "biasaudit.toml")
    assert config.matcher.name == "callable"
    assert config.matcher.options == {"func": "ci_matchers:score"}
    assert [b.describe() for b in config.policy.bounds] == [
        "impact_ratio >= 0.8",
        "|equal_opportunity_difference| <= 0.1",
    ]
    assert config.policy.scope == {"sex": None, "race": None}
    assert config.baseline.path == ROOT / "docs" / "ci" / ".biasaudit" / "baseline.json"
    assert config.baseline.settings.test == "inferiority"


def test_paths_are_relative_to_the_file_and_options_map_to_the_audit(here):
    (here / "conf").mkdir()
    text = """
    attributes = ["sex", "race"]
    intersections = [["sex", "race"]]
    reference_group = { race = "White" }
    min_share = 0.05
    correction = "bh"
    [pool]
    path = "../data/pool.parquet"
    id = "cid"
    job = "req"
    label = "q"
    jobs = "jobs.json"
    text_column = "resume"
    [matcher]
    name = "tfidf"
    options = { ngram_max = 2 }
    cache = ".cache"
    [decision]
    top_fraction = 0.2
    per_job = true
    [policy]
    thresholds = { impact_ratio = { min = 0.8, max = 1.25 }, fnr_ratio = { max = 1.5 } }
    require_significance = true
    min_group_size = 50
    insufficient_data = "pass"
    scope = { race = ["Black or African American"], sex = "*" }
    [baseline]
    path = "base.json"
    metrics = ["impact_ratio"]
    margin = { impact_ratio = 0.03 }
    confidence = 0.9
    test = "non-inferiority"
    resamples = 500
    seed = 7
    """
    config = load_config(_write(here / "conf", "gate.toml", text))
    assert config.pool.path == here / "conf" / "../data/pool.parquet"
    assert config.matcher.cache == here / "conf" / ".cache"
    options = config.audit_options()
    assert options == {
        "attributes": ["sex", "race"],
        "intersections": [["sex", "race"]],
        "reference_group": {"race": "White"},
        "min_share": 0.05,
        "correction": "bh",
        "alpha": 0.05,
        "confidence": 0.95,
        "id": "cid",
        "job": "req",
        "label": "q",
        "score": None,
        "selected": None,
        "threshold": None,
        "top_k": None,
        "top_fraction": 0.2,
        "per_job": True,
        "matcher": "tfidf",
        "matcher_options": {"ngram_max": 2},
        "jobs": str(here / "conf" / "jobs.json"),
        "text_column": "resume",
        "cache": str(here / "conf" / ".cache"),
    }
    rules, settings = config.policy, config.baseline.settings
    assert [b.describe() for b in rules.bounds] == [
        "0.8 <= impact_ratio <= 1.25",
        "fnr_ratio <= 1.5",
    ]
    assert (rules.require_significance, rules.min_group_size, rules.insufficient_data) == (
        True,
        50,
        "pass",
    )
    assert rules.scope == {"race": ["Black or African American"], "sex": None}
    assert (settings.margin_for("impact_ratio"), settings.confidence, settings.test) == (
        0.03,
        0.9,
        "non-inferiority",
    )
    assert (settings.resamples, settings.seed, settings.metrics) == (500, 7, ("impact_ratio",))
