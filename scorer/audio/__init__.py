"""Scorer audio."""
