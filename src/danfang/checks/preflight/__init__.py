"""Checks of the preflight phase (DESIGN §3)."""
