"""The synthetic pool's model: group shares, bias knobs and the true rates they imply."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit._validation import Interval, MappingOf, instance_of
from biasaudit.pool import combinations_for
from biasaudit.synth import _bias as B

__all__ = ["DEFAULT_SHARES", "POOL_CONSTRAINTS"]


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
