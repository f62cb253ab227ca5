"""make_pool(): a synthetic candidate pool with known, injected bias."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit._validation import Interval, MappingOf, instance_of, validate_params
from biasaudit.audit import audit
from biasaudit.pool import UNKNOWN, combinations_for
from biasaudit.synth import _bias as B
from biasaudit.synth._jobs import OCCUPATIONS, Job, make_jobs, skill_lookup
from biasaudit.synth._names import draw_names
from biasaudit.synth._text import render_resumes

__all__ = ["DEFAULT_SHARES", "SyntheticPool", "TrueEffects", "make_pool"]

#: Groups of each attribute the generator knows, with default shares. Race/ethnicity
#: and sex follow the EEO-1 categories; the shares are a plausible US applicant mix in
#: round numbers, not a measured distribution.
DEFAULT_SHARES: dict[str, dict[str, float]] = {
    "sex": {"Female": 0.47, "Male": 0.53},
    "race": {
        "White": 0.58,
        "Hispanic or Latino": 0.18,
        "Black or African American": 0.13,
        "Asian": 0.07,
        "Native Hawaiian or Pacific Islander": 0.005,
        "Native American or Alaska Native": 0.01,
        "Two or More Races": 0.025,
    },
    "age_band": {"Under 40": 0.55, "40 and over": 0.45},
    "disability": {"No": 0.9, "Yes": 0.1},
}
_EDUCATION = (
    "High school diploma",
    "Associate degree",
    "Bachelor's degree",
    "Master's degree",
    "Doctorate",
)
_EDUCATION_CUTS = (-0.9, -0.1, 0.9, 1.9)
_DISTRICTS = (
    "Riverside",
    "Oak Park",
    "Hillcrest",
    "Lakeview",
    "Fairmont",
    "Westgate",
    "Northbrook",
)
_PENALISED_DISTRICTS = ("Southfield", "Millbrook", "Eastgate Flats")
_SELECTIVE_COLLEGES = (
    "Westbrook University",
    "Hillcrest College",
    "Summit State University",
    "Carrington Institute of Technology",
)
_OPEN_COLLEGES = (
    "Northfield Community College",
    "Lakeside Technical College",
    "Metro Open University",
)
_SCORE_CENTER, _SCORE_SCALE = 50.0, 10.0


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


# -- argument checks -------------------------------------------------------------------------

_SHARE_FIX = "Pass e.g. unknown_share=0.02 (or a mapping per attribute)."
_SHARE = Interval(numbers.Real, 0, 1, closed="left", fix=_SHARE_FIX)
#: make_pool's numeric arguments (the knobs are checked against the model they calibrate).
POOL_CONSTRAINTS = {
    "n": [Interval(numbers.Integral, 1, None, fix="Pass the number of candidates, e.g. n=10_000.")],
    "jobs": [Interval(numbers.Integral, 1, None, fix="Pass e.g. jobs=3.")],
    "unknown_share": [_SHARE, MappingOf([_SHARE], fix=_SHARE_FIX)],
    "selection_rate": [
        Interval(numbers.Real, 0, 1, closed="neither", fix="Pass e.g. selection_rate=0.3.")
    ],
    "qualified_rate": [
        Interval(numbers.Real, 0, 1, closed="neither", fix="Pass e.g. qualified_rate=0.5.")
    ],
    "noise_sd": [Interval(numbers.Real, 0, 100, closed="left", fix="Pass e.g. noise_sd=0.5.")],
    "resume_text": [instance_of(bool)],
    "seed": [None, Interval(numbers.Integral, 0, None, fix="Pass e.g. seed=7.")],
}


def _resolve_shares(
    attributes: Sequence[str], shares: Mapping[str, Mapping[str, float]] | None
) -> dict[str, dict[str, float]]:
    out = {}
    shares = dict(shares or {})
    for name in shares:
        if name not in attributes:
            raise ValidationError(
                E.UNKNOWN_SYNTH_ATTRIBUTE.format(name=name, known=list(attributes))
            )
    for attribute in attributes:
        known = DEFAULT_SHARES[attribute]
        given = shares.get(attribute)
        if given is None:
            out[attribute] = dict(known)
            continue
        unknown = [g for g in given if g not in known]
        if unknown:
            raise ValidationError(
                E.UNKNOWN_SHARE_GROUP.format(attribute=attribute, groups=unknown, known=list(known))
            )
        values = {g: float(given.get(g, 0.0)) for g in known}
        total = sum(values.values())
        if any(not np.isfinite(v) or v < 0 for v in values.values()) or abs(total - 1) > 1e-6:
            raise ValidationError(
                E.BAD_SHARES.format(attribute=attribute, shares=dict(given), total=total)
            )
        # Groups given a zero share are left out: the pool has no such category at all.
        out[attribute] = {g: v for g, v in values.items() if v > 0}
    return out


def _resolve_unknown(attributes: Sequence[str], unknown_share: Any) -> dict[str, float]:
    if isinstance(unknown_share, Mapping):
        extra = [a for a in unknown_share if a not in attributes]
        if extra:
            raise ValidationError(
                E.UNKNOWN_SYNTH_ATTRIBUTE.format(name=extra[0], known=list(attributes))
            )
        raw = {a: unknown_share.get(a, 0.0) for a in attributes}
    else:
        raw = dict.fromkeys(attributes, unknown_share)
    return {a: float(v) for a, v in raw.items()}  # each in [0, 1): make_pool checked it


def _check_knobs(knobs: list[B.Bias], shares: dict[str, dict[str, float]]) -> None:
    for knob in knobs:
        if knob.attribute not in shares:
            raise ValidationError(
                E.BAD_BIAS_TARGET.format(
                    knob=knob.name, what="attribute", value=knob.attribute, choices=list(shares)
                )
            )
        groups = list(shares[knob.attribute])
        if knob.group not in groups:
            raise ValidationError(
                E.BAD_BIAS_TARGET.format(
                    knob=knob.name, what="group", value=knob.group, choices=groups
                )
            )
        bad = not np.isfinite(knob.value) or knob.value <= 0
        if bad or (knob.knob == "label" and knob.value > 1):
            expected = "in (0, 1]" if knob.knob == "label" else "a positive ratio"
            raise ValidationError(
                E.BAD_BIAS_VALUE.format(
                    knob=knob.name, value=knob.value, expected=expected, fix="Pass e.g. 0.7."
                )
            )


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cells:
    attributes: tuple[str, ...]
    groups: tuple[tuple[str, ...], ...]
    codes: np.ndarray  # (cells, attributes) group code of each attribute
    weight: np.ndarray  # (cells,) population probability


def _cells(shares: dict[str, dict[str, float]]) -> _Cells:
    attributes = tuple(shares)
    groups = tuple(tuple(shares[a]) for a in attributes)
    grid = np.array(np.meshgrid(*[np.arange(len(g)) for g in groups], indexing="ij"))
    codes = grid.reshape(len(attributes), -1).T
    probabilities = [np.array(list(shares[a].values())) for a in attributes]
    weight = np.prod([p[codes[:, i]] for i, p in enumerate(probabilities)], axis=0)
    return _Cells(attributes, groups, codes, weight)


def _build_model(
    knobs: list[B.Bias],
    cells: _Cells,
    selection_rate: float,
    qualified_rate: float,
    noise_sd: float,
) -> tuple[B.Model, list[dict[str, Any]]]:
    features = list(B.PROXY_FEATURES)
    base = np.array([B.PROXY_FEATURES[f][1] for f in features])
    used = {k.knob for k in knobs}
    beta = np.array([B.PROXY_FEATURES[f][2] if f in used else 0.0 for f in features])
    t = B.calibrate_threshold(beta, base, noise_sd, selection_rate)
    cut = float(stats.norm.isf(qualified_rate))
    n_cells = len(cells.weight)
    mu, delta, keep = np.zeros(n_cells), np.zeros(n_cells), np.ones(n_cells)
    prevalence = np.tile(base, (n_cells, 1))
    records = []
    for knob in knobs:
        member = cells.codes[:, cells.attributes.index(knob.attribute)] == list(
            cells.groups[cells.attributes.index(knob.attribute)]
        ).index(knob.group)
        one = _one_cell_model(knob, beta, base, noise_sd, t, cut, qualified_rate)
        mu[member] += one["mu"]
        delta[member] += one["delta"]
        keep[member] *= one["keep"]
        prevalence[member] = np.clip(prevalence[member] + one["prevalence"] - base, 0, 1)
        records.append(one["record"])
    model = B.Model(mu, delta, keep, prevalence, beta, noise_sd, t, cut)
    return model, records


def _one_cell_model(
    knob: B.Bias,
    beta: np.ndarray,
    base: np.ndarray,
    noise_sd: float,
    t: float,
    cut: float,
    qualified_rate: float,
) -> dict[str, Any]:
    """Calibrate one knob alone and compute what it implies."""
    mu, delta, keep, prevalence = 0.0, 0.0, 1.0, base.copy()
    if knob.knob == "direct":
        delta = B.calibrate_direct(knob.value, knob, beta, base, noise_sd, t)
        parameter = ("score_shift_sd", delta)
    elif knob.knob in B.PROXY_FEATURES:
        index = list(B.PROXY_FEATURES).index(knob.knob)
        prevalence[index] = B.calibrate_proxy(knob.value, knob, index, beta, base, noise_sd, t)
        parameter = (f"{B.PROXY_FEATURES[knob.knob][0]}_prevalence", prevalence[index])
    elif knob.knob == "base_rate":
        mu = B.base_rate_shift(knob.value, knob, qualified_rate, cut)
        parameter = ("qualification_shift_sd", mu)
    else:
        keep = knob.value
        parameter = ("share_of_qualified_recorded_hired", keep)
    mean = np.array([0.0, mu + delta])
    prev = np.stack([base, prevalence])
    sel = B.selection_rate(mean, prev, beta, noise_sd, t)
    qual = stats.norm.sf(cut - np.array([0.0, mu]))
    record = {
        "knob": knob.knob,
        "attribute": knob.attribute,
        "group": knob.group,
        "value": knob.value,
        "parameter": parameter[0],
        "parameter_value": float(parameter[1]),
        "implied_impact_ratio": float(sel[1] / sel[0]),
        "implied_qualified_ratio": float(qual[1] / qual[0]),
        "implied_historical_hire_ratio": float(keep * qual[1] / qual[0]),
    }
    return {"mu": mu, "delta": delta, "keep": keep, "prevalence": prevalence, "record": record}


_TRUTH_COLUMNS = [
    "attribute_label",
    "group_label",
    "share",
    "selection_rate",
    "impact_ratio",
    "qualified_rate",
    "historical_hire_rate",
    "true_positive_rate",
    "false_positive_rate",
]


def _cell_rates(model: B.Model) -> dict[str, np.ndarray]:
    """Per cell: P(selected), P(qualified), P(selected and qualified), P(historical hire)."""
    mean = model.mu + model.delta
    args = (model.prevalence, model.beta, model.noise_sd, model.threshold)
    qualified = stats.norm.sf(model.qualified_cut - model.mu)
    return {
        "selected": B.selection_rate(mean, *args),
        "qualified": qualified,
        "both": B.joint_rate(model.mu, mean, *args, model.qualified_cut),
        "historical": model.keep * qualified,
    }


def _group_row(weight: np.ndarray, rates: dict[str, np.ndarray]) -> dict[str, float]:
    """Population rates of a group from the weights and rates of its cells."""
    total = weight.sum()
    s, q, j, h = (float((weight * rates[k]).sum()) for k in ("selected", "qualified", "both",
                                                                "historical"))  # fmt: skip
    return {
        "share": float(total),
        "selection_rate": s / total,
        "qualified_rate": q / total,
        "historical_hire_rate": h / total,
        "true_positive_rate": j / q if q > 0 else np.nan,
        "false_positive_rate": (s - j) / (total - q) if total - q > 0 else np.nan,
    }


def _true_groups(model: B.Model, cells: _Cells) -> pd.DataFrame:
    """Exact rates of every group of every audited attribute combination."""
    rates = _cell_rates(model)
    rows = []
    for combo in combinations_for(cells.attributes):  # the audit's default tables
        index = [cells.attributes.index(a) for a in combo]
        keys = [tuple(c) for c in cells.codes[:, index]]
        labels = {k: " / ".join(cells.groups[i][c] for i, c in zip(index, k)) for k in keys}
        table: list[dict[str, Any]] = []
        for key in sorted(labels, key=lambda k: labels[k]):  # the audit's order: by label
            member = np.array([k == key for k in keys])
            part = {name: values[member] for name, values in rates.items()}
            row = _group_row(cells.weight[member], part)
            table.append({"attribute_label": " x ".join(combo), "group_label": labels[key], **row})
        top = max(r["selection_rate"] for r in table)
        rows += [{**r, "impact_ratio": r["selection_rate"] / top} for r in table]
    return pd.DataFrame(rows)[_TRUTH_COLUMNS]


# -- sampling --------------------------------------------------------------------------------


def _categorical(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=list(labels))


def _job_titles(job: np.ndarray, jobs: tuple[Job, ...]) -> pd.Categorical:
    """Each candidate's job title; titles repeat once jobs outnumber the occupations."""
    unique = list(dict.fromkeys(j.title for j in jobs))
    code_of_job = np.array([unique.index(j.title) for j in jobs])
    return _categorical(code_of_job[job], unique)


