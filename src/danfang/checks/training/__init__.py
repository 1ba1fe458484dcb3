"""Checks of the training phase (DESIGN §3)."""
