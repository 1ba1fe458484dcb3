"""Checks of the data phase (DESIGN §3)."""
