"""make_pool(): a synthetic candidate pool with known, injected bias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit._validation import validate_params
from biasaudit.audit import audit
from biasaudit.synth import _bias as B
from biasaudit.synth._jobs import Job, make_jobs
from biasaudit.synth._names import draw_names
from biasaudit.synth._pool_model import (
    DEFAULT_SHARES,
    POOL_CONSTRAINTS,
    _build_model,
    _cells,
    _check_knobs,
    _resolve_shares,
    _resolve_unknown,
    _true_groups,
)
from biasaudit.synth._pool_sample import (
    _SCORE_CENTER,
    _SCORE_SCALE,
    _features,
    _sample,
    _sample_groups,
)
from biasaudit.synth._text import render_resumes

__all__ = ["DEFAULT_SHARES", "SyntheticPool", "TrueEffects", "make_pool"]


@dataclass(frozen=True)
class TrueEffects:
    """The exact effect sizes of a synthetic pool's generative model.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per (attribute combination, group), labelled as in
        ``AuditResult.groups_frame()`` (join the two on ``attribute_label`` and
        ``group_label``): ``share`` (of the population, before unknowns are masked),
        ``selection_rate``,
        ``impact_ratio`` (over the highest selection rate of the same table, as in
        Local Law 144), ``qualified_rate``, ``historical_hire_rate``,
        ``true_positive_rate`` and ``false_positive_rate``. These are population
        values: a pool of finite size estimates them.
    knobs : pandas.DataFrame
        One row per bias knob: what it asked for, the model parameter calibrated to
        it, and what it implies on its own (``implied_impact_ratio`` of selection,
        ``implied_qualified_ratio``, ``implied_historical_hire_ratio``).
    threshold : float
        Score at or above which a candidate is ``selected``.
    selection_rate, qualified_rate : float
        Rates of a candidate that no knob touches.
    """

    groups: pd.DataFrame
    knobs: pd.DataFrame
    threshold: float
    selection_rate: float
    qualified_rate: float

    def impact_ratio(self, attribute: str, group: str, reference: str | None = None) -> float:
        """True selection impact ratio of ``group`` against ``reference`` (default: the highest).

        Examples
        --------
        >>> pool = make_pool(100, bias="race=Black or African American:0.7", seed=1,
        ...                  resume_text=False)
        >>> round(pool.effects.impact_ratio("race", "Black or African American", "White"), 6)
        0.7
        """
        table = self.groups[self.groups["attribute_label"] == attribute].set_index("group_label")
        if group not in table.index or (reference is not None and reference not in table.index):
            raise KeyError(f"Groups of {attribute!r}: {table.index.tolist()}")
        if reference is None:
            return float(table.loc[group, "impact_ratio"])
        return float(table.loc[group, "selection_rate"] / table.loc[reference, "selection_rate"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "threshold": self.threshold,
            "selection_rate": self.selection_rate,
            "qualified_rate": self.qualified_rate,
            "knobs": self.knobs.to_dict(orient="records"),
            "groups": self.groups.to_dict(orient="records"),
        }


@dataclass(frozen=True)
class SyntheticPool:
    """A synthetic candidate pool, its job postings and the truth it was generated from.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per candidate (columns listed in :func:`make_pool`).
    jobs : tuple of Job
        The postings candidates applied to (``data["job_id"]``).
    effects : TrueEffects
        The exact effect sizes the audit should find.
    attributes : tuple of str
        The protected attributes generated.
    bias : tuple of Bias
        The knobs applied.
    """

    data: pd.DataFrame = field(repr=False)
    jobs: tuple[Job, ...] = field(repr=False)
    effects: TrueEffects = field(repr=False)
    attributes: tuple[str, ...]
    bias: tuple[B.Bias, ...]
    seed: int | None = None

    def audit(self, **options: Any) -> Any:
        """Audit the pool's ``selected`` decisions (keyword arguments override the defaults).

        Defaults: ``attributes`` generated, ``selected="selected"``,
        ``label="qualified"``, ``job="job_id"``.

        Examples
        --------
        >>> pool = make_pool(2000, seed=3, resume_text=False)
        >>> result = pool.audit()
        >>> sorted(result.groups_frame()["attribute_label"].unique())
        ['race', 'sex', 'sex x race']
        """
        defaults: dict[str, Any] = {
            "attributes": list(self.attributes),
            "label": "qualified",
            "job": "job_id",
        }
        if not {"score", "threshold", "top_k", "top_fraction", "selected"} & set(options):
            defaults["selected"] = "selected"
        return audit(self.data, **{**defaults, **options})


@validate_params(POOL_CONSTRAINTS)
def make_pool(
    n: int,
    *,
    jobs: int = 3,
    attributes: Sequence[str] = ("sex", "race"),
    shares: Mapping[str, Mapping[str, float]] | None = None,
    bias: Any = None,
    unknown_share: float | Mapping[str, float] = 0.0,
    selection_rate: float = 0.3,
    qualified_rate: float = 0.5,
    noise_sd: float = 0.5,
    resume_text: bool = True,
    seed: int | None = None,
) -> SyntheticPool:
    """Generate a candidate pool with bias of a known kind and size injected.

    The model: each candidate has true groups (drawn with ``shares``), a latent
    qualification ``z ~ N(mu, 1)``, proxy features (a district, an employment gap, an
    open-admission college), and a matcher score ``50 + 10 * (z + delta - penalties +
    N(0, noise_sd^2))``. ``selected`` is ``score >= threshold``, the threshold being set
    so that a candidate no knob touches is selected with ``selection_rate``;
    ``qualified`` (the ground truth) is ``z`` above the cut that makes
    ``qualified_rate`` of untouched candidates qualified; ``historical_hire`` is a
    past decision that records qualified candidates as hired (a biased label under the
    ``label`` knob). Other features (education, experience, skills matched to the
    posting) are noisy views of ``z``.

    Parameters
    ----------
    n : int
        Number of candidates.
    jobs : int
        Number of job postings; each candidate applies to one, uniformly.
    attributes : sequence of str
        Protected attributes to generate, from ``"sex"``, ``"race"`` (EEO-1
        race/ethnicity), ``"age_band"`` and ``"disability"``.
    shares : mapping, optional
        Group shares per attribute, e.g. ``{"race": {"White": 0.5, "Asian": 0.5}}``;
        omitted groups get 0, and the shares must sum to 1. Defaults:
        ``DEFAULT_SHARES``.
    bias : str, Bias, sequence or mapping, optional
        Bias knobs, each ``[KNOB:]ATTRIBUTE=GROUP:VALUE`` (see :class:`Bias`):

        - ``direct`` (the default knob): the matcher's score is shifted for the group,
          so that its selection rate is ``VALUE`` times an untouched group's;
        - ``proxy_location``, ``proxy_gap``, ``proxy_college``: the score penalises a
          feature (a district, an employment gap over six months, an open-admission
          college) that is more common in the group, calibrated so that the group's
          selection rate is ``VALUE`` times an untouched group's;
        - ``base_rate``: the group's true qualification rate is ``VALUE`` times an
          untouched group's (a real difference, which the score then reflects);
        - ``label``: past decisions recorded only ``VALUE`` of the group's qualified
          candidates as hired (``historical_hire``).

        Each knob is calibrated alone; when several touch the same candidates their
        effects combine in the model and ``effects.groups`` gives the exact result.
    unknown_share : float or mapping
        Share of candidates whose recorded attribute is ``"Unknown"`` (at random; the
        bias still acts on their true group).
    selection_rate, qualified_rate : float
        Rates of an untouched candidate, in (0, 1).
    noise_sd : float
        Standard deviation of the score noise beyond qualification.
    resume_text : bool
        Render a ``resume_text`` column (slower; off for large simulations).
    seed : int, optional
        Seed of the random generator; the same seed gives the same pool.

    Returns
    -------
    SyntheticPool
        ``.data`` has the columns ``candidate_id``, ``first_name``, ``last_name``, the
        attributes, ``job_id``, ``job_title``, ``education``, ``college``,
        ``years_experience``, ``employment_gap_months``, ``location``, ``skills``,
        ``required_skills_matched``, ``qualified``, ``historical_hire``, ``score``,
        ``selected`` and (optionally) ``resume_text``; ``.effects`` the true effects.

    Raises
    ------
    biasaudit.ValidationError
        For an unknown knob, attribute or group, shares that do not sum to 1, or a
        knob value the model cannot reach.

    Examples
    --------
    >>> from biasaudit.synth import make_pool
    >>> pool = make_pool(20_000, bias={"race=Black or African American": 0.7}, seed=7,
    ...                  resume_text=False)
    >>> pool.effects.knobs[["knob", "group", "implied_impact_ratio"]].round(3)
         knob                      group  implied_impact_ratio
    0  direct  Black or African American                   0.7
    >>> result = pool.audit(reference_group={"race": "White"})
    >>> row = result.groups_frame().query("group_label == 'Black or African American'")
    >>> low, high = row["impact_ratio_ci"].iloc[0]
    >>> bool(low < 0.7 < high)
    True
    """
    n, n_jobs = int(n), int(jobs)
    attributes = tuple(E.attribute_list(attributes))  # refuses an attribute named twice
    if not attributes:
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name="attributes",
                expected=f"one or more of {list(DEFAULT_SHARES)}",
                value=list(attributes),
                fix="Pass e.g. attributes=['sex', 'race'].",
            )
        )
    for name in attributes:
        if name not in DEFAULT_SHARES:
            raise ValidationError(
                E.UNKNOWN_SYNTH_ATTRIBUTE.format(name=name, known=list(DEFAULT_SHARES))
            )
    selection_rate, qualified_rate = float(selection_rate), float(qualified_rate)
    resolved = _resolve_shares(attributes, shares)
    unknown = _resolve_unknown(attributes, unknown_share)
    knobs = B.parse_bias(bias)
    _check_knobs(knobs, resolved)
    cells = _cells(resolved)
    model, records = _build_model(knobs, cells, selection_rate, qualified_rate, float(noise_sd))
    threshold = _SCORE_CENTER + _SCORE_SCALE * model.threshold
    effects = TrueEffects(
        groups=_true_groups(model, cells),
        knobs=pd.DataFrame(records, columns=_KNOB_COLUMNS),
        threshold=threshold,
        selection_rate=selection_rate,
        qualified_rate=qualified_rate,
    )
    rng = np.random.default_rng(seed)
    true_codes, observed = _sample_groups(rng, n, resolved, unknown)
    draw = _sample(rng, n, model, cells, true_codes)
    job_list = make_jobs(n_jobs)
    data = _frame(rng, n, draw, true_codes, observed, resolved, job_list, threshold)
    if resume_text:
        data["resume_text"] = render_resumes(data)
    return SyntheticPool(data, job_list, effects, attributes, tuple(knobs), seed)


_KNOB_COLUMNS = [
    "knob",
    "attribute",
    "group",
    "value",
    "parameter",
    "parameter_value",
    "implied_impact_ratio",
    "implied_qualified_ratio",
    "implied_historical_hire_ratio",
]


def _frame(
    rng: np.random.Generator,
    n: int,
    draw: dict[str, np.ndarray],
    true_codes: dict[str, np.ndarray],
    observed: dict[str, pd.Categorical],
    shares: dict[str, dict[str, float]],
    jobs: tuple[Job, ...],
    threshold: float,
) -> pd.DataFrame:
    race = true_codes.get("race", np.zeros(n, dtype=np.int16))
    race_labels = list(shares["race"]) if "race" in shares else ["general"]
    if "sex" in true_codes:
        sex, sex_labels = true_codes["sex"], list(shares["sex"])
    else:
        sex, sex_labels = rng.integers(0, 2, n), ["Female", "Male"]
    first, last = draw_names(race, race_labels, sex, sex_labels, rng)
    score = _SCORE_CENTER + _SCORE_SCALE * draw["latent"]
    columns: dict[str, Any] = {
        "candidate_id": np.arange(1, n + 1, dtype=np.int64),
        "first_name": first,
        "last_name": last,
        **observed,
        **_features(rng, n, draw["z"], draw["x"], jobs),
        "qualified": draw["qualified"].astype(np.int8),
        "historical_hire": draw["historical"].astype(np.int8),
        "score": score,
        "selected": (score >= threshold).astype(np.int8),
    }
    return pd.DataFrame(columns, copy=False)
