"""Bias knobs: parsing, calibration to a target effect, and the exact true effects.

The generative model (documented in :func:`biasaudit.synth.make_pool`) is Gaussian:
latent qualification ``z ~ N(mu_cell, 1)``, matcher score
``S = z + delta_cell - sum_f beta_f x_f + N(0, sigma^2)`` with binary proxy features
``x_f ~ Bernoulli(p_f,cell)`` independent of ``z``. Every rate of the model is
therefore a closed-form mixture of normal tail probabilities, which is what makes
the recorded "true" effects exact rather than estimated.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

from biasaudit import _errors as E
from biasaudit._errors import ValidationError

__all__ = ["KNOBS", "PROXY_FEATURES", "Bias", "parse_bias"]

#: Knob name -> what its value means.
KNOBS: dict[str, str] = {
    "direct": "impact ratio of the group's selection rate caused by a direct score penalty",
    "proxy_location": "impact ratio caused through living in a penalised district",
    "proxy_gap": "impact ratio caused through a penalised employment gap",
    "proxy_college": "impact ratio caused through a penalised open-admission college",
    "base_rate": "ratio of the group's rate of true qualification to an untouched group's",
    "label": "share of the group's qualified candidates whom past decisions recorded as hired",
}
#: Proxy feature -> (column in the pool, prevalence outside targeted groups, score penalty).
PROXY_FEATURES: dict[str, tuple[str, float, float]] = {
    "proxy_location": ("location", 0.15, 1.0),
    "proxy_gap": ("employment_gap", 0.15, 1.0),
    "proxy_college": ("college", 0.30, 0.6),
}
_SPEC = re.compile(
    r"^\s*(?:(?P<knob>[A-Za-z_]+)\s*:)?\s*(?P<attr>[^=:]+?)\s*=\s*"
    r"(?P<group>.+?)\s*:\s*(?P<value>[^:]+?)\s*$"
)


@dataclass(frozen=True)
class Bias:
    """One bias knob: a kind of bias, the group it targets and its size.

    Parameters
    ----------
    knob : str
        One of ``KNOBS``: ``"direct"``, ``"proxy_location"``, ``"proxy_gap"``,
        ``"proxy_college"``, ``"base_rate"``, ``"label"``.
    attribute : str
        The attribute of the targeted group (``"race"``, ``"sex"``, ...).
    group : str
        The targeted group, e.g. ``"Black or African American"``.
    value : float
        The knob's size: an impact ratio for ``direct`` and ``proxy_*`` (the
        group's selection rate over an untouched group's, this knob acting alone);
        a ratio of qualification rates for ``base_rate``; the share of qualified
        group members that past decisions recorded as hired for ``label``.

    Examples
    --------
    >>> Bias.parse("race=Black or African American:0.7")
    Bias(knob='direct', attribute='race', group='Black or African American', value=0.7)
    >>> Bias.parse("base_rate:sex=Female:0.9").knob
    'base_rate'
    """

    knob: str
    attribute: str
    group: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Bias:
        """Read ``[KNOB:]ATTRIBUTE=GROUP:VALUE`` (the knob defaults to ``direct``)."""
        match = _SPEC.match(text)
        if match is None:
            raise ValidationError(E.BAD_BIAS_SPEC.format(text=text))
        group = match["group"].strip().strip("\"'")
        return cls(
            _check_knob(match["knob"] or "direct"),
            match["attr"].strip(),
            group,
            _to_float(match["value"], text),
        )

    @property
    def name(self) -> str:
        """The knob in its text form."""
        return f"{self.knob}:{self.attribute}={self.group}"


def _check_knob(name: str) -> str:
    if name not in KNOBS:
        raise ValidationError(E.UNKNOWN_BIAS_KNOB.format(name=name, known=list(KNOBS)))
    return name


def _to_float(value: Any, knob: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number):
        raise ValidationError(
            E.BAD_BIAS_VALUE.format(
                knob=knob, value=value, expected="a finite number", fix="Pass e.g. 0.7."
            )
        )
    return number


def parse_bias(bias: Any) -> list[Bias]:
    """Normalise the ``bias=`` argument of ``make_pool`` to a list of :class:`Bias`.

    Accepts ``None``, a :class:`Bias`, a ``"[KNOB:]ATTR=GROUP:VALUE"`` string, a
    sequence of those, or a mapping ``{"[KNOB:]ATTR=GROUP": value}``.

    Examples
    --------
    >>> parse_bias({"race=Asian": 0.9, "label:sex=Female": 0.8})[1]
    Bias(knob='label', attribute='sex', group='Female', value=0.8)
    """
    if bias is None:
        return []
    if isinstance(bias, (Bias, str)):
        bias = [bias]
    if isinstance(bias, Mapping):
        items = [Bias.parse(f"{key}:{_to_float(value, str(key))}") for key, value in bias.items()]
    elif isinstance(bias, Sequence):
        items = [b if isinstance(b, Bias) else Bias.parse(str(b)) for b in bias]
    else:
        raise ValidationError(E.BAD_BIAS_SPEC.format(text=repr(bias)))
    for item in items:
        _check_knob(item.knob)
    seen: dict[str, float] = {}
    for item in items:
        if item.name in seen:
            raise ValidationError(
                E.DUPLICATE_BIAS_KNOB.format(knob=item.name, values=[seen[item.name], item.value])
            )
        seen[item.name] = item.value
    return items


# -- the Gaussian model --------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """Per-cell parameters of the generative model (cells: crossed true groups)."""

    mu: np.ndarray  # (cells,) mean latent qualification
    delta: np.ndarray  # (cells,) direct score shift
    keep: np.ndarray  # (cells,) share of the qualified recorded as hired
    prevalence: np.ndarray  # (cells, features) proxy prevalence
    beta: np.ndarray  # (features,) score penalty of each proxy (0 when no knob uses it)
    noise_sd: float
    threshold: float  # on the latent scale
    qualified_cut: float


def _combos(n_features: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=n_features)), dtype=float)


def selection_rate(
    mean: np.ndarray, prevalence: np.ndarray, beta: np.ndarray, noise_sd: float, threshold: float
) -> np.ndarray:
    """P(S >= t) per cell: a mixture over the proxy combinations of normal tails."""
    x = _combos(len(beta))  # (combos, features)
    weight = np.prod(np.where(x[None], prevalence[:, None], 1 - prevalence[:, None]), axis=2)
    scale = np.sqrt(1 + noise_sd**2)
    shift = mean[:, None] - x @ beta  # (cells, combos)
    return (weight * stats.norm.sf((threshold - shift) / scale)).sum(axis=1)


def joint_rate(
    mu: np.ndarray,
    mean: np.ndarray,
    prevalence: np.ndarray,
    beta: np.ndarray,
    noise_sd: float,
    threshold: float,
    cut: float,
) -> np.ndarray:
    """P(S >= t and z > cut) per cell (selected and qualified)."""
    x = _combos(len(beta))
    weight = np.prod(np.where(x[None], prevalence[:, None], 1 - prevalence[:, None]), axis=2)
    scale = np.sqrt(1 + noise_sd**2)
    rho = 1 / scale
    a = (cut - mu)[:, None] * np.ones(len(x))  # standardised cut of z
    b = (threshold - (mean[:, None] - x @ beta)) / scale  # standardised threshold of S
    both_below = _bivariate_cdf(a.ravel(), b.ravel(), rho).reshape(a.shape)
    both_above = 1 - stats.norm.cdf(a) - stats.norm.cdf(b) + both_below
    return (weight * both_above).sum(axis=1)


def _bivariate_cdf(a: np.ndarray, b: np.ndarray, rho: float) -> np.ndarray:
    points = np.column_stack([a, b])
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    dist = stats.multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]])
    values = np.atleast_1d(dist.cdf(unique))
    return values[np.ravel(inverse)]


def calibrate_threshold(
    beta: np.ndarray, base_prevalence: np.ndarray, noise_sd: float, rate: float
) -> float:
    """Latent threshold at which an untouched candidate is selected with ``rate``."""

    def gap(t: float) -> float:
        return (
            float(selection_rate(np.zeros(1), base_prevalence[None], beta, noise_sd, t)[0]) - rate
        )

    return float(optimize.brentq(gap, -20, 20, xtol=1e-12))


def calibrate_direct(
    target: float, knob: Bias, beta: np.ndarray, base: np.ndarray, noise_sd: float, t: float
) -> float:
    """Score shift giving the target ratio of selection rates (this knob alone)."""
    reference = float(selection_rate(np.zeros(1), base[None], beta, noise_sd, t)[0])
    goal = target * reference
    if not 0 < goal < 1:
        high = 1 / reference
        raise ValidationError(
            E.UNREACHABLE_BIAS.format(knob=knob.name, value=target, low=0.0, high=high)
        )

    def gap(d: float) -> float:
        return float(selection_rate(np.array([d]), base[None], beta, noise_sd, t)[0]) - goal

    return float(optimize.brentq(gap, -40, 40, xtol=1e-12))


def calibrate_proxy(
    target: float,
    knob: Bias,
    feature: int,
    beta: np.ndarray,
    base: np.ndarray,
    noise_sd: float,
    t: float,
) -> float:
    """Prevalence of the proxy in the group giving the target ratio (linear in it)."""
    with_f, without_f = base.copy(), base.copy()
    with_f[feature], without_f[feature] = 1.0, 0.0
    rates = selection_rate(np.zeros(2), np.stack([without_f, with_f]), beta, noise_sd, t)
    reference = (1 - base[feature]) * rates[0] + base[feature] * rates[1]
    low, high = rates[1] / reference, rates[0] / reference
    if not low <= target <= high:
        raise ValidationError(
            E.UNREACHABLE_BIAS.format(knob=knob.name, value=target, low=low, high=high)
        )
    return float((rates[0] - target * reference) / (rates[0] - rates[1]))


def base_rate_shift(target: float, knob: Bias, qualified_rate: float, cut: float) -> float:
    """Mean shift of the latent qualification giving the target ratio of qualification rates."""
    goal = target * qualified_rate
    if not 0 < goal < 1:
        raise ValidationError(
            E.BAD_BIAS_VALUE.format(
                knob=knob.name,
                value=target,
                expected=f"in (0, {1 / qualified_rate:.4g}) so that the group's "
                "qualification rate stays in (0, 1)",
                fix="Pass a smaller ratio, or lower qualified_rate.",
            )
        )
    return float(cut - stats.norm.isf(goal))
