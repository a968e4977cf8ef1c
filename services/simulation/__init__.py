"""Sequence simulation: what a sequence would send when, run on a time-skipping server."""
