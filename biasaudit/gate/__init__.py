"""The CI gate: a policy, a statistically sound baseline comparison, a verdict.

``biasaudit gate`` audits a pinned evaluation pool with the matcher under test,
checks the policy (e.g. every group's impact ratio at least 0.8) and compares every
group with the accepted baseline by a paired bootstrap over candidates; it exits 1
when the change breaks the policy or makes a group measurably worse. The same
evaluation is available in Python (and in :mod:`biasaudit.testing` for pytest).

Examples
--------
A matcher change that lowers women's scores, audited on the same pool:

>>> import numpy as np, pandas as pd
>>> from biasaudit import gate
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"cid": range(400), "sex": ["F", "M"] * 200, "old": rng.random(400)})
>>> df["new"] = df["old"] - 0.25 * (df["sex"] == "F")
>>> base = gate.audit_with_records(df, attributes=["sex"], score="old", threshold=0.5, id="cid")
>>> cand = gate.audit_with_records(df, attributes=["sex"], score="new", threshold=0.5, id="cid")
>>> rules = gate.PolicyRules([gate.Bound.from_threshold("impact_ratio", 0.8)])
>>> [c.status for c in gate.evaluate_policy(cand, rules)]
['fail', 'pass']
>>> checks = gate.compare_results(base, cand, gate.RegressionSettings(margin=0.05), rules).checks
>>> [(c.group, c.status, round(c.details["regression"], 3)) for c in checks]
[('F', 'fail', 0.404), ('M', 'pass', -0.08)]
"""

from __future__ import annotations

from biasaudit.gate._config import (
    BaselineConfig,
    DecisionConfig,
    GateConfig,
    MatcherConfig,
    PoolConfig,
)
from biasaudit.gate._config_load import find_config, load_config
from biasaudit.gate._metrics import GATE_METRICS, Bound
from biasaudit.gate._outputs import junit_xml, summary_markdown
from biasaudit.gate._policy import FAIL, INSUFFICIENT, PASS, Check, PolicyRules, evaluate_policy
from biasaudit.gate._records import RECORDS_FORMAT, Records, pool_identity
from biasaudit.gate._regression import Comparison, RegressionSettings, compare_results
from biasaudit.gate._run import (
    GateOutcome,
    audit_with_records,
    load_baseline,
    run_audit,
    run_gate,
    update_baseline,
)

__all__ = [
    "FAIL",
    "GATE_METRICS",
    "INSUFFICIENT",
    "PASS",
    "RECORDS_FORMAT",
    "BaselineConfig",
    "Bound",
    "Check",
    "Comparison",
    "DecisionConfig",
    "GateConfig",
    "GateOutcome",
    "MatcherConfig",
    "PolicyRules",
    "PoolConfig",
    "Records",
    "RegressionSettings",
    "audit_with_records",
    "compare_results",
    "evaluate_policy",
    "find_config",
    "junit_xml",
    "load_baseline",
    "load_config",
    "pool_identity",
    "run_audit",
    "run_gate",
    "summary_markdown",
    "update_baseline",
]
