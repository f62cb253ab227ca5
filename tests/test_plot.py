"""result.plot: each chart's artists hold exactly the audit's numbers; ax=, attribute=, errors."""

from __future__ import annotations

import dataclasses
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

import biasaudit
from biasaudit import plot as P
from biasaudit.ranking import rank_audit
from biasaudit.reports._chartset import EXCLUDED_NOTE, INSUFFICIENT_NOTE


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- helpers


def tick_labels(ax: Axes) -> list[str]:
    """Tick labels top to bottom, as displayed (mathtext escapes undone)."""
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda t: -t[0])
    return [label._preprocess_math(label.get_text())[0] for _, label in ticks]


def points(ax: Axes) -> dict[str, dict]:
    """Drawn points by displayed row label: value, interval ends and marker."""
    by_y = {y: lab for y, lab in zip(sorted(ax.get_yticks()), tick_labels(ax)[::-1])}
    out = {}
    for container in ax.containers:
        line, _caps, (bars,) = container.lines
        segments = bars.get_segments()
        for x, y, seg in zip(line.get_xdata(), line.get_ydata(), segments):
            out[by_y[y]] = {
                "value": float(x),
                "low": float(seg[0][0]),
                "high": float(seg[1][0]),
                "marker": line.get_marker(),
            }
    return out


def vertical_lines(ax: Axes) -> list[tuple[float, str]]:
    out = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if x.size == 2 and x[0] == x[1] and tuple(line.get_ydata()) == (0, 1):
            out.append((float(x[0]), line.get_linestyle()))
    return out


def texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def group_rows(result, attribute: list[str]) -> pd.DataFrame:
    frame = result.groups_frame()
    return frame[[list(a) == attribute for a in frame["attribute"]]]


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def study():
    return biasaudit.audit(
        biasaudit.datasets.load_resume_study(), attributes=["race", "sex"], selected="callback"
    )


def _small_groups_frame() -> pd.DataFrame:
    """600 candidates: A 30% selected, B and C 20%, D under 2% of the pool."""
    rng = np.random.default_rng(3)
    g = rng.choice(["A", "B", "C", "D"], 600, p=[0.5, 0.39, 0.1, 0.01])
    s = (rng.random(600) < np.where(g == "A", 0.3, 0.2)).astype(int)
    return pd.DataFrame({"g": g, "s": s})


@pytest.fixture(scope="module")
def small():
    return biasaudit.audit(_small_groups_frame(), attributes=["g"], selected="s")


@pytest.fixture(scope="module")
def scored():
    """Scored, labelled pool: scores in [0, 10), race and sex, a label."""
    rng = np.random.default_rng(11)
    n = 4000
    race = rng.choice(["Asian", "Black", "White"], n, p=[0.2, 0.3, 0.5])
    sex = rng.choice(["Female", "Male"], n)
    label = (rng.random(n) < 0.4).astype(int)
    score = np.clip(rng.normal(5 + 1.5 * label - 0.8 * (race == "Black"), 1.5), 0, 9.999)
    frame = pd.DataFrame({"race": race, "sex": sex, "label": label, "score": score})
    result = biasaudit.audit(
        frame, attributes=["race", "sex"], score="score", threshold=5.0, label="label"
    )
    return frame, result


@pytest.fixture(scope="module")
def ranked():
    """A ranking audit of 30 jobs and an AuditResult carrying it as its ranking section."""
    rng = np.random.default_rng(5)
    rows = []
    for job in range(30):
        for _ in range(20):
            sex = rng.choice(["F", "M"])
            rows.append({"job": f"j{job}", "sex": sex, "score": rng.normal(0.3 * (sex == "M"))})
    frame = pd.DataFrame(rows)
    ranking = rank_audit(frame, attributes=["sex"], job="job", score="score", k=5, seed=1)
    frame["picked"] = (frame.groupby("job")["score"].rank(ascending=False) <= 5).astype(int)
    audit = biasaudit.audit(frame, attributes=["sex"], selected="picked")
    return ranking, dataclasses.replace(audit, sections={"ranking": ranking.to_dict()})


# --------------------------------------------------------------------------- impact ratios


