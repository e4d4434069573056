"""Scorer vision."""
