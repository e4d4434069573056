"""Scorer music."""