def test_impact_ratios_points_and_intervals_are_the_results(study):
    ax = study.plot.impact_ratios("race")
    assert isinstance(ax, Axes)
    rows = group_rows(study, ["race"])
    drawn = points(ax)
    assert len(drawn) == len(rows) == 2
    for _, row in rows.iterrows():
        label = row["group_label"] + (
            " (comparison)" if row["verdict"] == "comparison group" else ""
        )
        got = drawn[label]
        assert got["value"] == pytest.approx(row["impact_ratio"], abs=1e-12)
        if row["verdict"] == "comparison group":  # its ratio to itself has no interval
            assert got["low"] == got["high"] == got["value"] == 1.0
            continue
        assert got["low"] == pytest.approx(row["impact_ratio_ci"][0], abs=1e-12)
        assert got["high"] == pytest.approx(row["impact_ratio_ci"][1], abs=1e-12)
    # Black or African American: 157/2435 over 235/2435 = 0.668, under four-fifths: a square
    assert drawn["Black or African American"]["value"] == pytest.approx(157 / 235)
    assert drawn["Black or African American"]["marker"] == "s"
    assert drawn["White (comparison)"]["marker"] == "D"
    assert vertical_lines(ax) == [(0.8, "--"), (1.0, ":")]
    assert "four-fifths 0.8" in texts(ax)
    assert ax.get_title(loc="left") == "Impact ratio by group: race"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["under 0.8", "comparison group"]


def test_default_draws_every_table_in_one_figure(study):
    axes = study.plot.impact_ratios()
    assert isinstance(axes, np.ndarray) and axes.shape == (3,)
    assert [a.get_title(loc="left") for a in axes] == [
        "Impact ratio by group: race",
        "Impact ratio by group: sex",
        "Impact ratio by group: race × sex",
    ]
    assert len({id(a.figure) for a in axes}) == 1
    assert [len(points(a)) for a in axes] == [2, 2, 4]


def test_a_single_table_audit_still_returns_an_array_by_default():
    result = biasaudit.audit(
        biasaudit.datasets.load_resume_study(), attributes=["sex"], selected="callback"
    )
    axes = result.plot.rates()
    assert isinstance(axes, np.ndarray) and axes.shape == (1,)


@pytest.mark.parametrize("attribute", [("race", "sex"), ["sex", "race"], "race x sex"])
def test_intersection_can_be_named_in_any_form(study, attribute):
    ax = study.plot.impact_ratios(attribute)
    assert tick_labels(ax) == [
        "Black or African American / Female",
        "Black or African American / Male",
        "White / Female (comparison)",
        "White / Male",
    ]
    rows = group_rows(study, ["race", "sex"])
    values = {k.replace(" (comparison)", ""): v["value"] for k, v in points(ax).items()}
    assert values == pytest.approx(dict(zip(rows["group_label"], rows["impact_ratio"])))


def test_excluded_and_insufficient_groups_are_written_out(small):
    ax = small.plot.impact_ratios("g")
    assert tick_labels(ax) == ["A (comparison)", "B", "C", "D"]
    assert set(points(ax)) == {"A (comparison)", "B", "C"}  # D has no ratio: no point
    assert EXCLUDED_NOTE in texts(ax)
    rows = group_rows(small, ["g"]).set_index("group_label")
    flagged = {k for k, v in points(ax).items() if v["marker"] == "s"}
    assert flagged == {g for g in ("B", "C") if rows.loc[g, "impact_ratio"] < 0.8}
    assert flagged  # the fixture has a four-fifths violation
    # the report's choice: leave excluded groups out altogether
    assert tick_labels(small.plot.impact_ratios("g", show_excluded=False)) == [
        "A (comparison)",
        "B",
        "C",
    ]


