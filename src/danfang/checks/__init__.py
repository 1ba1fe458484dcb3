"""Checks, one folder a phase: data, preflight, training, curves."""

from danfang.checks.base import Check, registered_checks

__all__ = ["Check", "registered_checks"]