def _sample_groups(
    rng: np.random.Generator,
    n: int,
    shares: dict[str, dict[str, float]],
    unknown: dict[str, float],
) -> tuple[dict[str, np.ndarray], dict[str, pd.Categorical]]:
    true_codes, observed = {}, {}
    for attribute, groups in shares.items():
        p = np.array(list(groups.values()))
        codes = np.searchsorted(np.cumsum(p), rng.random(n) * p.sum(), side="right")
        codes = np.minimum(codes, len(p) - 1).astype(np.int16)
        true_codes[attribute] = codes
        labels = list(groups)
        shown = codes
        if unknown[attribute] > 0:
            masked = rng.random(n) < unknown[attribute]
            shown = np.where(masked, len(labels), codes).astype(np.int16)
            labels = [*labels, UNKNOWN]
        observed[attribute] = _categorical(shown, labels)
    return true_codes, observed


def _sample(
    rng: np.random.Generator,
    n: int,
    model: B.Model,
    cells: _Cells,
    true_codes: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    radix = np.array([len(g) for g in cells.groups])
    cell = np.zeros(n, dtype=np.int64)
    for i, attribute in enumerate(cells.attributes):
        cell = cell * radix[i] + true_codes[attribute]
    z = rng.standard_normal(n) + model.mu[cell]
    x = rng.random((len(model.beta), n)) < model.prevalence[cell].T
    latent = z + model.delta[cell] - model.beta @ x + model.noise_sd * rng.standard_normal(n)
    qualified = z > model.qualified_cut
    historical = qualified & (rng.random(n) < model.keep[cell])
    return {"z": z, "x": x, "latent": latent, "qualified": qualified, "historical": historical}


def _features(
    rng: np.random.Generator, n: int, z: np.ndarray, x: np.ndarray, jobs: tuple[Job, ...]
) -> dict[str, Any]:
    location_x, gap_x, college_x = x
    years = np.clip(np.rint(7 + 3.5 * z + 3 * rng.standard_normal(n)), 0, 45).astype(np.int16)
    education = np.searchsorted(_EDUCATION_CUTS, 0.8 * z + 0.6 * rng.standard_normal(n))
    district = np.where(
        location_x,
        len(_DISTRICTS) + rng.integers(0, len(_PENALISED_DISTRICTS), n),
        rng.integers(0, len(_DISTRICTS), n),
    )
    college = np.where(
        college_x,
        len(_SELECTIVE_COLLEGES) + rng.integers(0, len(_OPEN_COLLEGES), n),
        rng.integers(0, len(_SELECTIVE_COLLEGES), n),
    )
    gap = np.where(gap_x, rng.integers(7, 37, n), 0).astype(np.int16)
    job = rng.integers(0, len(jobs), n).astype(np.int32)
    skills_mask, matched = _skills(rng, n, z)
    titles = list(OCCUPATIONS)
    occupation = np.array([titles.index(j.title) for j in jobs])[job]
    categories, inverse = _skill_table()
    skills = pd.Categorical.from_codes(
        inverse[occupation * 1024 + skills_mask], dtype=pd.CategoricalDtype(categories)
    )
    return {
        "job_id": _categorical(job, [j.id for j in jobs]),
        "job_title": _job_titles(job, jobs),
        "education": _categorical(education, _EDUCATION),
        "college": _categorical(college, _SELECTIVE_COLLEGES + _OPEN_COLLEGES),
        "years_experience": years,
        "employment_gap_months": gap,
        "location": _categorical(district, _DISTRICTS + _PENALISED_DISTRICTS),
        "skills": skills,
        "required_skills_matched": matched,
    }


@lru_cache(maxsize=1)
def _skill_table() -> tuple[pd.Index, np.ndarray]:
    """Distinct skill texts of every (occupation, skill mask), and each one's position."""
    lookup = skill_lookup(make_jobs(len(OCCUPATIONS)))
    categories, inverse = np.unique(lookup, return_inverse=True)
    return pd.Index(categories.tolist()), np.ravel(inverse)


def _skills(rng: np.random.Generator, n: int, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """10-bit mask of the skills held: required (4), preferred (3), other (3)."""
    logits = (
        np.array([0.5] * 4 + [-0.5] * 3)[:, None] + np.array([1.2] * 4 + [1.0] * 3)[:, None] * z
    )
    p = np.vstack([1 / (1 + np.exp(-logits)), np.full((3, n), 0.3)])
    held = rng.random((10, n)) < p
    mask = (held.astype(np.int64) << np.arange(10)[:, None]).sum(axis=0)
    return mask, held[:4].sum(axis=0).astype(np.int8)


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
    attributes = tuple(dict.fromkeys([attributes] if isinstance(attributes, str) else attributes))
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
