"""Probes measure training quantities on a cadence (Cockpit style); checks judge them.

One file a quantity. Each probe keeps its results on the device; :class:`ProbeSet` reads
all of them back with one host sync at the cadence, and only the quantities some check
needs are switched on.
"""

from danfang.probes.dead_fraction import DeadFraction
from danfang.probes.grad_norm import GradNorm
from danfang.probes.loss import LossProbe
from danfang.probes.probe_set import DEFAULT_CADENCE, QUANTITIES, ProbeSample, ProbeSet
from danfang.probes.saturated_fraction import SaturatedFraction
from danfang.probes.series import ProbeSeries
from danfang.probes.update_ratio import UpdateRatio

__all__ = ["DEFAULT_CADENCE", "QUANTITIES", "DeadFraction", "GradNorm", "LossProbe", "ProbeSample",
           "ProbeSeries", "ProbeSet", "SaturatedFraction", "UpdateRatio"]
