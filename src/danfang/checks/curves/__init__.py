"""Checks of the curves phase (DESIGN §3)."""
