"""Scorer text."""
