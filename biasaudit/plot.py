"""Plots for notebooks (public path); the code lives in :mod:`biasaudit.reports._plot`.

``result.plot`` returns an :class:`AuditPlots`; :func:`plot_exposure` draws a
ranking audit's exposure.
"""

from __future__ import annotations

from biasaudit.reports._plot import AuditPlots, plot_exposure

__all__ = ["AuditPlots", "plot_exposure"]
