"""Job postings for synthetic pools: title, description, required and preferred skills."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from biasaudit._validation import Interval, validate_params

__all__ = ["OCCUPATIONS", "Job", "make_jobs"]

#: Occupation -> ten skills. A posting requires the first four of its occupation's
#: list, prefers the next three; the last three are other skills of the trade.
OCCUPATIONS: dict[str, tuple[str, ...]] = {
    "Software Engineer": (
        "Python",
        "SQL",
        "Git",
        "REST APIs",
        "Docker",
        "Kubernetes",
        "AWS",
        "JavaScript",
        "Linux",
        "Go",
    ),
    "Data Analyst": (
        "SQL",
        "Excel",
        "Python",
        "Tableau",
        "statistics",
        "Power BI",
        "R",
        "data cleaning",
        "dashboards",
        "A/B testing",
    ),
    "Registered Nurse": (
        "patient care",
        "medication administration",
        "BLS certification",
        "EHR charting",
        "IV therapy",
        "ACLS certification",
        "wound care",
        "triage",
        "patient education",
        "care planning",
    ),
    "Accountant": (
        "general ledger",
        "GAAP",
        "Excel",
        "reconciliations",
        "QuickBooks",
        "CPA",
        "tax preparation",
        "payroll",
        "auditing",
        "SAP",
    ),
    "Sales Representative": (
        "prospecting",
        "CRM",
        "negotiation",
        "cold calling",
        "Salesforce",
        "account management",
        "B2B sales",
        "presentations",
        "lead generation",
        "forecasting",
    ),
    "Administrative Assistant": (
        "scheduling",
        "Microsoft Office",
        "data entry",
        "customer service",
        "filing",
        "travel arrangements",
        "bookkeeping",
        "typing 60 wpm",
        "phone etiquette",
        "minute taking",
    ),
    "Warehouse Associate": (
        "forklift operation",
        "inventory",
        "shipping and receiving",
        "RF scanners",
        "OSHA safety",
        "order picking",
        "pallet jack",
        "cycle counting",
        "WMS software",
        "loading",
    ),
    "Customer Service Representative": (
        "customer service",
        "CRM",
        "conflict resolution",
        "phone support",
        "Zendesk",
        "bilingual",
        "order processing",
        "live chat",
        "returns handling",
        "upselling",
    ),
}
_N_REQUIRED, _N_PREFERRED = 4, 3
_TEMPLATE = (
    "{title} ({id}). We are hiring a {title_lower} to join a growing team. "
    "Required: {required}. Preferred: {preferred}. Equal opportunity employer."
)


@dataclass(frozen=True)
class Job:
    """A job posting.

    Attributes
    ----------
    id : str
        Requisition id, e.g. ``"J001"``.
    title : str
        Job title (also its occupation).
    description : str
        Posting text naming the required and preferred skills.
    required_skills, preferred_skills : tuple of str
        What the posting asks for.
    skills : tuple of str
        The occupation's ten skills, required first, then preferred, then others.
    """

    id: str
    title: str
    description: str
    required_skills: tuple[str, ...]
    preferred_skills: tuple[str, ...]
    skills: tuple[str, ...]


@validate_params({"k": [Interval(Integral, 1, None, fix="Pass e.g. k=3.")]})
def make_jobs(k: int) -> tuple[Job, ...]:
    """``k`` job postings cycling through the occupations.

    Parameters
    ----------
    k : int
        Number of postings (at least 1).

    Returns
    -------
    tuple of Job

    Examples
    --------
    >>> jobs = make_jobs(2)
    >>> jobs[0].id, jobs[0].title, jobs[0].required_skills
    ('J001', 'Software Engineer', ('Python', 'SQL', 'Git', 'REST APIs'))
    """
    titles = list(OCCUPATIONS)
    jobs = []
    for i in range(k):
        title = titles[i % len(titles)]
        skills = OCCUPATIONS[title]
        required, preferred = skills[:_N_REQUIRED], skills[_N_REQUIRED : _N_REQUIRED + _N_PREFERRED]
        job_id = f"J{i + 1:03d}"
        text = _TEMPLATE.format(
            title=title,
            id=job_id,
            title_lower=title.lower(),
            required=", ".join(required),
            preferred=", ".join(preferred),
        )
        jobs.append(Job(job_id, title, text, required, preferred, skills))
    return tuple(jobs)


def skill_lookup(jobs: tuple[Job, ...]) -> np.ndarray:
    """Skill text for every (job, 10-bit mask of skills held): shape ``(len(jobs) * 1024,)``.

    Rendering skills through this table keeps a million resumes vectorised.
    """
    n_skills = len(next(iter(OCCUPATIONS.values())))
    out = []
    for job in jobs:
        for mask in range(1 << n_skills):
            held = [s for b, s in enumerate(job.skills) if mask >> b & 1]
            out.append(", ".join(held) if held else "none listed")
    return np.asarray(out, dtype=object)
