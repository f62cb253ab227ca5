"""Out-of-range audit flags exit 2 with one message in command-line words."""

from __future__ import annotations

import pytest

from biasaudit.cli import main


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--alpha", "5"], "--alpha must be a number in (0, 1); got 5.0. Pass e.g. --alpha 0.05."),
        (["--alpha", "0"], "--alpha must be a number in (0, 1); got 0.0. Pass e.g. --alpha 0.05."),
        (
            ["--confidence", "1.5"],
            "--confidence must be a number in (0, 1); got 1.5. Pass e.g. --confidence 0.95.",
        ),
        (
            ["--confidence", "0"],
            "--confidence must be a number in (0, 1); got 0.0. Pass e.g. --confidence 0.95.",
        ),
        (
            ["--min-share", "-0.1"],
            "--min-share must be a number in [0, 1); got -0.1. Pass e.g. --min-share 0.02.",
        ),
        (["--top-k", "-1"], "--top-k must be an integer >= 1; got -1. Pass e.g. --top-k 10."),
    ],
)
def test_out_of_range_flags_exit_2_with_one_message(flags, message, capsys) -> None:
    code = main(["audit", "--example", "resume-study", "--quiet", *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"biasaudit: error: {message}\n"


def test_confidence_flag_reaches_the_audit(tmp_path) -> None:
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "audit",
                "--example",
                "resume-study",
                "--quiet",
                "--confidence",
                "0.9",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    assert '"confidence": 0.9' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--n", "-5"],
            "--n must be an integer >= 1; got -5. Pass the number of candidates, e.g. --n 10_000.",
        ),
        (
            ["--n", "100", "--jobs", "0"],
            "--jobs must be an integer >= 1; got 0. Pass e.g. --jobs 3.",
        ),
        (
            ["--n", "100", "--selection-rate", "2"],
            "--selection-rate must be a number in (0, 1); got 2.0. Pass e.g. --selection-rate 0.3.",
        ),
    ],
)
def test_every_subcommand_words_range_errors_with_its_flags(flags, message, tmp_path, capsys):
    """The catalogue's message about a Python parameter names the subcommand's flag."""
    code = main(["synth", *flags, "--out", str(tmp_path / "pool.csv"), "--quiet"])
    assert code == 2
    assert capsys.readouterr().err == f"biasaudit: error: {message}\n"
    assert not (tmp_path / "pool.csv").exists()


@pytest.fixture
def ranked_csv(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"sex": ["F", "M"] * 10, "job": ["a"] * 10 + ["b"] * 10})
    frame["rank"] = frame.groupby("job").cumcount() + 1
    path = tmp_path / "ranked.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(
    ("flags", "start"),
    [
        # a rank alone decides nothing: it used to end in KeyError: 'scoring_impact_ratio'
        (["--ranking"], "A rank column orders the candidates but decides nothing"),
        (["-a", "sex", "--top-k", "3"], "Attribute 'sex' is named twice in ['sex', 'sex']."),
        (["--intersection", "sex,sex", "--top-k", "3"], "Attribute 'sex' is named twice"),
        (
            ["--intersection", "sex,region", "--top-k", "3"],
            "Intersection attribute 'region' is not one of the audited attributes ['sex'].",
        ),
    ],
)
def test_bad_roles_and_attributes_are_refused(ranked_csv, flags, start, capsys) -> None:
    code = main(["audit", ranked_csv, "-a", "sex", "--rank", "rank", "--job", "job", *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"biasaudit: error: {start}") and err.count("\n") == 1
