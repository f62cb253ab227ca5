"""The ``biasaudit synth`` subcommand: write a synthetic pool and its true effects."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from biasaudit import _errors as E
from biasaudit._errors import ValidationError
from biasaudit._io import atomic_path, write_text_atomic
from biasaudit.cli._reports import check_paths
from biasaudit.synth import make_pool

__all__ = ["register"]

_WRITERS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


def _share(text: str) -> tuple[str, str, float]:
    """``ATTRIBUTE=GROUP:SHARE``."""
    attribute, sep, rest = text.partition("=")
    group, sep2, value = rest.rpartition(":")
    try:
        share = float(value)
    except ValueError:
        share = math.nan
    if not (sep and sep2 and attribute.strip() and group.strip()) or math.isnan(share):
        raise argparse.ArgumentTypeError(f"expected ATTRIBUTE=GROUP:SHARE, got {text!r}")
    return attribute.strip(), group.strip().strip("\"'"), share


def _parser(sub: Any) -> None:
    p = sub.add_parser(
        "synth",
        help="generate a synthetic candidate pool with known, injected bias",
        description=(
            "Generate a synthetic candidate pool with known, injected bias and write it as "
            "Parquet, CSV or JSON Lines. Knobs: direct, proxy_location, proxy_gap, "
            "proxy_college, base_rate, label (see biasaudit.synth.make_pool)."
        ),
    )
    p.add_argument("--n", type=int, required=True, help="number of candidates")
    p.add_argument("--jobs", type=int, default=3, help="number of job postings (default 3)")
    p.add_argument(
        "--attribute",
        "-a",
        action="append",
        dest="attributes",
        metavar="NAME",
        help="attribute to generate: sex, race, age_band, disability (default: sex and race)",
    )
    p.add_argument(
        "--bias",
        action="append",
        default=[],
        metavar="[KNOB:]ATTR=GROUP:VALUE",
        help='bias knob, e.g. race="Black or African American":0.7 (repeatable)',
    )
    p.add_argument(
        "--share",
        action="append",
        default=[],
        type=_share,
        metavar="ATTR=GROUP:SHARE",
        help="group share; give every group of the attribute, summing to 1 (repeatable)",
    )
    p.add_argument(
        "--unknown-share",
        type=float,
        default=0.0,
        help="share of recorded attributes that are Unknown (default 0)",
    )
    p.add_argument(
        "--selection-rate",
        type=float,
        default=0.3,
        help="selection rate of a candidate no knob touches (default 0.3)",
    )
    p.add_argument(
        "--qualified-rate",
        type=float,
        default=0.5,
        help="share of untouched candidates truly qualified (default 0.5)",
    )
    p.add_argument("--no-text", action="store_true", help="do not render resume text")
    p.add_argument("--seed", type=int, help="random seed (same seed, same pool)")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="output file: .parquet, .csv or .jsonl"
    )
    p.add_argument("--effects", metavar="FILE", help="write the true effects as JSON to FILE")
    p.add_argument("--quiet", "-q", action="store_true", help="print no summary")


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write(data: Any, path: Path) -> None:
    kind = next((k for s, k in _WRITERS.items() if path.name.lower().endswith(s)), None)
    if kind is None:
        raise ValidationError(
            E.BAD_SYNTH_ARGUMENT.format(
                name="--out",
                expected="a .parquet, .csv or .jsonl file",
                value=str(path),
                fix="Pass e.g. --out pool.parquet.",
            )
        )
    with atomic_path(path) as tmp:
        if kind == "parquet":
            data.to_parquet(tmp, index=False)
        elif kind == "csv":
            data.to_csv(tmp, index=False)
        else:
            data.to_json(tmp, orient="records", lines=True, force_ascii=False)


def _summary(pool: Any) -> str:
    effects = pool.effects
    lines = [
        f"{len(pool.data):,} candidates, {len(pool.jobs)} jobs; "
        f"selected when score >= {effects.threshold:.4f}"
    ]
    for row in effects.knobs.itertuples():
        lines.append(
            f"knob {row.knob}:{row.attribute}={row.group}:{row.value:g} -> "
            f"{row.parameter} = {row.parameter_value:.4f}, implied impact ratio "
            f"{row.implied_impact_ratio:.3f}"
        )
    single = effects.groups[~effects.groups["attribute_label"].str.contains(" x ")]
    lines.append("true selection rates and impact ratios:")
    for row in single.itertuples():
        lines.append(
            f"  {row.attribute_label:<10} {row.group_label:<37} share {row.share:.3f}  "
            f"rate {row.selection_rate:.4f}  impact ratio {row.impact_ratio:.3f}"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Handle ``biasaudit synth``; returns the exit code."""

    shares: dict[str, dict[str, float]] = {}
    for attribute, group, share in args.share:
        shares.setdefault(attribute, {})[group] = share
    attributes = args.attributes or ["sex", "race"]
    check_paths([("--out", args.out), ("--effects", args.effects)])  # before any work
    pool = make_pool(
        args.n,
        jobs=args.jobs,
        attributes=attributes,
        shares=shares or None,
        bias=args.bias or None,
        unknown_share=args.unknown_share,
        selection_rate=args.selection_rate,
        qualified_rate=args.qualified_rate,
        resume_text=not args.no_text,
        seed=args.seed,
    )
    out = Path(args.out)
    _write(pool.data, out)
    if args.effects:
        document = {"seed": args.seed, "n": args.n, "bias": args.bias, **pool.effects.to_dict()}
        text = json.dumps(_json_ready(document), indent=2, allow_nan=False) + "\n"
        write_text_atomic(args.effects, text)
    if not args.quiet:
        sys.stdout.write(_summary(pool))
        sys.stdout.write(f"wrote {out}\n")
    return 0


def register(subparsers: Any) -> dict[str, Any]:
    """Add ``synth`` to the ``biasaudit`` command; returns ``{"synth": handler}``.

    Examples
    --------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> sorted(register(sub))
    ['synth']
    """
    _parser(subparsers)
    return {"synth": run}
