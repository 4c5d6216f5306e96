"""Stdlib-only helpers shared by every layer (clock, filesystem, ids)."""
