"""Integrations with other training frameworks (imported lazily; each needs its extra)."""
