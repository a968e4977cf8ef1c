"""Deterministic code only: the lead-sequence interpreter, its contracts, policies and keys."""