def test_undefined_ratios_say_insufficient_data():
    frame = _small_groups_frame()
    frame.loc[frame["g"] == "C", "s"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = biasaudit.audit(frame, attributes=["g"], selected="s", reference_group={"g": "C"})
    assert set(result.groups["verdict"][:3]) == {"insufficient data"}
    ax = result.plot.impact_ratios("g")
    assert points(ax) == {}
    assert texts(ax).count(INSUFFICIENT_NOTE) == 3
    assert tick_labels(ax)[2] == "C (comparison)"


def test_labels_are_plain_text_never_mathtext():
    frame = pd.DataFrame(
        {
            "grp": ["$x^2$"] * 50 + ["<b>bold</b>"] * 50,
            "s": [1] * 20 + [0] * 30 + [1] * 25 + [0] * 25,
        }
    )
    result = biasaudit.audit(frame, attributes=["grp"], selected="s")
    ax = result.plot.impact_ratios("grp")
    for label in ax.get_yticklabels():
        _, is_math = label._preprocess_math(label.get_text())
        assert is_math is False
    assert tick_labels(ax) == ["$x^2$", "<b>bold</b> (comparison)"]
    ax.figure.canvas.draw()  # renders without a mathtext error


def test_comparison_mark_survives_shortening_of_long_labels():
    long = "A group name that is much longer than forty-two characters"
    frame = pd.DataFrame(
        {"grp": [long] * 50 + ["short"] * 50, "s": [1, 0] * 25 + [1, 0, 0] * 16 + [0, 0]}
    )
    ax = biasaudit.audit(frame, attributes=["grp"], selected="s").plot.rates("grp")
    assert tick_labels(ax) == [long[:41] + "…" + " (comparison)", "short"]


def test_ax_is_respected(study):
    _, ax = plt.subplots()
    assert study.plot.impact_ratios("sex", ax=ax) is ax
    assert len(points(ax)) == 2
    _, grid = plt.subplots(3, 1)
    axes = study.plot.rates(ax=grid)
    assert list(axes) == list(grid)
    assert len(plt.get_fignums()) == 2  # nothing new was made


def test_ax_errors_are_clear(study):
    _, ax = plt.subplots()
    with pytest.raises(ValueError) as err:
        study.plot.impact_ratios(ax=ax)
    assert str(err.value) == (
        "ax= needs one Axes per chart: got 1 Axes for 3 charts (['race', 'sex', 'race x sex']). "
        "Pass attribute=... to draw one chart, or a sequence of 3 Axes."
    )
    with pytest.raises(ValueError) as err:
        study.plot.impact_ratios("race", ax="left")
    assert str(err.value) == (
        "ax must be a matplotlib Axes; got str. Pass ax=fig.add_subplot(), or leave it out "
        "for a new figure."
    )


def test_bad_attribute_names_are_clear(study):
    with pytest.raises(ValueError) as err:
        study.plot.impact_ratios("gender")
    assert str(err.value) == (
        "Attribute 'gender' is not in this audit. Present: ['race', 'sex', 'race x sex']. "
        "Pass attribute= one of those (an intersection as a tuple such as ('race', 'sex') or "
        "as 'race x sex')."
    )
    with pytest.raises(ValueError, match=r"^attribute must be a column name, a tuple"):
        study.plot.rates(attribute=3)


# --------------------------------------------------------------------------- rates


def test_rates_are_the_wilson_intervals(study):
    ax = study.plot.rates("sex")
    rows = group_rows(study, ["sex"]).set_index("group_label")
    drawn = points(ax)
    assert set(drawn) == {"Female (comparison)", "Male"}
    male = drawn["Male"]
    assert male["value"] == pytest.approx(83 / 1124)
    lo, hi = rows.loc["Male", "selection_rate_ci"]
    assert (male["low"], male["high"]) == pytest.approx((lo, hi), abs=1e-12)
    # Wilson score interval by hand for 83 of 1124
    z, n, p = 1.959963984540054, 1124, 83 / 1124
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert (male["low"], male["high"]) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert vertical_lines(ax) == []
    assert ax.get_title(loc="left") == "Selection rate by group: sex"


def test_rates_of_another_metric(scored):
    _, result = scored
    ax = result.plot.rates("race", metric="true_positive_rate")
    rows = group_rows(result, ["race"])
    got = {k.replace(" (comparison)", ""): v["value"] for k, v in points(ax).items()}
    assert got == pytest.approx(dict(zip(rows["group_label"], rows["true_positive_rate"])))
    comparison = result.tables[0]["comparison_groups"]["true_positive_rate"]
    assert f"{comparison[0]} (comparison)" in tick_labels(ax)
    ratios = result.plot.impact_ratios("race", metric="true_positive_rate")
    assert ratios.get_title(loc="left") == "Equal opportunity ratio by group: race"


def test_unknown_metric_is_clear(study):
    with pytest.raises(ValueError) as err:
        study.plot.rates(metric="true_positive_rate")
    assert str(err.value) == (
        "Metric 'true_positive_rate' has no rates in this audit. Metrics present: "
        "['selection_rate']. Pass metric= one of those."
    )


def test_plots_from_a_result_loaded_from_json(study):
    loaded = biasaudit.AuditResult.from_json(study.to_json())
    assert points(loaded.plot.impact_ratios("race")) == points(study.plot.impact_ratios("race"))


# --------------------------------------------------------------------------- scores


def test_score_distributions_match_a_histogram_of_the_raw_scores(scored):
    frame, result = scored
    ax = result.plot.score_distributions("race", bins=30)
    steps = ax.patches
    hists = result.score_histograms()
    assert [p.get_label() for p in steps] == [
        f"{g} (n={int((frame['race'] == g).sum())})" for g in hists["attributes"]["race"]["groups"]
    ]
    for patch, group in zip(steps, hists["attributes"]["race"]["groups"]):
        data = patch.get_data()
        edges, density = np.asarray(data.edges), np.asarray(data.values)
        assert len(density) == 30
        widths = np.diff(edges)
        assert float((density * widths).sum()) == pytest.approx(1.0)
        # the drawn bins are exact: counts equal a histogram of the raw scores on these edges
        scores = frame.loc[frame["race"] == group, "score"].to_numpy()
        counts, _ = np.histogram(scores, bins=edges)
        assert density * widths * len(scores) == pytest.approx(counts, abs=1e-6)


def test_score_distributions_by_label_and_default(scored):
    frame, result = scored
    axes = result.plot.score_distributions()
    assert axes.shape == (2,)
    assert [len(a.patches) for a in axes] == [3, 2]
    ax = result.plot.score_distributions("sex", label=1)
    n_pos = frame[frame["label"] == 1].groupby("sex").size()
    assert [p.get_label() for p in ax.patches] == [
        f"Female (n={n_pos['Female']})",
        f"Male (n={n_pos['Male']})",
    ]
    assert ax.get_title(loc="left") == "Score distribution by group: sex (label = 1)"


def test_score_errors(study, scored):
    _, result = scored
    with pytest.raises(ValueError) as err:
        study.plot.score_distributions()
    assert str(err.value) == (
        "This audit has no score histograms (decision: 'given'), so there are no score "
        "distributions to plot. Audit with score=COLUMN (biasaudit.audit(..., score='score'))."
    )
    with pytest.raises(ValueError) as err:
        result.plot.score_distributions(bins=0)
    assert str(err.value) == (
        "bins must be a whole number from 1 to 512 (the histograms' resolution); got 0. "
        "Pass e.g. bins=30."
    )
    with pytest.raises(ValueError, match=r"^label must be None, 0 or 1; got 2\."):
        result.plot.score_distributions(label=2)
    with pytest.raises(ValueError) as err:
        result.plot.score_distributions(("race", "sex"))
    assert str(err.value).startswith(
        "Attribute ('race', 'sex') is not in this audit's score histograms (single attributes). "
        "Present: ['race', 'sex']."
    )


def test_calibration_is_the_share_qualified_per_bin(scored):
    frame, result = scored
    ax = result.plot.calibration("race", bins=10, min_count=10)
    low, high = result.score_histograms()["range"]
    for line, group in zip(ax.lines, ["Asian", "Black", "White"]):
        part = frame[frame["race"] == group]
        edges = low + np.linspace(0, 512, 11).astype(int) * (high - low) / 512
        edges[-1] = high
        total, _ = np.histogram(part["score"], bins=edges)
        positive, _ = np.histogram(part.loc[part["label"] == 1, "score"], bins=edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = np.where(total >= 10, positive / total, np.nan)
        assert np.asarray(line.get_ydata()) == pytest.approx(expected, nan_ok=True)
        assert np.asarray(line.get_xdata()) == pytest.approx((edges[:-1] + edges[1:]) / 2)


def test_calibration_needs_a_label():
    frame = pd.DataFrame({"sex": ["F", "M"] * 50, "score": np.linspace(0, 1, 100)})
    result = biasaudit.audit(frame, attributes=["sex"], score="score", threshold=0.5)
    with pytest.raises(ValueError) as err:
        result.plot.calibration()
    assert str(err.value) == (
        "This audit has no ground-truth label, so calibration cannot be plotted. "
        "Audit with label=COLUMN (a 0/1 qualification column)."
    )


# --------------------------------------------------------------------------- exposure


def test_exposure_hand_computed():
    """Two jobs of four; weights 1/log2(1 + position)."""
    df = pd.DataFrame(
        {
            "job": ["a"] * 4 + ["b"] * 4,
            "sex": ["F", "M", "M", "F", "M", "F", "F", "M"],
            "rank": [4, 1, 2, 3, 1, 2, 3, 4],
        }
    )
    ranking = rank_audit(df, attributes=["sex"], job="job", rank="rank", k=2, n_bootstrap=0)
    w = {j: 1 / np.log2(1 + j) for j in range(1, 5)}
    female, male = (w[4] + w[3] + w[2] + w[3]) / 4, (w[1] + w[2] + w[1] + w[4]) / 4
    ax = P.plot_exposure(ranking, "sex", ratio=False)
    drawn = points(ax)
    assert drawn["F"]["value"] == pytest.approx(female)
    assert drawn["M (comparison)"]["value"] == pytest.approx(male)
    assert drawn["M (comparison)"]["marker"] == "D"
    ax = P.plot_exposure(ranking, "sex")
    assert points(ax)["F"]["value"] == pytest.approx(female / male)
    assert vertical_lines(ax) == [(1.0, "--")]


def test_exposure_from_the_ranking_section(ranked):
    ranking, result = ranked
    ax = result.plot.exposure("sex")
    table = ranking.to_frame()
    rows = table[(table["metric"] == "exposure_ratio") & (table["attribute"] == "sex")]
    drawn = {k.replace(" (comparison)", ""): v for k, v in points(ax).items()}
    assert len(drawn) == len(rows) == 2
    for _, row in rows.iterrows():
        got = drawn[row["group"]]
        assert got["value"] == pytest.approx(row["value"], abs=1e-12)
        assert (got["low"], got["high"]) == pytest.approx(
            (row["ci_low"], row["ci_high"]), abs=1e-12
        )
    assert ax.get_title(loc="left") == "Exposure ratio by group: sex"
    # the same numbers from the RankingResult itself and after a JSON round trip
    assert points(result.plot.exposure("sex", ranking=ranking)) == points(ax)
    loaded = biasaudit.AuditResult.from_json(result.to_json())
    assert points(loaded.plot.exposure("sex")) == points(ax)
    assert loaded.plot.exposure().shape == (1,)


def test_exposure_without_a_ranking_section_says_how_to_get_one(study):
    with pytest.raises(ValueError) as err:
        study.plot.exposure()
    assert str(err.value) == (
        "This result has no ranking section (sections present: []), so there is no exposure "
        "to plot. Audit with biasaudit.audit(..., ranking=True), or pass ranking=rank_audit(...) "
        "(a RankingResult from biasaudit.rank_audit, or its to_dict())."
    )
    with pytest.raises(ValueError, match=r"^ranking must be a RankingResult, its to_dict\(\)"):
        study.plot.exposure(ranking=[1, 2])


def test_exposure_undefined_values_are_marked():
    records = [
        {
            "attribute": "sex",
            "group": g,
            "metric": m,
            "k": None,
            "value": v,
            "ci_low": None,
            "ci_high": None,
            "n": 3,
            "p_value": None,
        }
        for g, m, v in [("F", "exposure_ratio", None), ("M", "exposure_ratio", 1.0)]
    ]
    ax = P.plot_exposure({"kind": "ranking", "metrics": records}, "sex")
    assert INSUFFICIENT_NOTE in texts(ax)
    assert points(ax) == {"M (comparison)": {"value": 1.0, "low": 1.0, "high": 1.0, "marker": "D"}}


def test_accessor_repr(study):
    assert "impact_ratios()" in repr(study.plot)


def test_charts_use_the_report_style_also_on_the_callers_axes() -> None:
    from biasaudit.reports._charts import draw_intervals

    fig, ax = plt.subplots()
    draw_intervals(ax, ["A", "B"], [1.0, 0.7], [0.9, 0.6], [1.1, 0.8], title="t", xlabel="x")
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible()
    assert {label.get_fontsize() for label in ax.get_yticklabels()} == {9}
    plt.close(fig)
